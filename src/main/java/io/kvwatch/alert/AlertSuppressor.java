package io.kvwatch.alert;

import io.kvwatch.model.Detection;
import io.kvwatch.model.RecordField;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Alert suppression, as in Elastic: at most one alert per value of the chosen fields (say, per upn) per duration of
 * event time. The first alert of a window goes out at once. When the window closes and alerts were suppressed, the
 * same alert goes out again — same {@code kibana.alert.uuid} — with {@code kibana.alert.suppression.docs_count} and
 * {@code .end} filled in, so a consumer that upserts by id (Elasticsearch, a compacted topic) ends up with Elastic's
 * final document, and a consumer that appends sees the summary as a second message.
 *
 * <p>Windows depend on the order of alerts, so on a bounded input, where the detector's alerts all come at the end
 * of the input and from several subtasks interleaved, each alert waits for the watermark and alerts are taken in
 * event-time order (ties by upn and object): the same windows whatever order the input was read in.
 */
public class AlertSuppressor extends KeyedProcessFunction<String, Detection, SuppressionWindow> {

    private static final long serialVersionUID = 1L;

    public static final String UID = "alert-suppression";

    /** Same-instant alerts in a fixed order, so that the same one opens the window in every run. */
    private static final Comparator<Detection> SAME_INSTANT = Comparator.comparing(
                    (Detection d) -> d.record.upn, Comparator.nullsFirst(Comparator.naturalOrder()))
            .thenComparing(d -> d.record.objectId, Comparator.nullsFirst(Comparator.naturalOrder()));

    private final List<RecordField> keys;
    private final long duration;
    private final boolean inEventTimeOrder;

    private transient ValueState<SuppressionWindow> window;
    /** With {@link #inEventTimeOrder}: alerts waiting for the watermark, by event time. */
    private transient MapState<Long, List<Detection>> waiting;

    private transient Counter suppressed;

    public AlertSuppressor(List<RecordField> keys, Duration duration) {
        this(keys, duration, false);
    }

    /**
     * @param inEventTimeOrder whether alerts wait for the watermark to be taken in event-time order (for a bounded
     *     input); else each is taken as it comes, the first of a window going out at once
     */
    public AlertSuppressor(List<RecordField> keys, Duration duration, boolean inEventTimeOrder) {
        this.keys = List.copyOf(keys);
        this.duration = duration.toMillis();
        this.inEventTimeOrder = inEventTimeOrder;
    }

    /** Keys the detections by the values of the suppression fields. */
    public static KeySelector<Detection, String> keySelector(List<RecordField> keys) {
        List<RecordField> fields = List.copyOf(keys);
        return d -> {
            StringBuilder sb = new StringBuilder();
            for (RecordField k : fields) {
                sb.append(SuppressionKey.valueOf(k, d.record)).append('\u0000');
            }
            return sb.toString();
        };
    }

    @Override
    public void open(OpenContext openContext) {
        window = getRuntimeContext()
                .getState(
                        new ValueStateDescriptor<>("suppression-window", TypeInformation.of(SuppressionWindow.class)));
        suppressed = getRuntimeContext().getMetricGroup().counter("alertsSuppressed");
        if (inEventTimeOrder) {
            waiting = getRuntimeContext()
                    .getMapState(new MapStateDescriptor<>(
                            "suppression-waiting", Types.LONG, Types.LIST(TypeInformation.of(Detection.class))));
        }
    }

    @Override
    public void processElement(Detection d, Context ctx, Collector<SuppressionWindow> out) throws Exception {
        long t = d.record.ruleTime;
        if (inEventTimeOrder && t > ctx.timerService().currentWatermark()) {
            List<Detection> at = waiting.get(t);
            if (at == null) {
                at = new ArrayList<>(1);
            }
            at.add(d);
            waiting.put(t, at);
            ctx.timerService().registerEventTimeTimer(t);
            return;
        }
        take(d, ctx.timerService(), out);
    }

    private void take(Detection d, TimerService timers, Collector<SuppressionWindow> out) throws Exception {
        long t = d.record.ruleTime;
        SuppressionWindow open = window.value();
        if (open != null && t < open.start + duration) {
            open.suppressedCount++;
            open.end = Math.max(open.end, t);
            window.update(open);
            suppressed.inc();
            return;
        }
        if (open != null && open.suppressedCount > 0) {
            // The next window's first alert can overtake the watermark that closes this window: close it here.
            out.collect(open);
        }
        SuppressionWindow opened = new SuppressionWindow(
                d,
                keys.stream().map(RecordField::path).toArray(String[]::new),
                keys.stream().map(k -> SuppressionKey.valueOf(k, d.record)).toArray(String[]::new),
                t);
        out.collect(opened);
        window.update(opened);
        timers.registerEventTimeTimer(t + duration);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<SuppressionWindow> out) throws Exception {
        if (inEventTimeOrder) {
            // Before closing the window that ends now: an alert at its end opens the next one (and closes it).
            List<Detection> due = waiting.get(timestamp);
            if (due != null) {
                waiting.remove(timestamp);
                due.sort(SAME_INSTANT);
                for (Detection d : due) {
                    take(d, ctx.timerService(), out);
                }
            }
        }
        SuppressionWindow open = window.value();
        if (open == null || open.start + duration != timestamp) {
            return; // a newer window's timer is still ahead
        }
        window.clear();
        if (open.suppressedCount > 0) {
            out.collect(open);
        }
    }
}
