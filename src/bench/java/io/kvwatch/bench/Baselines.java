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

    static double plainLoop(BenchWorkload w, BenchWorkload.Measured m, int runs) throws Exception {
        PlainLoopBaseline preloaded = new PlainLoopBaseline((int) Math.min(Integer.MAX_VALUE, w.terms + m.newTerms()));
        for (long e = 0; e < w.preloadEnvelopes(); e++) {
            preloaded.message(w.preloadEnvelope(e));
        }
        List<Double> rates = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            PlainLoopBaseline loop = new PlainLoopBaseline(preloaded);
            long start = System.nanoTime();
            for (String message : m.messages()) {
                loop.message(message);
            }
            double rate = loop.records / ((System.nanoTime() - start) / 1e9);
            BenchMain.log(String.format(java.util.Locale.ROOT, "plain loop: %.0f records/s, %d alerts", rate, loop.alerts));
            rates.add(rate);
        }
        return BenchMain.median(rates, x -> x);
    }

    static double jobCodeLoop(BenchWorkload w, BenchWorkload.Measured m, int runs) {
        JobCodeLoop preloaded = new JobCodeLoop((int) Math.min(Integer.MAX_VALUE, w.terms + m.newTerms()));
        for (long e = 0; e < w.preloadEnvelopes(); e++) {
            preloaded.message(w.preloadEnvelope(e));
        }
        List<Double> rates = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            JobCodeLoop loop = new JobCodeLoop(preloaded);
            long start = System.nanoTime();
            for (String message : m.messages()) {
                loop.message(message);
            }
            double rate = loop.records / ((System.nanoTime() - start) / 1e9);
            BenchMain.log(String.format(java.util.Locale.ROOT, "job code loop: %.0f records/s, %d alerts", rate, loop.alerts));
            rates.add(rate);
        }
        return BenchMain.median(rates, x -> x);
    }
}
