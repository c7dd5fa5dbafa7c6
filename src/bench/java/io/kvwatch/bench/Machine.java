package io.kvwatch.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The machine the figures come from, and its load while they were taken. */
final class Machine {

    private Machine() {}

    static String describe() {
        String cpu = "unknown CPU";
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            cpu = lines.filter(l -> l.startsWith("model name"))
                    .findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .orElse(cpu);
        } catch (IOException ignored) {
            // not Linux: the CPU stays unnamed
        }
        return String.format(
                "Machine: %d cores (%s), %.0f GiB RAM, %s %s, JVM max heap %.1f GiB; load average at start %s",
                Runtime.getRuntime().availableProcessors(),
                cpu,
                totalMemoryGiB(),
                System.getProperty("java.vm.name"),
                System.getProperty("java.version"),
                Runtime.getRuntime().maxMemory() / (double) (1L << 30),
                load());
    }

    /**
     * CPU time used by this JVM so far, all threads. On a shared machine, records per CPU-second is the throughput a
     * core would give if the job had it to itself; wall-clock rates also measure the neighbours.
     */
    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean)
                        java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** The 1-minute load average, from /proc/loadavg. */
    static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }

    private static double totalMemoryGiB() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/meminfo"))) {
            return lines.filter(l -> l.startsWith("MemTotal"))
                    .findFirst()
                    .map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) / (1024.0 * 1024.0))
                    .orElse(0.0);
        } catch (IOException e) {
            return 0;
        }
    }
}
