package io.kvwatch.alert;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.kvwatch.model.Detection;
import io.kvwatch.model.RecordField;
import io.kvwatch.testing.AlertFields;
import io.kvwatch.testing.Records;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** Suppression per upn per hour: the first alert at once, a summary with the count when the window closes. */
class AlertSuppressorTest {

    static final long T0 = 1_790_000_000_000L;
    static final long MINUTE = 60_000;

    @Test
    void oneAlertPerUpnPerWindowThenASummaryWithTheCount() throws Exception {
        var harness = perUpnPerHour();

        harness.processElement(detection("alice@contoso.com", "s1", T0), T0);
        harness.processElement(detection("alice@contoso.com", "s2", T0 + 10 * MINUTE), T0 + 10 * MINUTE);
        harness.processElement(detection("bob@contoso.com", "s1", T0 + 11 * MINUTE), T0 + 11 * MINUTE);
        harness.processElement(detection("alice@contoso.com", "s3", T0 + 59 * MINUTE), T0 + 59 * MINUTE);
        assertThat(harness.extractOutputValues())
                .extracting(w -> w.detection.record.upn + " " + w.detection.record.objectId)
                .as("first alert per upn goes out at once")
                .containsExactly("alice@contoso.com s1", "bob@contoso.com s1");

        harness.processWatermark(T0 + 60 * MINUTE);
        List<SuppressionWindow> out = harness.extractOutputValues();
        assertThat(out).hasSize(3);
        SuppressionWindow summary = out.get(2);
        assertThat(summary.detection.record.objectId)
                .as("the summary is alice's first alert again")
                .isEqualTo("s1");
        assertThat(summary.suppressedCount).isEqualTo(2);
        assertThat(summary.end).isEqualTo(T0 + 59 * MINUTE);

        JsonNode first = AlertFields.parse(AlertDocument.of(out.get(0), Instant.now(), Duration.ofDays(14)).json);
        JsonNode last = AlertFields.parse(AlertDocument.of(summary, Instant.now(), Duration.ofDays(14)).json);
        assertThat(last.get("kibana.alert.uuid"))
                .as("the summary updates the same alert")
                .isEqualTo(first.get("kibana.alert.uuid"));
        assertThat(last.get("kibana.alert.suppression.docs_count").asLong()).isEqualTo(2);
        assertThat(last.at("/kibana.alert.suppression.terms/0/field").asText())
                .isEqualTo("azure.platformlogs.identity.claim.upn");
        assertThat(last.at("/kibana.alert.suppression.terms/0/value/0").asText())
                .isEqualTo("alice@contoso.com");

        harness.processElement(detection("alice@contoso.com", "s4", T0 + 61 * MINUTE), T0 + 61 * MINUTE);
        harness.processWatermark(Long.MAX_VALUE);
        assertThat(harness.extractOutputValues())
                .hasSize(4)
                .last()
                .satisfies(w -> assertThat(w.detection.record.objectId)
                        .as("a new window opens")
                        .isEqualTo("s4"));
        assertThat(harness.numKeyedStateEntries()).isZero();
        harness.close();
    }

    @Test
    void aNewWindowOvertakingTheWatermarkClosesTheOldOneFirst() throws Exception {
        var harness = perUpnPerHour();
        harness.processElement(detection("alice@contoso.com", "s1", T0), T0);
        harness.processElement(detection("alice@contoso.com", "s2", T0 + MINUTE), T0 + MINUTE);
        // the next window's alert arrives before any watermark closes the first window
        harness.processElement(detection("alice@contoso.com", "s3", T0 + 61 * MINUTE), T0 + 61 * MINUTE);
        harness.processWatermark(Long.MAX_VALUE);

        assertThat(harness.extractOutputValues())
                .extracting(w -> w.detection.record.objectId + ":" + w.suppressedCount)
                .as("first window's alert, its summary, then the second window's alert; nothing lost")
                .containsExactly("s1:0", "s1:1", "s3:0");
        harness.close();
    }

    @Test
    void onBoundedInputAlertsAreTakenInEventTimeOrderWhateverTheirArrival() throws Exception {
        long[] minutes = {0, 10, 59, 60, 61, 125, 125, 200};
        List<String> reference = null;
        Random random = new Random(5);
        for (int round = 0; round < 30; round++) {
            List<Integer> order =
                    new ArrayList<>(IntStream.range(0, minutes.length).boxed().toList());
            if (round > 0) {
                Collections.shuffle(order, random);
            }
            var harness = new KeyedOneInputStreamOperatorTestHarness<>(
                    new KeyedProcessOperator<>(
                            new AlertSuppressor(SuppressionKey.parseList("upn"), Duration.ofHours(1), true)),
                    AlertSuppressor.keySelector(SuppressionKey.parseList("upn")),
                    Types.STRING);
            harness.open();
            for (int i : order) {
                long t = T0 + minutes[i] * MINUTE;
                harness.processElement(detection("alice@contoso.com", "s" + i, t), t);
            }
            assertThat(harness.extractOutputValues())
                    .as("nothing before the watermark")
                    .isEmpty();
            harness.processWatermark(Long.MAX_VALUE);
            List<String> out = harness.extractOutputValues().stream()
                    .map(w -> w.detection.record.objectId + ":" + w.suppressedCount)
                    .toList();
            if (reference == null) {
                assertThat(out)
                        .as(
                                "windows from minute 0 (10, 59 in it), 60 (61), 125 (the other 125; s5 by the tie order), 200")
                        .containsExactly("s0:0", "s0:2", "s3:0", "s3:1", "s5:0", "s5:1", "s7:0");
                reference = out;
            }
            assertThat(out).as("arrival order %s", order).isEqualTo(reference);
            assertThat(harness.numKeyedStateEntries())
                    .as("nothing left waiting")
                    .isZero();
            harness.close();
        }
    }

    static KeyedOneInputStreamOperatorTestHarness<String, Detection, SuppressionWindow> perUpnPerHour()
            throws Exception {
        List<RecordField> byUpn = SuppressionKey.parseList("upn");
        var harness = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new AlertSuppressor(byUpn, Duration.ofHours(1))),
                AlertSuppressor.keySelector(byUpn),
                Types.STRING);
        harness.open();
        return harness;
    }

    static Detection detection(String upn, String id, long t) {
        return new Detection(Records.read(upn, id, t), Detection.NEVER, false);
    }
}
