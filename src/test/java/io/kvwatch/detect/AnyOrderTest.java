package io.kvwatch.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.Detection;
import io.kvwatch.model.TermKey;
import io.kvwatch.testing.Records;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * With the watermark held until the input is read (a bounded input), any arrival order gives the same alerts, down
 * to the record each carries and the previous sighting it names.
 */
class AnyOrderTest {

    static final long DAY = FirstSeenDetectorTest.DAY;
    static final long T0 = FirstSeenDetectorTest.T0;
    static final String ALICE = FirstSeenDetectorTest.ALICE;
    static final String SECRET = FirstSeenDetectorTest.SECRET;

    @Test
    void theSameAlertsWhateverTheOrder() throws Exception {
        List<AuditRecord> reads = new ArrayList<>();
        long[] times = {T0, T0 + DAY, T0 + 20 * DAY, T0 + 21 * DAY, T0 + 40 * DAY, T0 + 40 * DAY, T0 + 54 * DAY + 1};
        for (int i = 0; i < times.length; i++) {
            AuditRecord r = Records.read(ALICE, SECRET, times[i]);
            r.operation = i == 4 ? "SecretGet" : i == 5 ? "KeyGet" : "SecretGet"; // two reads in one millisecond
            r.correlationId = "c" + i;
            reads.add(r);
        }
        List<String> sorted = alertsAtTheEnd(reads);
        assertThat(sorted)
                .as("first sight, after 19 days, after 19 days (one of the same-instant reads), after 14d+1ms")
                .containsExactly(
                        T0 + "<-never c0", (T0 + 20 * DAY) + "<-" + (T0 + DAY) + " c2",
                        (T0 + 40 * DAY) + "<-" + (T0 + 21 * DAY) + " c5",
                                (T0 + 54 * DAY + 1) + "<-" + (T0 + 40 * DAY) + " c6");
        Random random = new Random(3);
        for (int round = 0; round < 50; round++) {
            List<AuditRecord> shuffled = new ArrayList<>(reads);
            Collections.shuffle(shuffled, random);
            assertThat(alertsAtTheEnd(shuffled))
                    .as("order %s", shuffled.stream().map(r -> r.correlationId).toList())
                    .isEqualTo(sorted);
        }
    }

    /** Feeds the reads without a watermark, then the final one; the alerts as "time<-previous record". */
    private static List<String> alertsAtTheEnd(List<AuditRecord> reads) throws Exception {
        KeyedOneInputStreamOperatorTestHarness<TermKey, AuditRecord, Detection> h = FirstSeenDetectorTest.newHarness();
        h.open();
        for (AuditRecord r : reads) {
            AuditRecord copy = Records.read(r.upn, r.objectId, r.ruleTime);
            copy.operation = r.operation;
            copy.correlationId = r.correlationId;
            h.processElement(copy, r.ruleTime);
        }
        h.processWatermark(Long.MAX_VALUE);
        List<String> alerts = h.extractOutputValues().stream()
                .map(d -> d.record.ruleTime + "<-" + (d.previousSeen == Detection.NEVER ? "never" : d.previousSeen)
                        + " " + d.record.correlationId)
                .toList();
        assertThat(h.numKeyedStateEntries()).as("all state cleaned up").isZero();
        h.close();
        return alerts;
    }
}
