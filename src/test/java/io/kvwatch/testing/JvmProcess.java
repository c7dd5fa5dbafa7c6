package io.kvwatch.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One service JVM of an integration test (a Kafka broker, a Flink JobManager or TaskManager, a ZooKeeper server):
 * started from a classpath with its output in a log file, stopped (SIGTERM, then SIGKILL) or killed, and never
 * outliving the test JVM.
 *
 * <p>Three safety nets stop it when a test does not: {@link #stop}/{@link #kill} by its owner, a shutdown hook of
 * the test JVM, and {@link ParentWatchdogMain}, its entry point, which exits when the test JVM dies outright (even
 * by SIGKILL, when no hook runs).
 */
public final class JvmProcess {

    private static final Duration KILL_WAIT = Duration.ofSeconds(30);
    private static final int TAIL_LINES = 80;

    private final String name;
    private final Process process;
    private final Path console;
    private final List<Path> logs;
    private final Thread shutdownHook;

    private JvmProcess(String name, Process process, Path console, List<Path> logs) {
        this.name = name;
        this.process = process;
        this.console = console;
        this.logs = logs;
        this.shutdownHook = new Thread(() -> process.toHandle().destroyForcibly(), name + "-reaper");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** A JVM to start: {@code java <options> -cp <classpath> <mainClass> <args>}. */
    public static Builder builder(String name, String classpath, String mainClass) {
        return new Builder(name, classpath, mainClass);
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public ProcessHandle handle() {
        return process.toHandle();
    }

    /** The exit value; the process must have exited. */
    public int exitValue() {
        return process.exitValue();
    }

    /** Waits for the process to exit by itself; returns its exit value, or -1 if it is still running. */
    public int awaitExit(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + this, e);
        }
    }

    /**
     * Sends SIGTERM, the JVM's orderly shutdown. Through the process handle: {@link Process#destroy()} would also
     * close the JVM's stdin, which {@link ParentWatchdogMain} takes for the test JVM dying.
     */
    public void terminate() {
        if (process.isAlive() && !process.toHandle().destroy()) {
            process.destroy();
        }
    }

    /** SIGTERM, up to {@code grace} for the JVM to exit, then SIGKILL. Idempotent. */
    public void stop(Duration grace) {
        stopAll(List.of(this), grace);
    }

    /** SIGTERM to all at once, up to {@code grace} for all of them to exit, then SIGKILL to what is left. */
    public static void stopAll(List<JvmProcess> processes, Duration grace) {
        processes.forEach(JvmProcess::terminate);
        long deadline = System.nanoTime() + grace.toNanos();
        for (JvmProcess p : processes) {
            long left = Math.max(0, deadline - System.nanoTime());
            if (p.awaitExit(Duration.ofNanos(left)) == -1) {
                p.kill();
            }
            p.released();
        }
    }

    /**
     * SIGKILL, like a crashed machine: no shutdown hooks, no deregistration. Waits for the process to be gone.
     *
     * @return the exit value, 137 (128 + SIGKILL) on Linux
     */
    public int kill() {
        process.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        int exit = awaitExit(KILL_WAIT);
        if (exit == -1) {
            throw new IllegalStateException(this + " survived SIGKILL for " + KILL_WAIT.toSeconds() + " s");
        }
        released();
        return exit;
    }

    /** The last lines of the console output and of every log file of this JVM, for failure messages. */
    public String logTail() {
        StringBuilder out = new StringBuilder(tail(console, TAIL_LINES));
        logs.forEach(log -> out.append('\n').append(tail(log, TAIL_LINES)));
        return out.toString();
    }

    /** The last {@code lines} lines of a file, headed by its name. */
    public static String tail(Path file, int lines) {
        if (!Files.isRegularFile(file)) {
            return "(" + file + " does not exist)";
        }
        try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
            int window = (int) Math.min(in.length(), 256 * 1024);
            byte[] bytes = new byte[window];
            in.seek(in.length() - window);
            in.readFully(bytes);
            // Decoded leniently: a truncated or binary log must not hide the original failure.
            List<String> all = new String(bytes, UTF_8).lines().toList();
            List<String> last = all.subList(Math.max(0, all.size() - lines), all.size());
            return "---- last " + last.size() + " lines of " + file + " ----\n" + String.join("\n", last)
                    + "\n---- end of " + file.getFileName() + " ----";
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }

    @Override
    public String toString() {
        return name + " (pid " + pid() + ")";
    }

    /** The process is gone: drop the hook, close the watchdog's pipe. */
    private void released() {
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway, harmlessly
        }
        try {
            process.getOutputStream().close();
        } catch (IOException ignored) {
            // the process has exited
        }
    }

    /** What to start; {@link #start()} starts it. */
    public static final class Builder {
        private final String name;
        private final String classpath;
        private final String mainClass;
        private final List<String> jvmOptions = new ArrayList<>();
        private final List<String> args = new ArrayList<>();
        private final List<Path> logs = new ArrayList<>();
        private Path workingDir;
        private Path console;

        private Builder(String name, String classpath, String mainClass) {
            this.name = name;
            this.classpath = classpath;
            this.mainClass = mainClass;
        }

        public Builder jvmOptions(List<String> options) {
            jvmOptions.addAll(options);
            return this;
        }

        public Builder jvmOptions(String... options) {
            return jvmOptions(Arrays.asList(options));
        }

        public Builder args(List<String> arguments) {
            args.addAll(arguments);
            return this;
        }

        public Builder args(String... arguments) {
            return args(Arrays.asList(arguments));
        }

        /** The working directory; also where the console output goes unless {@link #console} says otherwise. */
        public Builder workingDir(Path dir) {
            this.workingDir = dir;
            return this;
        }

        /** The file that gets stdout and stderr (appended). */
        public Builder console(Path file) {
            this.console = file;
            return this;
        }

        /** A log file the JVM writes itself, whose tail {@link #logTail()} shows beside the console's. */
        public Builder log(Path file) {
            logs.add(file);
            return this;
        }

        /** Starts the JVM (without waiting for it to be ready: that is the service's own business). */
        public JvmProcess start() {
            Path dir = workingDir != null ? workingDir : TestRuntime.buildDirectory();
            Path out = console != null ? console : dir.resolve(name + ".out");
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(jvmOptions);
            command.add("-cp");
            command.add(TestRuntime.watchdogClassDir() + File.pathSeparator + classpath);
            command.add(ParentWatchdogMain.class.getName());
            command.add(mainClass);
            command.addAll(args);
            try {
                Files.createDirectories(out.getParent());
                // stdin stays a pipe held open by this JVM: ParentWatchdogMain exits when it closes.
                Process process = new ProcessBuilder(command)
                        .directory(dir.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()))
                        .start();
                return new JvmProcess(name, process, out, List.copyOf(logs));
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot start " + name + ": " + mainClass + " " + args, e);
            }
        }

        /**
         * Starts the JVM and waits for it to end, for command-line tools.
         *
         * @return the exit value
         * @throws IllegalStateException if it runs longer than {@code timeout} (it is killed then)
         */
        public int run(Duration timeout) {
            JvmProcess tool = start();
            int exit = tool.awaitExit(timeout);
            if (exit == -1) {
                tool.kill();
                throw new IllegalStateException(
                        "Timed out after " + timeout.toSeconds() + " s: " + name + "\n" + tool.logTail());
            }
            tool.released();
            return exit;
        }
    }
}
