package io.kvwatch.io;

import java.time.Duration;
import java.util.function.LongSupplier;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.util.clock.RelativeClock;

/**
 * Watermarks for one partition whose timestamps are ingest times stamped by the broker (the Event Hubs enqueued
 * time): bounded out-of-orderness while records flow, and — once the partition has been quiet for the idle timeout —
 * the wall clock minus the bound.
 *
 * <p>Why: alerts wait for the watermark. With Flink's plain idleness a quiet partition merely stops holding the
 * watermark back; when every partition is quiet (a small tenant at night), nothing advances it and the last alerts
 * wait for the next record, possibly hours. A partition whose timestamps the service assigns at append can receive no
 * record older than the service's clock, so its watermark may follow the wall clock while it is quiet.
 *
 * <p>Assumptions, hence opt-in for plain Kafka: timestamps are append times (Event Hubs enqueued time, or a topic
 * with {@code message.timestamp.type=LogAppendTime}), and the TaskManagers' clocks are within the out-of-orderness
 * bound of the broker's. "Quiet" is measured on Flink's input-activity clock, which stops while the source is
 * backpressured, so a blocked consumer is not mistaken for an empty partition. A record that still arrives behind
 * the watermark is late: decided at once and counted, never dropped.
 */
public final class IngestTimeWatermarks<T> implements WatermarkGenerator<T> {

    private final long bound;
    private final long idleAfter;
    private final RelativeClock activity;
    private final LongSupplier wallClock;

    private long maxTimestamp = Long.MIN_VALUE;
    private long lastActivity;
    private long emitted = Long.MIN_VALUE;

    public IngestTimeWatermarks(Duration bound, Duration idleAfter, RelativeClock activity, LongSupplier wallClock) {
        this.bound = bound.toMillis();
        this.idleAfter = idleAfter.toMillis();
        this.activity = activity;
        this.wallClock = wallClock;
        this.lastActivity = activity.relativeTimeMillis();
    }

    @Override
    public void onEvent(T event, long timestamp, WatermarkOutput output) {
        maxTimestamp = Math.max(maxTimestamp, timestamp);
        lastActivity = activity.relativeTimeMillis();
    }

    @Override
    public void onPeriodicEmit(WatermarkOutput output) {
        long watermark = maxTimestamp == Long.MIN_VALUE ? Long.MIN_VALUE : maxTimestamp - bound - 1;
        if (activity.relativeTimeMillis() - lastActivity >= idleAfter) {
            watermark = Math.max(watermark, wallClock.getAsLong() - bound - 1);
        }
        if (watermark > emitted) {
            emitted = watermark;
            output.emitWatermark(new Watermark(watermark));
        }
    }
}
