package io.kvwatch.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.Detection;
import io.kvwatch.model.TermKey;
import io.kvwatch.testing.Records;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The detector under Flink's keyed operator harness: alerts, timers, state hygiene, snapshot and restore. */
class FirstSeenDetectorTest {

    static final long SECOND = 1_000;
    static final long DAY = Duration.ofDays(1).toMillis();
    static final long WINDOW = 14 * DAY;
    static final long T0 = 1_790_000_000_000L;

    static final String ALICE = "alice@contoso.com";
    static final String BOB = "bob@contoso.com";
    static final String SECRET = "https://kv-a.vault.azure.net/secrets/db-password";
    static final String KEY = "https://kv-a.vault.azure.net/keys/kek";

    private KeyedOneInputStreamOperatorTestHarness<TermKey, AuditRecord, Detection> harness;

    @BeforeEach
    void setUp() throws Exception {
        harness = newHarness();
        harness.open();
    }

    @AfterEach
    void tearDown() throws Exception {
        harness.close();
    }

    static KeyedOneInputStreamOperatorTestHarness<TermKey, AuditRecord, Detection> newHarness() throws Exception {
        return harness(null, null);
    }

    /** The 14-day detector under the keyed harness; null learning period or TTL for the defaults. */
    static KeyedOneInputStreamOperatorTestHarness<TermKey, AuditRecord, Detection> harness(
            Duration learningPeriod, Duration stateTtl) throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new FirstSeenDetector(Duration.ofDays(14), learningPeriod, stateTtl)),
                r -> new TermKey(r.termHi, r.termLo),
                TypeInformation.of(TermKey.class));
    }

    /** The rule times of the harness's alerts so far. */
    static List<Long> ruleTimes(KeyedOneInputStreamOperatorTestHarness<TermKey, AuditRecord, Detection> h) {
        return h.extractOutputValues().stream().map(d -> d.record.ruleTime).toList();
    }

    private void read(String upn, String id, long t) throws Exception {
        harness.processElement(Records.read(upn, id, t), t);
    }

    private List<Long> alertTimes() {
        return ruleTimes(harness);
    }

    @Test
    void firstSightAlertsOnceTheWatermarkPassesIt() throws Exception {
        read(ALICE, SECRET, T0);
        assertThat(alertTimes()).as("an alert waits for the watermark").isEmpty();

        harness.processWatermark(T0);

        assertThat(alertTimes()).as("first sight alerts").containsExactly(T0);
        Detection d = harness.extractOutputValues().get(0);
        assertThat(d.previousSeen).as("nothing seen before").isEqualTo(Detection.NEVER);
        assertThat(d.late).isFalse();
        assertThat(d.record.upn).isEqualTo(ALICE);
    }

    @Test
    void repeatWithinFourteenDaysDoesNotAlert() throws Exception {
        read(ALICE, SECRET, T0);
        harness.processWatermark(T0);
        read(ALICE, SECRET, T0 + DAY);
        read(ALICE, SECRET, T0 + 13 * DAY);
        read(ALICE, SECRET, T0 + 13 * DAY + WINDOW); // 14 days after the previous read exactly: still within
        harness.processWatermark(T0 + 27 * DAY + SECOND);

        assertThat(alertTimes()).as("only the first read alerts").containsExactly(T0);
    }

    @Test
    void readAfterMoreThanFourteenDaysOfAbsenceAlertsAgain() throws Exception {
        read(ALICE, SECRET, T0);
        harness.processWatermark(T0 + SECOND);
        long again = T0 + WINDOW + 1;
        read(ALICE, SECRET, again);
        harness.processWatermark(again);

        assertThat(alertTimes())
                .as("first sight, then again after 14 days and 1 ms")
                .containsExactly(T0, again);
        assertThat(harness.extractOutputValues().get(1).previousSeen)
                .as("the alert names the last sighting")
                .isEqualTo(T0);
    }

    @Test
    void outOfOrderArrivalGivesTheSameAlertsAsTimestampOrder() throws Exception {
        long beforeBoundary = T0 + WINDOW - 5 * SECOND;
        long afterBoundary = T0 + WINDOW + 5 * SECOND;
        read(ALICE, SECRET, T0);
        harness.processWatermark(T0 + SECOND);
        // the later one arrives first, within the 30 s out-of-orderness bound
        read(ALICE, SECRET, afterBoundary);
        read(ALICE, SECRET, beforeBoundary);
        harness.processWatermark(afterBoundary + 30 * SECOND);

        assertThat(alertTimes()).as("exactly one alert, at t0").containsExactly(T0);
    }

    @Test
    void earlierRecordArrivingLaterTakesOverThePendingAlert() throws Exception {
        read(ALICE, SECRET, T0 + 10 * SECOND);
        read(ALICE, SECRET, T0);
        harness.processWatermark(T0 + 20 * SECOND);

        assertThat(alertTimes()).as("the alert belongs to the earliest read").containsExactly(T0);
    }

    @Test
    void lateRecordIsEvaluatedNotDropped() throws Exception {
        read(ALICE, SECRET, T0);
        harness.processWatermark(T0 + DAY);
        // behind the watermark: decided at once on what is known
        read(ALICE, SECRET, T0 + 2 * SECOND);
        read(BOB, SECRET, T0 + 3 * SECOND);

        assertThat(alertTimes())
                .as("the late repeat does not alert, the late new term does, at once")
                .containsExactly(T0, T0 + 3 * SECOND);
        assertThat(harness.extractOutputValues().get(1).late)
                .as("the alert says it was late")
                .isTrue();
    }

    @Test
    void twoTermsInterleavedAreIndependent() throws Exception {
        read(ALICE, SECRET, T0);
        read(BOB, SECRET, T0 + SECOND);
        read(ALICE, KEY, T0 + 2 * SECOND);
        read(ALICE, SECRET, T0 + 3 * SECOND);
        read(BOB, SECRET, T0 + 4 * SECOND);
        harness.processWatermark(T0 + DAY);
        read(BOB, SECRET, T0 + 16 * DAY);
        read(ALICE, KEY, T0 + 10 * DAY + 2 * SECOND);
        harness.processWatermark(T0 + 17 * DAY);

        assertThat(harness.extractOutputValues())
                .extracting(d -> d.record.upn + " " + d.record.objectId + " " + (d.record.ruleTime - T0))
                .as("three first sights and bob's return after 16 days")
                .containsExactly(
                        ALICE + " " + SECRET + " 0",
                        BOB + " " + SECRET + " 1000",
                        ALICE + " " + KEY + " 2000",
                        BOB + " " + SECRET + " " + 16 * DAY);
    }

    @Test
    void watermarkJumpingPastCleanupAndAPendingAlertKeepsTheAlert() throws Exception {
        read(ALICE, SECRET, T0);
        harness.processWatermark(T0);
        long again = T0 + WINDOW + DAY;
        read(ALICE, SECRET, again); // pending, while the first episode's cleanup is still due
        harness.processWatermark(Long.MAX_VALUE); // end of input: every timer fires in one go

        assertThat(alertTimes())
                .as("the re-alert survives the cleanup of the earlier episode")
                .containsExactly(T0, again);
        assertThat(harness.numKeyedStateEntries()).isZero();
    }

    @Test
    void learningPeriodHoldsAlertsBackButLearnsAndSurvivesRestore() throws Exception {
        var h = harness(Duration.ofDays(14), null);
        h.open();
        h.processElement(Records.read(ALICE, SECRET, T0), T0);
        h.processElement(Records.read(BOB, SECRET, T0 + DAY), T0 + DAY);
        h.processWatermark(T0 + 2 * DAY);
        assertThat(h.extractOutputValues()).as("nothing said while learning").isEmpty();

        OperatorSubtaskState snapshot = h.snapshot(1L, T0 + 2 * DAY);
        h.close();
        h = harness(Duration.ofDays(14), null);
        h.initializeState(snapshot);
        h.open();
        h.processElement(Records.read(ALICE, SECRET, T0 + 13 * DAY), T0 + 13 * DAY); // known: learnt
        h.processElement(Records.read(ALICE, KEY, T0 + 13 * DAY), T0 + 13 * DAY); // new, but still learning
        h.processElement(Records.read(BOB, KEY, T0 + 14 * DAY), T0 + 14 * DAY); // new, learning is over
        h.processElement(Records.read(BOB, SECRET, T0 + 14 * DAY + 1), T0 + 14 * DAY + 1); // known: learnt
        h.processWatermark(T0 + 15 * DAY);

        assertThat(h.extractOutputValues())
                .extracting(d -> d.record.upn + " " + d.record.objectId)
                .as("only what is new after learning, measured from the first record before the restore")
                .containsExactly(BOB + " " + KEY);
        h.close();
    }

    @Test
    void sameInstantTwiceAlertsOnce() throws Exception {
        read(ALICE, SECRET, T0);
        read(ALICE, SECRET, T0);
        harness.processWatermark(T0);
        assertThat(alertTimes()).containsExactly(T0);
    }

    @Test
    void stateIsGoneOnceEventTimeIsAWindowPastTheLastSighting() throws Exception {
        read(ALICE, SECRET, T0);
        read(ALICE, SECRET, T0 + 3 * DAY);
        harness.processWatermark(T0 + 3 * DAY);
        assertThat(harness.numKeyedStateEntries()).as("the term is tracked").isPositive();

        harness.processWatermark(T0 + 3 * DAY + WINDOW - 1);
        assertThat(harness.numKeyedStateEntries())
                .as("still needed a millisecond before the window ends")
                .isPositive();

        harness.processWatermark(T0 + 3 * DAY + WINDOW);
        assertThat(harness.numKeyedStateEntries())
                .as("no keyed state left for the term")
                .isZero();
        assertThat(harness.numEventTimeTimers())
                .as("no timers left for the term")
                .isZero();
    }

    @Test
    void snapshotAndRestoreMidStreamGivesTheSameAlerts() throws Exception {
        // Reference: one uninterrupted run.
        List<Long> uninterrupted = runScript(null);
        // The same input with a snapshot and restore in the middle, while an alert is pending.
        List<Long> restored = runScript(3);

        assertThat(restored)
                .as("alerts after restore equal an uninterrupted run")
                .isEqualTo(uninterrupted);
        assertThat(uninterrupted)
                .as("alice and bob first, alice after 14 days, bob after 18")
                .hasSize(4);
    }

    /**
     * The TTL backstop runs on processing time. An outage longer than its margin over the window (processing time
     * passes, event time does not) forgets a term the rule still needs: the next read alerts as new. A longer
     * state-ttl rides the outage through.
     */
    @Test
    void anOutageLongerThanTheTtlMarginForgetsATermUnlessStateTtlCoversIt() throws Exception {
        assertThat(readAfterOutage(null, 16 * DAY))
                .as("default TTL (window + 1 day), 16-day outage: forgotten")
                .containsExactly(T0, T0 + DAY);
        assertThat(readAfterOutage(null, 14 * DAY))
                .as("default TTL, 14-day outage: still known")
                .containsExactly(T0);
        assertThat(readAfterOutage(Duration.ofDays(30), 16 * DAY))
                .as("state-ttl 30 days, 16-day outage: known")
                .containsExactly(T0);
    }

    /** Alert times: a read at T0, then, after {@code outage} of processing time, a read of it a day later. */
    private static List<Long> readAfterOutage(Duration stateTtl, long outage) throws Exception {
        try (KeyedOneInputStreamOperatorTestHarness<TermKey, AuditRecord, Detection> h = harness(null, stateTtl)) {
            h.open();
            h.setStateTtlProcessingTime(0);
            h.processElement(Records.read(ALICE, SECRET, T0), T0);
            h.processWatermark(T0);
            h.setStateTtlProcessingTime(outage);
            h.processElement(Records.read(ALICE, SECRET, T0 + DAY), T0 + DAY);
            h.processWatermark(T0 + DAY);
            return ruleTimes(h);
        }
    }

    @Test
    void aSnapshotRestoresUnderAnotherStateTtl() throws Exception {
        OperatorSubtaskState snapshot;
        try (KeyedOneInputStreamOperatorTestHarness<TermKey, AuditRecord, Detection> h = harness(null, null)) {
            h.open();
            h.processElement(Records.read(ALICE, SECRET, T0), T0);
            h.processWatermark(T0);
            snapshot = h.snapshot(1L, T0);
        }
        try (KeyedOneInputStreamOperatorTestHarness<TermKey, AuditRecord, Detection> h =
                harness(null, Duration.ofDays(21))) {
            h.initializeState(snapshot);
            h.open();
            h.processElement(Records.read(ALICE, SECRET, T0 + DAY), T0 + DAY);
            h.processElement(Records.read(BOB, SECRET, T0 + DAY), T0 + DAY);
            h.processWatermark(T0 + DAY);
            assertThat(h.extractOutputValues())
                    .as("after the restore: the known term stays quiet, a new one alerts")
                    .extracting(d -> d.record.upn)
                    .containsExactly(BOB);
        }
    }

    @Test
    void aStateTtlNotLongerThanTheWindowIsRefused() {
        assertThat(FirstSeenDetector.stateTtl(Duration.ofDays(14), null)).isEqualTo(Duration.ofDays(15));
        assertThat(FirstSeenDetector.stateTtl(Duration.ofDays(14), Duration.ofDays(21)))
                .isEqualTo(Duration.ofDays(21));
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> new FirstSeenDetector(Duration.ofDays(14), null, Duration.ofDays(14)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("state-ttl (14 d) must be longer than history-window (14 d)");
    }

    private List<Long> runScript(Integer restoreAfterStep) throws Exception {
        long[][] steps = {
            {0, T0},
            {1, T0 + 10 * SECOND},
            {-1, T0 + 5 * SECOND},
            {0, T0 + 20 * SECOND},
            {0, T0 + WINDOW + 30 * SECOND},
            {1, T0 + 2 * DAY},
            {-1, T0 + 20 * DAY},
            {1, T0 + 20 * DAY},
            {-1, T0 + 40 * DAY}
        };
        KeyedOneInputStreamOperatorTestHarness<TermKey, AuditRecord, Detection> h = newHarness();
        h.open();
        List<Long> alerts = new java.util.ArrayList<>();
        for (int i = 0; i < steps.length; i++) {
            long[] step = steps[i];
            if (step[0] < 0) {
                h.processWatermark(step[1]);
            } else {
                h.processElement(Records.read(step[0] == 0 ? ALICE : BOB, SECRET, step[1]), step[1]);
            }
            if (restoreAfterStep != null && i == restoreAfterStep) {
                alerts.addAll(ruleTimes(h));
                OperatorSubtaskState snapshot = h.snapshot(1L, step[1]);
                h.close();
                h = newHarness();
                h.initializeState(snapshot);
                h.open();
            }
        }
        alerts.addAll(ruleTimes(h));
        assertThat(h.numKeyedStateEntries()).as("all state expired at the end").isZero();
        h.close();
        return alerts;
    }
}
