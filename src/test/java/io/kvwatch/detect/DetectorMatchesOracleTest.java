package io.kvwatch.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.Detection;
import io.kvwatch.model.TermKey;
import io.kvwatch.testing.AuditStreamGenerator.Read;
import io.kvwatch.testing.NewTermsOracle;
import io.kvwatch.testing.Records;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Randomised: dense reads of a few terms around the window's edge, delivered with bounded disorder and watermarks
 * that advance in jumps of every size, must give exactly the alerts of the plain sorted definition.
 */
class DetectorMatchesOracleTest {

    static final long WINDOW = Duration.ofDays(14).toMillis();
    static final long BOUND = 30_000;

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
    void randomStreamsMatchTheOracle(long seed) throws Exception {
        Random random = new Random(seed);
        List<Read> reads = new ArrayList<>();
        long t0 = 1_790_000_000_000L;
        for (int i = 0; i < 400; i++) {
            String upn = "u" + random.nextInt(3);
            String id = "o" + random.nextInt(3);
            // clustered near multiples of the window so that gaps straddle its edge
            long t = t0
                    + random.nextInt(6) * WINDOW
                    + (long) (random.nextGaussian() * 20_000)
                    + random.nextInt(4) * 86_400_000L;
            reads.add(new Read(upn, id, t));
        }
        // arrival: sorted by time plus a delay within the bound
        List<long[]> arrival = new ArrayList<>();
        for (int i = 0; i < reads.size(); i++) {
            arrival.add(new long[] {reads.get(i).time() + (long) (random.nextDouble() * (BOUND - 1)), i});
        }
        arrival.sort(Comparator.comparingLong(a -> a[0]));

        KeyedOneInputStreamOperatorTestHarness<TermKey, AuditRecord, Detection> h = FirstSeenDetectorTest.newHarness();
        h.open();
        long maxSeen = Long.MIN_VALUE;
        long watermark = Long.MIN_VALUE;
        for (long[] a : arrival) {
            Read r = reads.get((int) a[1]);
            h.processElement(Records.read(r.upn(), r.objectId(), r.time()), r.time());
            maxSeen = Math.max(maxSeen, r.time());
            if (random.nextInt(10) == 0) { // periodic, irregular watermarks, as the auto-watermark interval gives
                long next = maxSeen - BOUND;
                if (next > watermark) {
                    watermark = next;
                    h.processWatermark(watermark);
                }
            }
        }
        h.processWatermark(Long.MAX_VALUE);

        List<Read> actual = h.extractOutputValues().stream()
                .map(d -> new Read(d.record.upn, d.record.objectId, d.record.ruleTime))
                .toList();
        assertThat(actual)
                .as("seed %d", seed)
                .containsExactlyInAnyOrderElementsOf(NewTermsOracle.expectedAlerts(reads, Duration.ofDays(14)));
        assertThat(h.extractOutputValues()).as("nothing was late").noneMatch(d -> d.late);
        assertThat(h.numKeyedStateEntries()).as("all state cleaned up").isZero();
        assertThat(h.numEventTimeTimers()).as("no timers left").isZero();
        h.close();
    }
}
