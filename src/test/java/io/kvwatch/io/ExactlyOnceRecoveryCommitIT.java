package io.kvwatch.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvwatch.testing.KafkaBrokerExtension;
import io.kvwatch.testing.KafkaTopics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.flink.connector.kafka.sink.internal.FlinkKafkaInternalProducer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The two moments of a crash that matter to exactly-once alerts, with the producer Flink's Kafka sink uses, against
 * the real (Kafka 4) broker: its transaction protocol moves the producer epoch on at every commit, which Flink's
 * way of finishing a transaction after a restore (resume it by producer id and epoch, then commit) must survive.
 *
 * <ol>
 *   <li>The checkpoint completed but the TaskManager died before committing: the restored job's committer must
 *       commit the transaction, or the alerts in it are lost.
 *   <li>The TaskManager committed and then died: the restored committer's second commit is refused as fenced (the
 *       ERROR every restore logs, see docs/operations.md) and the alerts are there once.
 * </ol>
 */
class ExactlyOnceRecoveryCommitIT {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @Test
    void aTransactionLeftUncommittedByACrashIsCommittedOnRestore() throws Exception {
        String topic = "alerts-crash-before-commit";
        KAFKA.createTopic(topic, 1);
        String id = "kvwatch-it-alerts-0-7";

        FlinkKafkaInternalProducer<byte[], byte[]> crashed = new FlinkKafkaInternalProducer<>(producerProperties(), id);
        crashed.initTransactions();
        crashed.beginTransaction();
        send(crashed, topic, "alert-1", "alert-2", "alert-3");
        crashed.flush(); // the writer at the checkpoint barrier; the checkpoint's committable keeps id and epoch
        long producerId = crashed.getProducerId();
        short epoch = crashed.getEpoch();
        assertThat(readableNow(topic)).as("nothing readable before the commit").isEmpty();

        // The TaskManager is gone; the restored committer finishes the transaction from the checkpoint's committable.
        try (FlinkKafkaInternalProducer<byte[], byte[]> restored =
                new FlinkKafkaInternalProducer<>(producerProperties(), id)) {
            restored.resumeTransaction(producerId, epoch);
            restored.commitTransaction();
        } finally {
            crashed.close(Duration.ZERO);
        }

        assertThat(readCommitted(topic))
                .as("read_committed after the restore's commit")
                .containsExactly("alert-1", "alert-2", "alert-3");
    }

    @Test
    void aTransactionCommittedBeforeTheCrashIsRefusedAgainAndReadOnce() throws Exception {
        String topic = "alerts-crash-after-commit";
        KAFKA.createTopic(topic, 1);
        String id = "kvwatch-it-alerts-0-8";

        long producerId;
        short epoch;
        try (FlinkKafkaInternalProducer<byte[], byte[]> committed =
                new FlinkKafkaInternalProducer<>(producerProperties(), id)) {
            committed.initTransactions();
            committed.beginTransaction();
            send(committed, topic, "alert-4");
            committed.flush();
            producerId = committed.getProducerId();
            epoch = committed.getEpoch();
            committed.commitTransaction();
        }

        try (FlinkKafkaInternalProducer<byte[], byte[]> restored =
                new FlinkKafkaInternalProducer<>(producerProperties(), id)) {
            restored.resumeTransaction(producerId, epoch);
            assertThatThrownBy(restored::commitTransaction)
                    .as("committing the same transaction again, with the epoch of before its commit")
                    .isInstanceOf(ProducerFencedException.class);
        }

        assertThat(readCommitted(topic)).as("read_committed: the alert once").containsExactly("alert-4");
    }

    private static void send(FlinkKafkaInternalProducer<byte[], byte[]> producer, String topic, String... values)
            throws Exception {
        for (String value : values) {
            producer.send(new ProducerRecord<>(topic, 0, null, value.getBytes(StandardCharsets.UTF_8)))
                    .get();
        }
    }

    private static Properties producerProperties() {
        Properties p = KAFKA.clientProperties();
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "60000");
        return p;
    }

    /** What a read_committed consumer reads from the topic once every commit marker is written. */
    private static List<String> readCommitted(String topic) {
        return values(new KafkaTopics(KAFKA.bootstrapServers()).readAllCommitted(topic));
    }

    /** What a read_committed consumer can read right now: up to the last stable offset. */
    private static List<String> readableNow(String topic) {
        return values(new KafkaTopics(KAFKA.bootstrapServers()).readAll(topic, "read_committed"));
    }

    private static List<String> values(List<ConsumerRecord<String, String>> records) {
        return records.stream().map(ConsumerRecord::value).toList();
    }
}
