package io.kvwatch.testing;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * What the broker says about a topic when a test waiting on it stalls: each partition's log end offset and the
 * offset a {@code read_committed} reader may read up to (the last stable offset), and every transaction the broker
 * knows with its state, start time and partitions. For failure messages only.
 */
public final class KafkaDiagnostics {

    private KafkaDiagnostics() {}

    public static String describe(KafkaBroker kafka, String topic) {
        StringBuilder out = new StringBuilder("broker view of ").append(topic).append(':');
        try {
            offsets(kafka, topic, out);
            transactions(kafka, out);
        } catch (Exception e) {
            out.append("\n  (diagnostics failed: ").append(e).append(')');
        }
        return out.toString();
    }

    private static void offsets(KafkaBroker kafka, String topic, StringBuilder out) {
        for (String isolation : List.of("read_uncommitted", "read_committed")) {
            Properties p = kafka.clientProperties();
            p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
            try (KafkaConsumer<byte[], byte[]> consumer =
                    new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                        .map(info -> new TopicPartition(topic, info.partition()))
                        .toList();
                // For read_committed, endOffsets is the last stable offset: where an open transaction holds readers.
                Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(10));
                out.append("\n  end offsets ").append(isolation).append(": ").append(end);
            }
        }
    }

    private static void transactions(KafkaBroker kafka, StringBuilder out) throws Exception {
        try (Admin admin = Admin.create(kafka.clientProperties())) {
            List<String> ids =
                    admin.listTransactions(new ListTransactionsOptions()).all().get(10, TimeUnit.SECONDS).stream()
                            .map(TransactionListing::transactionalId)
                            .sorted()
                            .toList();
            Map<String, TransactionDescription> described =
                    admin.describeTransactions(ids).all().get(10, TimeUnit.SECONDS);
            out.append("\n  transactions: ").append(ids.size());
            for (String id : ids) {
                TransactionDescription d = described.get(id);
                out.append("\n    ")
                        .append(id)
                        .append(" state=")
                        .append(d.state())
                        .append(" producerId=")
                        .append(d.producerId())
                        .append(" epoch=")
                        .append(d.producerEpoch())
                        .append(" started=")
                        .append(d.transactionStartTimeMs().orElse(-1))
                        .append(" timeoutMs=")
                        .append(d.transactionTimeoutMs())
                        .append(" partitions=")
                        .append(d.topicPartitions());
            }
        }
    }
}
