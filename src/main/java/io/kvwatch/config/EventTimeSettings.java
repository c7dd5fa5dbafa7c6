package io.kvwatch.config;

import io.kvwatch.config.JobOptions.TimestampType;
import java.time.Duration;
import org.apache.flink.util.TimeUtils;

/**
 * The event-time settings in force for an input: each one given explicitly wins; the rest derive from who stamps the
 * input's timestamps.
 *
 * <p>Why derived: the out-of-orderness bound is what every alert waits, so its right value depends on the input.
 * Timestamps that the broker assigns at append (Event Hubs' enqueued time, a {@code LogAppendTime} topic) follow the
 * partition's order, so within a partition no record can be older than one read before it and the bound can be 0;
 * order across partitions is kept by the per-partition watermarks. Such a partition can also receive no record older
 * than the broker's clock, so a quiet one may let its watermark follow the wall clock, less a lag for the fetch and
 * the clocks' difference. Producer-set timestamps (plain Kafka's default, {@code CreateTime}) can arrive in any order
 * and late, and so can the records of files: they keep a safe 30 s bound and watermarks that only records move.
 *
 * @param brokerTimestamps whether the input's timestamps are broker append times (Kafka input only)
 * @param outOfOrderness the bound of disorder within a partition (of the whole input, for record time)
 * @param idleness quiet time after which a partition stops holding the watermark back (see {@link JobOptions#IDLENESS})
 * @param idleFollowsClock whether a quiet partition's watermark follows the wall clock
 * @param idleWatermarkLag how far behind the wall clock it follows
 */
public record EventTimeSettings(
        boolean brokerTimestamps,
        Duration outOfOrderness,
        Duration idleness,
        boolean idleFollowsClock,
        Duration idleWatermarkLag) {

    /** The bound for producer-set timestamps and record times: late and out of order by up to this, in practice. */
    public static final Duration SAFE_OUT_OF_ORDERNESS = Duration.ofSeconds(30);

    /** For Kafka input (Event Hubs or a plain Kafka cluster). */
    public static EventTimeSettings forKafka(JobConfig config, boolean eventHubs) {
        TimestampType type = config.getOptional(JobOptions.KAFKA_TIMESTAMP_TYPE)
                .orElse(eventHubs ? TimestampType.LOG_APPEND_TIME : TimestampType.CREATE_TIME);
        return resolve(config, type == TimestampType.LOG_APPEND_TIME);
    }

    /** For Kafka input as configured. */
    public static EventTimeSettings forKafka(JobConfig config, KafkaSettings kafka) {
        return forKafka(config, kafka.isEventHubs());
    }

    /** For input that carries no ingest timestamp (files): event time is each record's own time. */
    public static EventTimeSettings forRecordTime(JobConfig config) {
        return resolve(config, false);
    }

    private static EventTimeSettings resolve(JobConfig config, boolean brokerTimestamps) {
        return new EventTimeSettings(
                brokerTimestamps,
                config.getOptional(JobOptions.OUT_OF_ORDERNESS)
                        .orElse(brokerTimestamps ? Duration.ZERO : SAFE_OUT_OF_ORDERNESS),
                config.get(JobOptions.IDLENESS),
                config.getOptional(JobOptions.IDLE_WATERMARK_FOLLOWS_CLOCK).orElse(brokerTimestamps),
                config.get(JobOptions.IDLE_WATERMARK_LAG));
    }

    /** One line for the log: what is in force. */
    public String describe() {
        return "out-of-orderness " + TimeUtils.formatWithHighestUnit(outOfOrderness)
                + (brokerTimestamps ? " (broker timestamps)" : "")
                + ", idleness " + TimeUtils.formatWithHighestUnit(idleness)
                + (idleFollowsClock
                        ? ", quiet partitions follow the clock less "
                                + TimeUtils.formatWithHighestUnit(idleWatermarkLag)
                        : "");
    }
}
