package io.kvwatch.io;

import java.time.Duration;
import java.util.function.LongSupplier;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.util.clock.RelativeClock;

/**
 * Watermarks for one partition whose timestamps are ingest times stamped by the broker (the Event Hubs enqueued
 * time): the newest timestamp minus a bound while records flow, and, while the partition is quiet, the wall clock
 * minus a lag (and the bound).
 *
 * <p>Why: alerts wait for the watermark, and the watermark is the least of all partitions'. With Flink's plain
 * idleness a quiet partition merely stops holding the watermark back; when every partition is quiet (a small tenant
 * at night), nothing advances it and the last alerts wait for the next record, possibly hours. A partition whose
 * timestamps the service assigns at append can receive no record older than the service's clock less the time a
 * record takes to reach the job, so its watermark may follow the wall clock less that time, the {@code lag}: it covers
 * the fetch (append to this generator) and the difference between the broker's and this machine's clocks. It is
 * separate from the {@code bound} of disorder within the partition, which for append times can be 0.
 *
 * <p>When to follow the clock: at once (in effect once the partition has been quiet for about the lag) when its last
 * record was read within the lag of its append, so the reader was at the partition's end; otherwise (no record read
 * yet since the start, or the last one read long after its append, as while a backlog is fetched) only after
 * {@code idleAfter} of quiet, so that a stalled fetch of a backlog is not taken for an empty partition. Time is
 * measured on Flink's input-activity clock, which stops while the source is backpressured or paused: the clock the
 * watermark follows is the wall clock at the last record plus the activity time since, so that records held up in the
 * job itself do not fall behind it.
 *
 * <p>Assumptions, hence opt-in for plain Kafka: timestamps are append times (Event Hubs enqueued time, or a topic with
 * {@code message.timestamp.type=LogAppendTime}), and the TaskManagers' clocks are within the lag of the broker's. A
 * record that still arrives behind the watermark (a fetch stalled longer than the lag) is late: decided at once and
 * counted, never dropped.
 */
public final class IngestTimeWatermarks<T> implements WatermarkGenerator<T> {

    private final long bound;
    private final long lag;
    private final long idleAfter;
    private final RelativeClock activity;
    private final LongSupplier wallClock;

    private long maxTimestamp = Long.MIN_VALUE;
    /** The wall clock and the activity clock when the last record was read (or the generator was made). */
    private long lastWall;

    private long lastActivity;
    /** Whether the last record was read within the lag of its append: the reader was at the partition's end. */
    private boolean atEnd;

    private long emitted = Long.MIN_VALUE;

    /**
     * @param bound disorder within the partition (0 for append times)
     * @param lag how far behind the wall clock a quiet partition's watermark follows it
     * @param idleAfter quiet time after which a partition not known to be read to its end follows the clock too
     */
    public IngestTimeWatermarks(
            Duration bound, Duration lag, Duration idleAfter, RelativeClock activity, LongSupplier wallClock) {
        this.bound = bound.toMillis();
        this.lag = lag.toMillis();
        this.idleAfter = idleAfter.toMillis();
        this.activity = activity;
        this.wallClock = wallClock;
        this.lastWall = wallClock.getAsLong();
        this.lastActivity = activity.relativeTimeMillis();
    }

    @Override
    public void onEvent(T event, long timestamp, WatermarkOutput output) {
        maxTimestamp = Math.max(maxTimestamp, timestamp);
        lastWall = wallClock.getAsLong();
        lastActivity = activity.relativeTimeMillis();
        atEnd = lastWall - timestamp <= lag;
    }

    @Override
    public void onPeriodicEmit(WatermarkOutput output) {
        long watermark = maxTimestamp == Long.MIN_VALUE ? Long.MIN_VALUE : maxTimestamp - bound - 1;
        long quiet = activity.relativeTimeMillis() - lastActivity;
        if (atEnd || quiet >= idleAfter) {
            // The wall clock, less any time since the last record that the source was blocked. A record not read yet
            // was appended after clock - lag, and is at most the bound older than the newest appended by then.
            long clock = lastWall + quiet;
            watermark = Math.max(watermark, clock - lag - bound - 1);
        }
        if (watermark > emitted) {
            emitted = watermark;
            output.emitWatermark(new Watermark(watermark));
        }
    }
}
