package io.kvwatch.testing;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * The one way tests and harnesses wait: poll a probe until it answers, within a deadline, failing with what was
 * awaited, the probe's last error and whatever context the caller adds (log tails, broker state).
 *
 * <p>A probe answers with a non-null value (or {@code true}); {@code null}, {@code false} or an {@link Exception}
 * mean "not yet". An {@link Error} (an assertion, a harness's fail-fast check) ends the wait at once.
 */
public final class Wait {

    private static final Duration DEFAULT_INTERVAL = Duration.ofMillis(200);

    private final String what;
    private final Duration timeout;
    private Duration interval = DEFAULT_INTERVAL;
    private Runnable failFast = () -> {};
    private Supplier<String> context = () -> "";

    private Wait(String what, Duration timeout) {
        this.what = what;
        this.timeout = timeout;
    }

    /** Waits until the condition holds. */
    public static void until(String what, Duration timeout, Callable<Boolean> condition) {
        on(what, timeout).until(condition);
    }

    /** Waits until the probe returns a value, and returns it. */
    public static <T> T forValue(String what, Duration timeout, Callable<T> probe) {
        return on(what, timeout).forValue(probe);
    }

    /** A wait to configure before calling {@link #until} or {@link #forValue}. */
    public static Wait on(String what, Duration timeout) {
        return new Wait(what, timeout);
    }

    /** Pause between two probes (default 200 ms). */
    public Wait every(Duration interval) {
        this.interval = interval;
        return this;
    }

    /** Runs before every probe; what it throws ends the wait (e.g. "the process has exited"). */
    public Wait failFast(Runnable check) {
        this.failFast = check;
        return this;
    }

    /** Appended to the timeout message, e.g. the tails of the logs of the processes waited for. */
    public Wait context(Supplier<String> context) {
        this.context = context;
        return this;
    }

    public void until(Callable<Boolean> condition) {
        forValue(() -> Boolean.TRUE.equals(condition.call()) ? Boolean.TRUE : null);
    }

    public <T> T forValue(Callable<T> probe) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception lastError = null;
        while (true) {
            failFast.run();
            try {
                T value = probe.call();
                if (value != null) {
                    return value;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TimedOut("interrupted while waiting for " + what, e);
            } catch (Exception e) {
                lastError = e;
            }
            if (System.nanoTime() - deadline >= 0) {
                String extra = context.get();
                throw new TimedOut(
                        "timed out after " + timeout.toSeconds() + " s waiting for " + what
                                + (lastError == null ? "" : "\nlast error: " + lastError)
                                + (extra.isEmpty() ? "" : "\n" + extra),
                        lastError);
            }
            try {
                Thread.sleep(interval.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TimedOut("interrupted while waiting for " + what, e);
            }
        }
    }

    /** A wait that ran out of time; an {@link AssertionError}, so tests report it as a failure. */
    public static final class TimedOut extends AssertionError {
        private static final long serialVersionUID = 1L;

        TimedOut(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
