package io.kvwatch.io;

import io.kvwatch.alert.Alert;
import io.kvwatch.config.KafkaSettings;
import java.nio.charset.StandardCharsets;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.KafkaSinkBuilder;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Alerts and dead letters to Kafka topics (or event hubs). Alerts are keyed by their deterministic id, so that a
 * compacted topic keeps one copy and a consumer can drop repeats; dead letters are unkeyed.
 *
 * <p>Exactly-once writes each checkpoint's output in a Kafka transaction committed when the checkpoint completes:
 * consumers reading with {@code isolation.level=read_committed} see every alert once, one checkpoint interval after
 * it was made. At-least-once flushes at each checkpoint instead; after a failure the output since the last checkpoint
 * is written again, with the same alert ids.
 */
public final class KafkaOutputs implements JobOutputs {

    private final KafkaSettings kafka;

    /** The alert sink's uid; its writer's operator id derives from it (the run summary counts by it). */
    public static final String ALERT_SINK_UID = "kafka-alert-sink";

    public KafkaOutputs(KafkaSettings kafka) {
        this.kafka = kafka;
    }

    @Override
    public void alerts(DataStream<Alert> alerts) {
        alerts.sinkTo(sink(new AlertRecords(kafka.alertsTopic()), "-alerts"))
                .uid(ALERT_SINK_UID)
                .name("Alerts to Kafka " + kafka.alertsTopic());
    }

    @Override
    public void deadLetters(DataStream<String> deadLetters) {
        deadLetters
                .sinkTo(sink(new DeadLetterRecords(kafka.deadLettersTopic()), "-dead-letters"))
                .uid("kafka-dead-letter-sink")
                .name("Dead letters to Kafka " + kafka.deadLettersTopic());
    }

    private <T> KafkaSink<T> sink(KafkaRecordSerializationSchema<T> records, String transactionalIdSuffix) {
        KafkaSinkBuilder<T> builder = KafkaSink.<T>builder()
                .setKafkaProducerConfig(kafka.producerProperties())
                .setRecordSerializer(records)
                .setDeliveryGuarantee(kafka.deliveryGuarantee());
        if (kafka.deliveryGuarantee() == DeliveryGuarantee.EXACTLY_ONCE) {
            // Two sinks of one job must not share transactional ids; the prefix must stay the same across restarts,
            // so that the restored sink finds and aborts its predecessor's open transactions.
            builder.setTransactionalIdPrefix(kafka.transactionalIdPrefix() + transactionalIdSuffix);
            // Flink's default (1 h) exceeds Kafka's default broker cap (transaction.max.timeout.ms, 15 min): the
            // producer would be refused at the first transaction.
            builder.setProperty(
                    "transaction.timeout.ms",
                    Long.toString(kafka.transactionTimeout().toMillis()));
        }
        return builder.build();
    }

    /**
     * Alert id as key, JSON document as value. No record timestamp: the producer stamps the time of writing, so that
     * the topic's time-based retention counts from when the alert was made, even for a backfill of old records.
     */
    static final class AlertRecords implements KafkaRecordSerializationSchema<Alert> {
        private static final long serialVersionUID = 1L;
        private final String topic;

        AlertRecords(String topic) {
            this.topic = topic;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(Alert alert, KafkaSinkContext context, Long timestamp) {
            return new ProducerRecord<>(
                    topic,
                    null,
                    null,
                    alert.id.getBytes(StandardCharsets.UTF_8),
                    alert.json.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** The dead-letter document as value, no key. */
    static final class DeadLetterRecords implements KafkaRecordSerializationSchema<String> {
        private static final long serialVersionUID = 1L;
        private final String topic;

        DeadLetterRecords(String topic) {
            this.topic = topic;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(String deadLetter, KafkaSinkContext context, Long timestamp) {
            return new ProducerRecord<>(topic, null, null, null, deadLetter.getBytes(StandardCharsets.UTF_8));
        }
    }
}
