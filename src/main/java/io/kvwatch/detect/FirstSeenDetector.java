package io.kvwatch.detect;

import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.Detection;
import io.kvwatch.model.TermKey;
import java.io.IOException;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.StreamingRuntimeContext;
import org.apache.flink.util.Collector;
import org.apache.flink.util.TimeUtils;

/**
 * Decides, per term (upn, properties.id), which sightings are new: those with no sighting of the same term in the
 * history window before them, in event time.
 *
 * <p>An alert is held until the watermark passes its record, because a record that arrives later but happened
 * earlier (within the out-of-orderness bound) can take the alert over or cancel it; a repeat is settled at once. A
 * record that arrives behind the watermark (late) is decided at once on what is known, never dropped. On a bounded
 * input the watermark stays back until the input is read, so every alert is decided on the whole history and nothing
 * is late, whatever the order of arrival.
 *
 * <p>State per term: the episodes of {@link TermHistory} and the alerts waiting for the watermark. Correctness comes
 * from the event times kept in state: whenever a term is touched, the episodes that ended a full window before the
 * watermark are pruned first (the same the cleanup timers drop, but at the moment of the decision, so that no
 * decision depends on when a timer happened to fire). What frees a term that is not seen again is the
 * {@link TermCleanup} mode: with {@link TermCleanup#EVENT_TIME} an event-time timer per term drops it once the
 * watermark is a full window past its last sighting; with {@link TermCleanup#TTL} there is no such timer (one row of
 * state less per term) and Flink's processing-time TTL drops it. In event-time mode the TTL is only a backstop for
 * terms whose timers cannot fire (event time stalled). Either way the TTL is by default a day longer than the window
 * and forgets no term the rule still needs as long as the job stays less than that margin behind its input; after a
 * longer outage a term untouched since before it can be forgotten early and alert again, which a larger
 * {@code state-ttl} avoids. Alerts waiting for the watermark have their own timers in both modes.
 */
public class FirstSeenDetector extends KeyedProcessFunction<TermKey, AuditRecord, Detection>
        implements CheckpointedFunction {

    private static final long serialVersionUID = 1L;

    /** The operator's uid: savepoints, and the history bootstrap, address its state by it. Never change it. */
    public static final String UID = "first-seen-detector";

    /** Beyond the window, how long processing time may pass before the TTL backstop drops an untouched term. */
    static final Duration TTL_MARGIN = Duration.ofDays(1);

    /** How old a RocksDB file may get before a compaction rewrites it, dropping the expired terms in it. */
    static final Duration ROCKSDB_PERIODIC_COMPACTION = Duration.ofDays(1);

    /** Of two records of a term at one instant, the one an alert carries: by content, whatever came first. */
    private static final Comparator<AuditRecord> SAME_INSTANT = Comparator.comparing(
                    (AuditRecord r) -> r.originalTime, Comparator.nullsFirst(Comparator.naturalOrder()))
            .thenComparing(r -> r.operation, Comparator.nullsFirst(Comparator.naturalOrder()))
            .thenComparing(r -> r.correlationId, Comparator.nullsFirst(Comparator.naturalOrder()))
            .thenComparing(r -> r.requestUri, Comparator.nullsFirst(Comparator.naturalOrder()))
            .thenComparing(r -> r.sourceIp, Comparator.nullsFirst(Comparator.naturalOrder()));

    private final long window;
    private final Duration stateTtl;
    /** Alerts for records earlier than the earliest record seen plus this are held back; -1 when off. */
    private final long learningPeriod;

    private final TermCleanup cleanup;

    private transient ValueState<long[]> episodes;
    private transient MapState<Long, Detection> pending;
    private transient Counter lateRecords;
    private transient Counter alerts;
    private transient Counter heldBack;
    private transient volatile long lastWatermark;
    /** The earliest rule time this subtask has seen, for the learning period; kept across restores. */
    private transient long firstSeen;

    private transient ListState<Long> firstSeenState;
    /** Whether the input has ended and {@link #firstSeen} is the earliest of all of it. */
    private transient boolean inputEnded;

    public FirstSeenDetector(Duration historyWindow) {
        this(historyWindow, null);
    }

    /**
     * @param learningPeriod when not null, the detector learns without alerting until event time is this far past
     *     the earliest record (by rule time, not by arrival: an alert is held back when its record is less than this
     *     after the earliest record seen by the time the alert is due, which on a bounded input is the earliest of
     *     the whole input, see {@link EarliestRuleTime}): for a start with empty state and no bootstrap
     */
    public FirstSeenDetector(Duration historyWindow, Duration learningPeriod) {
        this(historyWindow, learningPeriod, null);
    }

    /** @param stateTtl the TTL backstop, null for the default (see {@link #stateTtl}) */
    public FirstSeenDetector(Duration historyWindow, Duration learningPeriod, Duration stateTtl) {
        this(historyWindow, learningPeriod, stateTtl, TermCleanup.EVENT_TIME);
    }

    /** @param cleanup what frees the state of terms not seen again (the alerts do not depend on it) */
    public FirstSeenDetector(Duration historyWindow, Duration learningPeriod, Duration stateTtl, TermCleanup cleanup) {
        this.window = historyWindow.toMillis();
        this.learningPeriod = learningPeriod == null ? -1 : learningPeriod.toMillis();
        this.stateTtl = stateTtl(historyWindow, stateTtl);
        this.cleanup = Objects.requireNonNull(cleanup, "cleanup");
    }

    /** The TTL backstop when none is configured: the window plus a day. */
    public static Duration defaultStateTtl(Duration historyWindow) {
        return historyWindow.plus(TTL_MARGIN);
    }

    /**
     * The TTL to use: {@code configured}, or the default when null. A TTL not longer than the window would forget
     * terms the rule still needs even while the job keeps up, so it is refused.
     */
    public static Duration stateTtl(Duration historyWindow, Duration configured) {
        if (configured == null) {
            return defaultStateTtl(historyWindow);
        }
        if (configured.compareTo(historyWindow) <= 0) {
            throw new IllegalArgumentException("state-ttl (" + TimeUtils.formatWithHighestUnit(configured)
                    + ") must be longer than history-window (" + TimeUtils.formatWithHighestUnit(historyWindow)
                    + "): the state would be forgotten while the rule still needs it");
        }
        return configured;
    }

    /**
     * The term's episodes (see {@link TermHistory}). Anything that writes this state outside the job (the history
     * bootstrap) must use this descriptor, with a TTL, or a restore will refuse the state; the TTL's length may
     * differ.
     */
    public static ValueStateDescriptor<long[]> episodesDescriptor(Duration stateTtl) {
        ValueStateDescriptor<long[]> descriptor =
                new ValueStateDescriptor<>("term-episodes", EpisodesSerializer.INSTANCE);
        descriptor.enableTimeToLive(ttl(stateTtl));
        return descriptor;
    }

    static MapStateDescriptor<Long, Detection> pendingDescriptor(Duration stateTtl) {
        MapStateDescriptor<Long, Detection> descriptor =
                new MapStateDescriptor<>("pending-alerts", Types.LONG, TypeInformation.of(Detection.class));
        descriptor.enableTimeToLive(ttl(stateTtl));
        return descriptor;
    }

    /**
     * The TTL of the detector's state. Its cleanup strategies are Flink's background ones, spelt out because in
     * {@link TermCleanup#TTL} mode they are what frees terms not seen again: on the heap one entry is checked on each
     * state access (Flink's default of 5 scanned the state map's sparse table for 10% of the job's CPU; one still
     * passes over every term once per as many accesses as there are terms, far faster than terms expire), on RocksDB expired entries are dropped when compactions rewrite them, and a file no
     * compaction touched for a day is compacted for it (Flink's default is 30 days: expired terms would stay on disk
     * for up to a month after their TTL); full snapshots (savepoints, the heap backend's checkpoints) leave them out.
     */
    static StateTtlConfig ttl(Duration stateTtl) {
        return StateTtlConfig.newBuilder(stateTtl)
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .cleanupFullSnapshot()
                .cleanupIncrementally(1, false)
                .cleanupInRocksdbCompactFilter(1000, ROCKSDB_PERIODIC_COMPACTION)
                .build();
    }

    @Override
    public void open(OpenContext openContext) {
        episodes = getRuntimeContext().getState(episodesDescriptor(stateTtl));
        pending = getRuntimeContext().getMapState(pendingDescriptor(stateTtl));

        lateRecords = getRuntimeContext().getMetricGroup().counter("recordsLate");
        alerts = getRuntimeContext().getMetricGroup().counter("alerts");
        heldBack = getRuntimeContext().getMetricGroup().counter("alertsHeldBackLearning");
        lastWatermark = Long.MIN_VALUE;
        // Wall-clock time minus the operator's watermark: how far behind real time the rule's clock runs.
        getRuntimeContext()
                .getMetricGroup()
                .gauge(
                        "eventTimeLagMs",
                        () -> lastWatermark == Long.MIN_VALUE ? -1L : System.currentTimeMillis() - lastWatermark);
    }

    @Override
    public void processElement(AuditRecord record, Context ctx, Collector<Detection> out) throws Exception {
        long t = record.ruleTime;
        firstSeen = Math.min(firstSeen, t);
        long watermark = ctx.timerService().currentWatermark();
        lastWatermark = watermark;
        boolean late = t <= watermark;
        if (late) {
            lateRecords.inc();
        }
        long[] stored = episodes.value();
        // What the rule still needs: the watermark has passed every timer up to it, so in event-time mode the
        // cleanup timers have dropped much of this already, but not an episode that ended long before the last
        // episode of its term (a late record's), which waits for the term's next timer. Pruning here makes each
        // decision depend on the watermark alone, in both modes; in TTL mode it is the only event-time cleanup.
        long[] known = TermHistory.expire(stored, watermark, window);
        TermHistory.Insert insert = TermHistory.insert(known, t, window);
        if (insert.episodes == known) {
            if (known != stored) {
                episodes.update(known);
            }
            if (!late && TermHistory.startsEpisode(known, t)) {
                sameInstantAsPending(record, t);
            }
            return; // a repeat inside a known episode: nothing changes, nothing to say
        }
        if (known == null && cleanup == TermCleanup.EVENT_TIME) {
            // The term's cleanup, see onTimer. Also when stale episodes were stored: they may come from a TTL-mode
            // run without a timer (or a timer due at the next watermark; a second one then finds nothing).
            ctx.timerService().registerEventTimeTimer(t + window);
        }
        episodes.update(insert.episodes);
        if (insert.voidedStart != TermHistory.NONE) {
            // Its timer stays registered and finds nothing: cheaper than deleting it, and harmless.
            pending.remove(insert.voidedStart);
        }
        if (insert.episodes.length > 2) {
            updateNextPrevious(insert.episodes, t);
        }
        if (insert.newStart) {
            Detection detection = new Detection(record, insert.previousSeen, late);
            if (late) {
                emit(detection, watermark, out);
            } else {
                pending.put(t, detection);
                ctx.timerService().registerEventTimeTimer(t);
            }
        }
    }

    /**
     * Two sightings at the instant an alert is pending for: the alert carries one of the two records, chosen by their
     * content, not by which came first, so that any order of the input gives the same alert.
     */
    private void sameInstantAsPending(AuditRecord record, long t) throws Exception {
        Detection due = pending.get(t);
        if (due != null && SAME_INSTANT.compare(record, due.record) < 0) {
            due.record = record;
            pending.put(t, due);
        }
    }

    /**
     * A sighting that arrives after a later episode's alert can change that alert's previous sighting (an earlier
     * read, in the gap before it): keep the pending alert's in step, so that it says what the sorted input says.
     */
    private void updateNextPrevious(long[] known, long t) throws Exception {
        int i = 0;
        while (i + 2 < known.length && known[i + 2] <= t) {
            i += 2;
        }
        if (i + 2 >= known.length) {
            return;
        }
        Detection next = pending.get(known[i + 2]);
        if (next != null && next.previousSeen != known[i + 1]) {
            next.previousSeen = known[i + 1];
            pending.put(known[i + 2], next);
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Detection> out) throws Exception {
        lastWatermark = ctx.timerService().currentWatermark();
        Detection due = pending.get(timestamp);
        if (due != null) {
            pending.remove(timestamp);
            emit(due, lastWatermark, out);
        }
        long[] known = episodes.value();
        // Expire relative to this timer, not to the watermark: when the watermark jumps (catch-up, end of input),
        // timers fire one by one in time order, and an alert pending at a later time has not fired yet.
        long[] kept = TermHistory.expire(known, timestamp, window);
        if (kept == null) {
            episodes.clear();
            pending.clear();
        } else {
            if (kept != known) {
                episodes.update(kept);
            }
            if (cleanup == TermCleanup.EVENT_TIME) {
                // One cleanup timer per term, moved forward lazily: registering the same time twice is a no-op.
                // In TTL mode a timer that fires (an alert's, or a cleanup timer restored from an event-time run)
                // prunes as here, and registers none.
                ctx.timerService().registerEventTimeTimer(TermHistory.lastSeen(kept) + window);
            }
        }
    }

    private void emit(Detection detection, long watermark, Collector<Detection> out) throws IOException {
        if (learningPeriod >= 0 && detection.record.ruleTime - learningPeriod < learningStart(watermark)) {
            heldBack.inc(); // learnt (the history has it), not said
            return;
        }
        alerts.inc();
        out.collect(detection);
    }

    /**
     * The earliest rule time seen. Once the input has ended (the final watermark), it is the earliest of the whole
     * input, fetched once from {@link EarliestRuleTime}: on a bounded input, alerts come only then, so the learning
     * period starts at the earliest record, whichever subtask it went to and whenever it arrived.
     */
    private long learningStart(long watermark) throws IOException {
        if (watermark == Long.MAX_VALUE && !inputEnded) {
            inputEnded = true;
            firstSeen = Math.min(
                    firstSeen, EarliestRuleTime.ofInput((StreamingRuntimeContext) getRuntimeContext(), firstSeen));
        }
        return firstSeen;
    }

    // The learning period's start is operator state, not keyed: a union list, so that after a restore or a rescale
    // every subtask starts from the earliest first record any subtask had seen.
    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        firstSeenState = context.getOperatorStateStore()
                .getUnionListState(new ListStateDescriptor<>("learning-first-seen", Types.LONG));
        firstSeen = Long.MAX_VALUE;
        for (Long restored : firstSeenState.get()) {
            firstSeen = Math.min(firstSeen, restored);
        }
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        firstSeenState.update(firstSeen == Long.MAX_VALUE ? List.of() : List.of(firstSeen));
    }
}
