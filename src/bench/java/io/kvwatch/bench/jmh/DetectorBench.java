package io.kvwatch.bench.jmh;

import io.kvwatch.detect.FirstSeenDetector;
import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.Detection;
import io.kvwatch.model.TermKey;
import io.kvwatch.rule.RetrievalFilter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The detector's per-record path on heap state holding {@value #TERMS} terms, driven through Flink's keyed operator
 * test harness (so key context and state access are Flink's own): a repeat (95% of counting records) and a first
 * sight; and the steps before it, the rule's filter and the term digest.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class DetectorBench {

    static final int TERMS = 100_000;
    private static final long T0 = 1_790_000_000_000L;

    private KeyedOneInputStreamOperatorTestHarness<TermKey, AuditRecord, Detection> harness;
    private final List<AuditRecord> known = new ArrayList<>();
    private final RetrievalFilter filter = new RetrievalFilter(false);
    private int next;
    private long fresh;
    private long time = T0 + 60_000;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        harness = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new FirstSeenDetector(Duration.ofDays(14))),
                r -> new TermKey(r.termHi, r.termLo),
                TypeInformation.of(TermKey.class));
        harness.open();
        for (int i = 0; i < TERMS; i++) {
            AuditRecord r = Workloads.record(i % 1000, i, T0);
            keyed(r);
            known.add(r);
            harness.processElement(r, r.ruleTime);
        }
        harness.processWatermark(T0 + 1);
        harness.getOutput().clear();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        harness.close();
    }

    private static void keyed(AuditRecord r) {
        TermKey k = TermKey.of(r.upn, r.objectId);
        r.termHi = k.hi;
        r.termLo = k.lo;
    }

    @Benchmark
    public void repeat() throws Exception {
        AuditRecord r = known.get(next++ % TERMS);
        r.ruleTime = time++;
        harness.processElement(r, r.ruleTime);
    }

    @Benchmark
    public void firstSight() throws Exception {
        AuditRecord r = Workloads.record(7, (int) (TERMS + fresh++), time++);
        keyed(r);
        harness.processElement(r, r.ruleTime);
        if ((fresh & 0xfff) == 0) {
            harness.getOutput().clear();
        }
    }

    @Benchmark
    public boolean filterAndTermKey() {
        AuditRecord r = known.get(next++ % TERMS);
        if (!filter.counts(r)) {
            return false;
        }
        TermKey k = TermKey.of(r.upn, r.objectId);
        return k.hi == 0;
    }
}
