package io.kvwatch.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs the two single-threaded loops over the measured messages. Each first reads the preload envelopes (untimed:
 * it builds the same state the job starts from, and warms the JIT on the same code), then times the measured
 * messages on a fresh copy of that state, {@code runs} times; returns the median rate in records per second.
 */
final class Baselines {

    private Baselines() {}

    /** Records per second of wall-clock time, and per second of the JVM's CPU time (GC and JIT included). */
    record Rate(double perSecond, double perCpuSecond) {
        Rate(long records, long wallNanos, long cpuNanos) {
            this(records / (wallNanos / 1e9), records / (cpuNanos / 1e9));
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "%.0f records/s, %.0f per CPU-second", perSecond, perCpuSecond);
        }
    }

    /** One of the loops: it reads messages and counts the records it took and the alerts it raised. */
    abstract static class Loop {
        long records;
        long alerts;

        abstract void message(String text) throws Exception;

        /** A HashMap capacity for this many terms without rehashing. */
        static int mapCapacity(long expectedTerms) {
            return (int) Math.min(Integer.MAX_VALUE - 8, expectedTerms * 4L / 3 + 16);
        }
    }

    static Rate plainLoop(BenchWorkload w, BenchWorkload.Measured m, int runs) throws Exception {
        PlainLoopBaseline preloaded = preload(new PlainLoopBaseline(w.terms + m.newTerms()), w);
        return median("plain loop", () -> new PlainLoopBaseline(preloaded), m, runs);
    }

    static Rate jobCodeLoop(BenchWorkload w, BenchWorkload.Measured m, int runs) throws Exception {
        JobCodeLoop preloaded = preload(new JobCodeLoop(w.terms + m.newTerms()), w);
        return median("job code loop", () -> new JobCodeLoop(preloaded), m, runs);
    }

    private static <L extends Loop> L preload(L loop, BenchWorkload w) throws Exception {
        for (long e = 0; e < w.preloadEnvelopes(); e++) {
            loop.message(w.preloadEnvelope(e));
        }
        return loop;
    }

    /** Times the measured messages on {@code runs} fresh copies of the preloaded loop; the median rate. */
    private static Rate median(String name, java.util.function.Supplier<Loop> fresh, BenchWorkload.Measured m, int runs)
            throws Exception {
        List<Rate> rates = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            Loop loop = fresh.get();
            int timedFrom = m.timedFrom(); // as in the job's runs
            for (int k = 0; k < timedFrom; k++) {
                loop.message(m.messages()[k]);
            }
            long before = loop.records;
            long start = System.nanoTime();
            long cpu = Machine.processCpuNanos();
            for (int k = timedFrom; k < m.messages().length; k++) {
                loop.message(m.messages()[k]);
            }
            Rate rate = new Rate(loop.records - before, System.nanoTime() - start, Machine.processCpuNanos() - cpu);
            BenchMain.log(name + ": " + rate + ", " + loop.alerts + " alerts");
            rates.add(rate);
        }
        return new Rate(BenchMain.median(rates, Rate::perSecond), BenchMain.median(rates, Rate::perCpuSecond));
    }
}
