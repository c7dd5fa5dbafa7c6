package io.kvwatch.testing;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;

/**
 * Entry point of every service JVM started by {@link JvmProcess} (Kafka broker, Flink JobManagers and
 * TaskManagers, ZooKeeper): runs the real main class given as the first argument, and exits as soon
 * as the test JVM that started it is gone.
 *
 * <p>A JVM shutdown hook in the test JVM cannot run when that JVM is killed with SIGKILL (for
 * example by a surefire/failsafe fork timeout), which would leave an orphaned broker on a shared
 * machine. The parent keeps the write end of this process's stdin open for its whole life and the
 * OS closes it when the parent dies, however it dies; so EOF on stdin means "parent gone".
 *
 * <p>Loaded from a directory holding only this class, so it must depend on nothing but the JDK.
 */
public final class ParentWatchdogMain {

    /** How long the service's own shutdown hooks get before the JVM is halted. */
    private static final long HALT_AFTER_MILLIS = 30_000;

    private ParentWatchdogMain() {}

    public static void main(String[] args) throws Throwable {
        if (args.length < 1) {
            System.err.println("usage: ParentWatchdogMain <main-class> [args...]");
            System.exit(2);
        }
        Thread watchdog = new Thread(ParentWatchdogMain::exitWhenStdinCloses, "parent-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();

        Method main = Class.forName(args[0]).getMethod("main", String[].class);
        try {
            main.invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static void exitWhenStdinCloses() {
        try (InputStream in = System.in) {
            byte[] buffer = new byte[256];
            while (in.read(buffer) >= 0) {
                // The parent never writes; anything it does write is ignored.
            }
        } catch (IOException e) {
            // A broken stdin means the same as EOF.
        }
        System.err.println("ParentWatchdogMain: parent process is gone, shutting down");
        Thread halter = new Thread(
                () -> {
                    try {
                        Thread.sleep(HALT_AFTER_MILLIS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    Runtime.getRuntime().halt(3);
                },
                "parent-watchdog-halt");
        halter.setDaemon(true);
        halter.start();
        System.exit(3);
    }
}
