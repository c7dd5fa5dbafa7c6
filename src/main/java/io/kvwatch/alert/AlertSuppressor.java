package io.kvwatch.alert;

import io.kvwatch.model.Detection;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Alert suppression, as in Elastic: at most one alert per value of the chosen fields (say, per upn) per duration of
 * event time. The first alert of a window goes out at once. When the window closes and alerts were suppressed, the
 * same alert goes out again — same {@code kibana.alert.uuid} — with {@code kibana.alert.suppression.docs_count} and
 * {@code .end} filled in, so a consumer that upserts by id (Elasticsearch, a compacted topic) ends up with Elastic's
 * final document, and a consumer that appends sees the summary as a second message.
 */
public class AlertSuppressor extends KeyedProcessFunction<String, Detection, Detection> {

    private static final long serialVersionUID = 1L;

    public static final String UID = "alert-suppression";

    private final List<SuppressionKey> keys;
    private final long duration;

    private transient ValueState<Detection> window;
    private transient Counter suppressed;

    public AlertSuppressor(List<SuppressionKey> keys, Duration duration) {
        this.keys = List.copyOf(keys);
        this.duration = duration.toMillis();
    }

    /** Keys the detections by the values of the suppression fields. */
    public static KeySelector<Detection, String> keySelector(List<SuppressionKey> keys) {
        List<SuppressionKey> fields = List.copyOf(keys);
        return d -> {
            StringBuilder sb = new StringBuilder();
            for (SuppressionKey k : fields) {
                sb.append(k.valueOf(d.record)).append('\u0000');
            }
            return sb.toString();
        };
    }

    @Override
    public void open(OpenContext openContext) {
        window = getRuntimeContext().getState(
                new ValueStateDescriptor<>("suppression-window", TypeInformation.of(Detection.class)));
        suppressed = getRuntimeContext().getMetricGroup().counter("alertsSuppressed");
    }

    @Override
    public void processElement(Detection d, Context ctx, Collector<Detection> out) throws Exception {
        long t = d.record.ruleTime;
        Detection open = window.value();
        if (open != null && t < open.suppressionStart + duration) {
            open.suppressedCount++;
            open.suppressionEnd = Math.max(open.suppressionEnd, t);
            window.update(open);
            suppressed.inc();
            return;
        }
        if (open != null && open.suppressedCount > 0) {
            // The next window's first alert can overtake the watermark that closes this window: close it here.
            out.collect(open);
        }
        d.suppressedCount = 0;
        d.suppressionStart = t;
        d.suppressionEnd = t;
        d.suppressionFields = keys.stream().map(SuppressionKey::ecsField).toArray(String[]::new);
        d.suppressionValues = keys.stream().map(k -> k.valueOf(d.record)).toArray(String[]::new);
        out.collect(d);
        window.update(d);
        ctx.timerService().registerEventTimeTimer(t + duration);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Detection> out) throws Exception {
        Detection open = window.value();
        if (open == null || open.suppressionStart + duration != timestamp) {
            return; // a newer window's timer is still ahead
        }
        window.clear();
        if (open.suppressedCount > 0) {
            out.collect(open);
        }
    }
}
