package io.kvwatch.io;

import io.kvwatch.config.EventTimeSettings;
import io.kvwatch.config.JobOptions.StartingOffsets;
import io.kvwatch.config.KafkaSettings;
import io.kvwatch.model.RawMessage;
import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * Event Hubs messages from Kafka topics, or from event hubs through the Event Hubs Kafka endpoint. Event time is the
 * Kafka record timestamp (the Event Hubs enqueued time), with watermarks generated per partition inside the source:
 * a partition that falls behind holds the watermark back, and a quiet one does not hold back alerts: with broker
 * timestamps its watermark follows the wall clock ({@link IngestTimeWatermarks}), otherwise it stops counting after
 * the idleness timeout. The settings come resolved in {@link EventTimeSettings}.
 *
 * <p>Read positions are Flink state: a job restored from a checkpoint or savepoint resumes exactly there. They are
 * also committed to the consumer group at each completed checkpoint, for monitoring (consumer lag) and for a start
 * without state.
 */
public final class KafkaInput implements MessageInput {

    private final KafkaSettings kafka;
    private final EventTimeSettings eventTime;

    /** @param eventTime the watermark settings; see {@link IngestTimeWatermarks} for those of broker timestamps */
    public KafkaInput(KafkaSettings kafka, EventTimeSettings eventTime) {
        this.kafka = kafka;
        this.eventTime = eventTime;
    }

    @Override
    public DataStream<RawMessage> open(StreamExecutionEnvironment env) {
        KafkaSourceBuilder<RawMessage> builder = KafkaSource.<RawMessage>builder()
                .setProperties(kafka.consumerProperties())
                .setTopics(kafka.topics())
                .setGroupId(kafka.groupId())
                .setStartingOffsets(startingOffsets(kafka.startingOffsets()))
                .setDeserializer(new KafkaMessageDeserializer());
        if (kafka.bounded()) {
            builder.setBounded(OffsetsInitializer.latest());
        }
        // Given to the source (not assigned downstream), the strategy runs per partition; without a timestamp
        // assigner, each record's timestamp is its Kafka timestamp: the same value the parser takes as rule time.
        Duration bound = eventTime.outOfOrderness();
        Duration lag = eventTime.idleWatermarkLag();
        Duration idle = eventTime.idleness();
        // A bounded read emits no watermark until its end, when Flink emits the final one: every decision waits for
        // the whole history, whatever order the partitions are read in (see MessageInput#bounded).
        WatermarkStrategy<RawMessage> watermarks = kafka.bounded()
                ? WatermarkStrategy.noWatermarks()
                : eventTime.idleFollowsClock()
                        ? WatermarkStrategy.<RawMessage>forGenerator(ctx -> new IngestTimeWatermarks<>(
                                bound, lag, idle, ctx.getInputActivityClock(), System::currentTimeMillis))
                        : WatermarkStrategy.<RawMessage>forBoundedOutOfOrderness(bound)
                                .withIdleness(idle);
        return env.fromSource(builder.build(), watermarks, "Kafka " + String.join(",", kafka.topics()))
                .uid("kafka-source");
    }

    @Override
    public boolean stampsIngestTime() {
        return true;
    }

    @Override
    public boolean bounded() {
        return kafka.bounded();
    }

    @SuppressWarnings("deprecation") // OffsetResetStrategy: the type Flink's OffsetsInitializer takes
    static OffsetsInitializer startingOffsets(StartingOffsets start) {
        return switch (start) {
            case COMMITTED_EARLIEST -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
            case COMMITTED_LATEST -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.LATEST);
            case EARLIEST -> OffsetsInitializer.earliest();
            case LATEST -> OffsetsInitializer.latest();
        };
    }
}
