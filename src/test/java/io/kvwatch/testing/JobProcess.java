package io.kvwatch.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A job's {@code main} run as a user runs it locally: in a JVM of its own, with the compile classpath (here the test
 * classpath, which holds it), the project's local logging configuration and no cluster, so that it starts its own
 * mini-cluster. Records exit status, stdout, stderr and the wall time; a process that outlives its bound is killed.
 */
public final class JobProcess {

    /** What a run left behind. */
    public record Result(int exitCode, String stdout, String stderr, Duration took, Path log) {

        /** The non-blank lines of stderr. */
        public List<String> stderrLines() {
            return stderr.lines().filter(l -> !l.isBlank()).toList();
        }

        @Override
        public String toString() {
            return "exit " + exitCode + " after " + took.toMillis() + " ms; stderr:\n" + stderr
                    + (stdout.isEmpty()
                            ? ""
                            : "\nstdout (" + stdout.lines().count() + " lines):\n"
                                    + stdout.substring(0, Math.min(2000, stdout.length())));
        }
    }

    private JobProcess() {}

    public static Result run(Path workDir, Duration bound, Map<String, String> env, String mainClass, String... args)
            throws IOException, InterruptedException {
        Path err = workDir.resolve("stderr.txt");
        long start = System.nanoTime();
        Process process = start(workDir, env, mainClass, args);
        boolean exited = process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        if (!exited) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("main " + mainClass + " " + String.join(" ", args) + " ran longer than " + bound
                    + " and was killed; stderr:\n" + Files.readString(err, UTF_8));
        }
        return new Result(
                process.exitValue(),
                Files.readString(workDir.resolve("stdout.txt"), UTF_8),
                Files.readString(err, UTF_8),
                took,
                workDir.resolve("kvwatch-local.log"));
    }

    /**
     * Starts a run that has no end, waits until its stderr holds a line starting with {@code prefix}, kills it, and
     * returns that line.
     */
    public static String firstLineOfEndlessRun(
            Path workDir, Duration bound, String prefix, String mainClass, String... args)
            throws IOException, InterruptedException {
        Path err = workDir.resolve("stderr.txt");
        Process process = start(workDir, Map.of(), mainClass, args);
        long deadline = System.nanoTime() + bound.toNanos();
        try {
            while (System.nanoTime() < deadline && process.isAlive()) {
                for (String line : Files.readAllLines(err, UTF_8)) {
                    if (line.startsWith(prefix)) {
                        return line;
                    }
                }
                process.waitFor(200, TimeUnit.MILLISECONDS); // the poll interval, ended early by an exit
            }
            throw new AssertionError("no line starting with '" + prefix + "' on stderr within " + bound
                    + (process.isAlive() ? "" : " (the run ended, status " + process.exitValue() + ")")
                    + "; stderr:\n" + Files.readString(err, UTF_8));
        } finally {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static Process start(Path workDir, Map<String, String> env, String mainClass, String... args)
            throws IOException {
        Path log = workDir.resolve("kvwatch-local.log");
        Path out = workDir.resolve("stdout.txt");
        Path err = workDir.resolve("stderr.txt");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx768m",
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-Dlog4j.configurationFile="
                        + Path.of("flink-conf/log4j-local.properties").toAbsolutePath(),
                "-Dkvwatch.log.file=" + log,
                "--add-opens=java.base/java.util=ALL-UNNAMED",
                "--add-opens=java.base/java.lang=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                mainClass));
        command.addAll(Arrays.asList(args));
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(workDir.toFile())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.PIPE);
        builder.environment().keySet().removeIf(k -> k.startsWith("KVWATCH_"));
        builder.environment().putAll(env);
        return builder.start();
    }
}
