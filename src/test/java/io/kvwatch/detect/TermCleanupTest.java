package io.kvwatch.detect;

import static io.kvwatch.detect.FirstSeenDetectorTest.ALICE;
import static io.kvwatch.detect.FirstSeenDetectorTest.BOB;
import static io.kvwatch.detect.FirstSeenDetectorTest.DAY;
import static io.kvwatch.detect.FirstSeenDetectorTest.KEY;
import static io.kvwatch.detect.FirstSeenDetectorTest.SECOND;
import static io.kvwatch.detect.FirstSeenDetectorTest.SECRET;
import static io.kvwatch.detect.FirstSeenDetectorTest.T0;
import static io.kvwatch.detect.FirstSeenDetectorTest.WINDOW;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.Detection;
import io.kvwatch.model.TermKey;
import io.kvwatch.testing.Records;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The two ways terms are freed ({@link TermCleanup}) decide alike: the same alerts, carrying the same records, naming
 * the same previous sightings, marked late alike, for any arrival order and watermark, including records far behind
 * the watermark and alerts pending at a snapshot; and a snapshot with a cleanup timer per term restores into TTL mode.
 * TTL mode keeps no timer per term, and its TTL really frees what is not seen again.
 */
class TermCleanupTest {

    static KeyedOneInputStreamOperatorTestHarness<TermKey, AuditRecord, Detection> harness(TermCleanup cleanup)
            throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new FirstSeenDetector(Duration.ofDays(14), null, null, cleanup)),
                r -> new TermKey(r.termHi, r.termLo),
                TypeInformation.of(TermKey.class));
    }

    /** Everything an alert says that the detector decides: its record, the previous sighting, lateness. */
    static List<String> decisions(KeyedOneInputStreamOperatorTestHarness<TermKey, AuditRecord, Detection> h) {
        return h.extractOutputValues().stream()
                .map(d -> d.record.upn + " " + d.record.objectId + " " + d.record.ruleTime + " "
                        + d.record.correlationId + " <-"
                        + (d.previousSeen == Detection.NEVER ? "never" : d.previousSeen)
                        + (d.late ? " late" : ""))
                .toList();
    }

    /** One step of a scripted run: a record (with its arrival index as correlation id) or a watermark. */
    private record Step(String upn, String id, long time, boolean watermark) {
        static Step read(String upn, String id, long time) {
            return new Step(upn, id, time, false);
        }

        static Step watermark(long time) {
            return new Step(null, null, time, true);
        }
    }

    /**
     * Runs the steps in {@code first} mode; when {@code restoreAt} is not negative, snapshots after that step and
     * goes on, restored, in {@code then} mode. Returns the decisions and the harness (open), for its timers and state.
     */
    private static List<String> run(List<Step> steps, TermCleanup first, int restoreAt, TermCleanup then)
            throws Exception {
        KeyedOneInputStreamOperatorTestHarness<TermKey, AuditRecord, Detection> h = harness(first);
        h.open();
        List<String> out = new ArrayList<>();
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            if (s.watermark) {
                h.processWatermark(s.time);
            } else {
                AuditRecord r = Records.read(s.upn, s.id, s.time);
                r.correlationId = "c" + i;
                h.processElement(r, s.time);
            }
            if (i == restoreAt) {
                out.addAll(decisions(h));
                OperatorSubtaskState snapshot = h.snapshot(1L, i);
                h.close();
                h = harness(then);
                h.initializeState(snapshot);
                h.open();
            }
        }
        out.addAll(decisions(h));
        h.close();
        return out;
    }

    /**
     * Random streams: a few terms read in clusters about a window apart; most records arrive within the 30 s bound,
     * some far behind the watermark (up to 20 days late), watermarks in jumps of every size. Every mode, and a run
     * that switches from event-time to TTL mode at a snapshot (alerts pending), decides exactly alike.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
    void randomStreamsWithLateRecordsDecideAlikeInBothModes(long seed) throws Exception {
        List<Step> steps = randomSteps(seed);
        List<String> eventTime = run(steps, TermCleanup.EVENT_TIME, -1, null);
        List<String> ttl = run(steps, TermCleanup.TTL, -1, null);
        List<String> switched = run(steps, TermCleanup.EVENT_TIME, steps.size() / 2, TermCleanup.TTL);
        List<String> back = run(steps, TermCleanup.TTL, steps.size() / 3, TermCleanup.EVENT_TIME);

        assertThat(eventTime)
                .as("seed %d: the stream alerts, some of it late", seed)
                .anyMatch(d -> d.endsWith("late"));
        assertThat(eventTime)
                .as("seed %d: and re-alerts after absences (9 terms)", seed)
                .hasSizeGreaterThan(2 * 9);
        assertThat(ttl).as("seed %d: TTL mode decides as event-time mode", seed).isEqualTo(eventTime);
        assertThat(switched)
                .as("seed %d: event-time mode restored into TTL mode mid-stream", seed)
                .isEqualTo(eventTime);
        assertThat(back)
                .as("seed %d: TTL mode restored into event-time mode", seed)
                .isEqualTo(eventTime);
    }

    private static List<Step> randomSteps(long seed) {
        Random random = new Random(seed);
        long bound = 30 * SECOND;
        List<long[]> arrivals = new ArrayList<>(); // arrival time, index into reads
        List<Step> reads = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            // clusters 15 days apart, spread over days: gaps on both sides of the window
            long t = T0
                    + random.nextInt(8) * 15 * DAY
                    + (long) (random.nextGaussian() * 20_000)
                    + random.nextInt(3) * DAY;
            reads.add(Step.read("u" + random.nextInt(3), "o" + random.nextInt(3), t));
            long delay = random.nextInt(8) == 0
                    ? (long) (random.nextDouble() * 20 * DAY) // late: behind the watermark, maybe by a window
                    : (long) (random.nextDouble() * (bound - 1));
            arrivals.add(new long[] {t + delay, i});
        }
        arrivals.sort(Comparator.comparingLong(a -> a[0]));
        List<Step> steps = new ArrayList<>();
        long maxSeen = Long.MIN_VALUE;
        long watermark = Long.MIN_VALUE;
        for (long[] a : arrivals) {
            Step r = reads.get((int) a[1]);
            steps.add(r);
            maxSeen = Math.max(maxSeen, r.time);
            if (random.nextInt(6) == 0 && maxSeen - bound > watermark) {
                watermark = maxSeen - bound;
                steps.add(Step.watermark(watermark));
            }
        }
        steps.add(Step.watermark(Long.MAX_VALUE));
        return steps;
    }

    @Test
    void ttlModeKeepsNoTimerPerTermOnlyThoseOfPendingAlerts() throws Exception {
        for (TermCleanup mode : TermCleanup.values()) {
            try (var h = harness(mode)) {
                h.open();
                h.processElement(Records.read(ALICE, SECRET, T0), T0);
                h.processElement(Records.read(BOB, SECRET, T0 + SECOND), T0 + SECOND);
                h.processElement(Records.read(ALICE, KEY, T0 + 2 * SECOND), T0 + 2 * SECOND);
                assertThat(h.numEventTimeTimers())
                        .as("%s: alerts pending for three terms", mode)
                        .isEqualTo(mode == TermCleanup.TTL ? 3 : 6);
                h.processWatermark(T0 + DAY);
                assertThat(h.extractOutputValues())
                        .as("%s: three first sights", mode)
                        .hasSize(3);
                assertThat(h.numEventTimeTimers())
                        .as("%s: timers once the alerts are out", mode)
                        .isEqualTo(mode == TermCleanup.TTL ? 0 : 3);
                assertThat(h.numKeyedStateEntries())
                        .as("%s: the three terms' episodes", mode)
                        .isEqualTo(3);
            }
        }
    }

    /** Without a timer, an expired episode is pruned when the term is next read, exactly as the timer would have. */
    @Test
    void ttlModePrunesByTheWatermarkWhenTheTermIsTouched() throws Exception {
        List<Step> steps = List.of(
                Step.read(ALICE, SECRET, T0),
                Step.watermark(T0),
                Step.watermark(T0 + WINDOW + DAY), // event-time mode: the cleanup timer drops alice here
                Step.read(ALICE, SECRET, T0 + WINDOW + 2 * DAY),
                Step.read(ALICE, SECRET, T0 + WINDOW - SECOND), // late, and a window behind the watermark's edge
                Step.watermark(Long.MAX_VALUE));
        List<String> eventTime = run(steps, TermCleanup.EVENT_TIME, -1, null);

        assertThat(run(steps, TermCleanup.TTL, -1, null)).as("TTL mode").isEqualTo(eventTime);
        assertThat(eventTime)
                .as("dropped a window after t0: the late read is new and takes the pending alert over")
                .containsExactly(
                        ALICE + " " + SECRET + " " + T0 + " c0 <-never",
                        ALICE + " " + SECRET + " " + (T0 + WINDOW - SECOND) + " c4 <-never late");
    }

    /**
     * A record far behind the watermark adds an episode that the watermark has already passed by a window, before
     * the term's later episode. The next record is decided without it in both modes (in event-time mode it used to
     * stay until the term's next timer fired, so the decision depended on that timer's time).
     */
    @Test
    void anEpisodeAWindowBehindTheWatermarkIsGoneAtTheNextDecisionInBothModes() throws Exception {
        long later = T0 + 20 * DAY;
        List<Step> steps = List.of(
                Step.read(ALICE, SECRET, later),
                Step.watermark(later),
                Step.read(ALICE, SECRET, T0), // late by 20 days: alerts at once
                Step.read(ALICE, SECRET, T0 + SECOND), // its episode is a window behind the watermark
                Step.watermark(Long.MAX_VALUE));
        List<String> eventTime = run(steps, TermCleanup.EVENT_TIME, -1, null);

        assertThat(run(steps, TermCleanup.TTL, -1, null)).as("TTL mode").isEqualTo(eventTime);
        assertThat(eventTime)
                .as("each record a window behind the watermark is decided on what the window still holds")
                .containsExactly(
                        ALICE + " " + SECRET + " " + later + " c0 <-never",
                        ALICE + " " + SECRET + " " + T0 + " c2 <-never late",
                        ALICE + " " + SECRET + " " + (T0 + SECOND) + " c3 <-never late");
    }

    /** A savepoint of an older build (or of event-time mode) holds a cleanup timer per term: TTL mode runs them out. */
    @Test
    void cleanupTimersOfASnapshotFireInTtlModeAndAreNotRenewed() throws Exception {
        OperatorSubtaskState snapshot;
        try (var h = harness(TermCleanup.EVENT_TIME)) {
            h.open();
            h.processElement(Records.read(ALICE, SECRET, T0), T0);
            h.processElement(Records.read(BOB, SECRET, T0), T0);
            h.processWatermark(T0);
            h.processElement(Records.read(ALICE, SECRET, T0 + 3 * DAY), T0 + 3 * DAY);
            h.processElement(Records.read(BOB, KEY, T0 + 4 * DAY), T0 + 4 * DAY); // pending at the snapshot
            snapshot = h.snapshot(1L, T0 + 4 * DAY);
            assertThat(h.numEventTimeTimers())
                    .as("event-time mode: a timer per term, one pending")
                    .isEqualTo(4);
        }
        try (var h = harness(TermCleanup.TTL)) {
            h.initializeState(snapshot);
            h.open();
            assertThat(h.numEventTimeTimers()).as("the timers are restored").isEqualTo(4);
            h.processWatermark(T0 + 4 * DAY);
            assertThat(decisions(h))
                    .as("the pending alert leaves")
                    .containsExactly(BOB + " " + KEY + " " + (T0 + 4 * DAY) + " null <-never");
            h.processWatermark(T0 + WINDOW);
            assertThat(h.numKeyedStateEntries())
                    .as("bob's secret is dropped by its restored timer")
                    .isEqualTo(2);
            assertThat(h.numEventTimeTimers())
                    .as("alice's timer fired and was not moved forward: only bob's key's, due later, is left")
                    .isEqualTo(1);
            h.processElement(Records.read(ALICE, SECRET, T0 + 16 * DAY), T0 + 16 * DAY);
            h.processElement(Records.read(BOB, SECRET, T0 + 16 * DAY), T0 + 16 * DAY);
            h.processWatermark(T0 + 17 * DAY);
            assertThat(decisions(h))
                    .as("alice (seen on day 3) is known, bob's secret (day 0) is new again")
                    .endsWith(BOB + " " + SECRET + " " + (T0 + 16 * DAY) + " null <-never");
            assertThat(h.extractOutputValues()).hasSize(2);
        }
    }

    /**
     * In TTL mode the processing-time TTL is what frees a term not seen again: on the heap, the incremental cleanup
     * removes expired terms as other state is accessed.
     */
    @Test
    void ttlModeFreesUntouchedTermsByTheTtlOnTheHeap() throws Exception {
        try (var h = harness(TermCleanup.TTL)) {
            h.open();
            h.setStateTtlProcessingTime(0);
            for (int i = 0; i < 20; i++) {
                h.processElement(Records.read("user" + i, SECRET, T0), T0);
            }
            h.processWatermark(T0 + 30 * DAY);
            assertThat(h.numKeyedStateEntries())
                    .as("a month of event time later, no timer has freed the terms")
                    .isEqualTo(20);
            h.setStateTtlProcessingTime(Duration.ofDays(14).toMillis());
            h.processElement(Records.read(ALICE, SECRET, T0 + 30 * DAY + SECOND), T0 + 30 * DAY + SECOND);
            assertThat(h.numKeyedStateEntries())
                    .as("within the TTL (15 days) nothing is freed: 20 terms, alice's episodes and pending alert")
                    .isEqualTo(22);
            h.setStateTtlProcessingTime(Duration.ofDays(16).toMillis());
            // One entry checked per state access, walking the key groups' maps: a pass over 22 entries spread over
            // the key groups takes more accesses than there are entries (60 were not enough, 200 are).
            for (int i = 2; i < 200; i++) {
                h.processElement(Records.read(ALICE, SECRET, T0 + 30 * DAY + i * SECOND), T0 + 30 * DAY + i * SECOND);
            }
            assertThat(h.numKeyedStateEntries())
                    .as("16 days of processing time later, another term's reads have cleaned the 20 up")
                    .isEqualTo(2);
        }
    }

    @Test
    void theTtlCleansUpInTheBackgroundOnEveryBackend() {
        StateTtlConfig.CleanupStrategies cleanup =
                FirstSeenDetector.ttl(Duration.ofDays(15)).getCleanupStrategies();
        assertThat(cleanup.isCleanupInBackground()).as("background cleanup").isTrue();
        assertThat(cleanup.getIncrementalCleanupStrategy())
                .as("heap: incremental cleanup on state access")
                .isNotNull();
        assertThat(cleanup.inRocksdbCompactFilter())
                .as("RocksDB: compaction filter")
                .isTrue();
        assertThat(cleanup.getRocksdbCompactFilterCleanupStrategy().getPeriodicCompactionTime())
                .as("RocksDB: files no compaction touched are compacted daily, expired terms with them")
                .isEqualTo(Duration.ofDays(1));
        assertThat(cleanup.inFullSnapshot())
                .as("savepoints leave expired terms out")
                .isTrue();
    }

    @Test
    void theDefaultIsEventTimeForBoundedInputAndTheTtlForStreams() {
        assertThat(TermCleanup.defaultFor(true)).isEqualTo(TermCleanup.EVENT_TIME);
        assertThat(TermCleanup.defaultFor(false)).isEqualTo(TermCleanup.TTL);
    }
}
