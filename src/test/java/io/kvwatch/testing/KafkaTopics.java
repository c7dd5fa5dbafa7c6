package io.kvwatch.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Plain Kafka clients for tests: write messages exactly where and when told, read topics back to their end. */
public final class KafkaTopics {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** A message as the test means it: partition, record timestamp, value (null for a tombstone). */
    public record Message(int partition, long timestamp, byte[] value) {}

    private final String bootstrapServers;

    public KafkaTopics(String bootstrapServers) {
        this.bootstrapServers = bootstrapServers;
    }

    /** Writes the messages in order, each to its partition with its timestamp, and waits for every acknowledgement. */
    public void produce(String topic, List<Message> messages) throws Exception {
        Properties p = new Properties();
        p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.setProperty(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.setProperty(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.setProperty(ProducerConfig.ACKS_CONFIG, "all");
        p.setProperty(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(2 << 20));
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
            for (Message m : messages) {
                sent.add(producer.send(new ProducerRecord<>(topic, m.partition(), m.timestamp(), null, m.value())));
            }
            for (var f : sent) {
                f.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
        }
    }

    /** Every record of the topic visible at the given isolation level, from the beginning to the end offsets now. */
    public List<ConsumerRecord<String, String>> readAll(String topic, String isolationLevel) {
        return read(topic, isolationLevel, false);
    }

    /**
     * Every committed record of a topic no transaction is open on any more: read_committed up to the log end. A
     * commit returns before the broker has written its markers, so right after it the last stable offset (where
     * {@link #readAll} stops with read_committed) can still lie before the committed records.
     */
    public List<ConsumerRecord<String, String>> readAllCommitted(String topic) {
        return read(topic, "read_committed", true);
    }

    private List<ConsumerRecord<String, String>> read(String topic, String isolationLevel, boolean toLogEnd) {
        Properties p = new Properties();
        p.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.setProperty(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.setProperty(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolationLevel);
        p.setProperty(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, TIMEOUT).stream()
                    .map(info -> new TopicPartition(topic, info.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            // The log end (commit markers included), or the consumer's end offsets now, which for read_committed are
            // the last stable offsets: nothing beyond them is returned.
            Map<TopicPartition, Long> end = toLogEnd ? logEnd(topic) : consumer.endOffsets(partitions, TIMEOUT);
            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (!end.entrySet().stream().allMatch(e -> consumer.position(e.getKey(), TIMEOUT) >= e.getValue())) {
                assertThat(System.nanoTime() - deadline)
                        .as("time left to read %s up to %s (%d records so far)", topic, end, records.size())
                        .isNegative();
                consumer.poll(Duration.ofMillis(100)).forEach(records::add);
            }
            return records;
        }
    }

    private Map<TopicPartition, Long> logEnd(String topic) {
        try {
            return endOffsets(topic).entrySet().stream()
                    .collect(Collectors.toMap(e -> new TopicPartition(topic, e.getKey()), Map.Entry::getValue));
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the log end offsets of " + topic, e);
        }
    }

    /** The end offsets (log end, as read_uncommitted sees it) of every partition of the topic. */
    public Map<Integer, Long> endOffsets(String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
            int partitions = admin.describeTopics(List.of(topic))
                    .allTopicNames()
                    .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)
                    .get(topic)
                    .partitions()
                    .size();
            Map<TopicPartition, OffsetSpec> query = new java.util.HashMap<>();
            for (int i = 0; i < partitions; i++) {
                query.put(new TopicPartition(topic, i), OffsetSpec.latest());
            }
            return admin.listOffsets(query).all().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).entrySet().stream()
                    .collect(Collectors.toMap(
                            e -> e.getKey().partition(), e -> e.getValue().offset()));
        }
    }

    /** The offsets the consumer group has committed for the topic, by partition (absent: none committed). */
    public Map<Integer, Long> committedOffsets(String group, String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata()
                    .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            return committed.entrySet().stream()
                    .filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null)
                    .collect(Collectors.toMap(
                            e -> e.getKey().partition(), e -> e.getValue().offset()));
        }
    }
}
