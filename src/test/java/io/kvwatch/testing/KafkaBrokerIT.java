package io.kvwatch.testing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Proves that {@link KafkaBroker} runs a real broker that Kafka clients (and kcat) can use. */
class KafkaBrokerIT {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** Fixed event times well before "now", so they cannot be mistaken for broker append times. */
    private static final long BASE_TIMESTAMP = 1_700_000_000_000L;

    /** A record as this test sees it: where it went and what it carried. */
    record Rec(int partition, String key, String value, long timestamp) {
        static Rec of(ConsumerRecord<String, String> r) {
            return new Rec(r.partition(), r.key(), r.value(), r.timestamp());
        }
    }

    @Test
    void consumesExactlyWhatWasProducedWithPartitionsAndTimestamps() throws Exception {
        String topic = "plain-records";
        KAFKA.createTopic(topic, 3);
        List<Rec> produced = records("plain", 9, 3, BASE_TIMESTAMP);

        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProperties())) {
            for (Rec rec : produced) {
                RecordMetadata metadata =
                        producer.send(toProducerRecord(topic, rec)).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                assertThat(metadata.partition())
                        .as("partition the broker stored %s in", rec)
                        .isEqualTo(rec.partition());
                assertThat(metadata.timestamp())
                        .as("timestamp the broker stored for %s", rec)
                        .isEqualTo(rec.timestamp());
            }
        }

        List<ConsumerRecord<String, String>> consumed = topics().readAllCommitted(topic);
        assertThat(byPartition(consumed.stream().map(Rec::of).toList()))
                .as("records read back with read_committed, per partition in offset order")
                .isEqualTo(byPartition(produced));
        assertThat(consumed)
                .as("timestamp type of every record read back (the producer's, not the broker's)")
                .extracting(ConsumerRecord::timestampType)
                .containsOnly(TimestampType.CREATE_TIME);
    }

    /**
     * Test records carry event times months old. Under Kafka's default time retention the broker's
     * first retention check (30 s after start) deletes them, and a job restored after that finds its
     * checkpointed offsets out of range: that made the cluster failover test lose input. The test
     * broker keeps every record.
     */
    @Test
    void topicsKeepRecordsWhateverTheirTimestamp() throws Exception {
        String topic = "retention-of-old-records";
        KAFKA.createTopic(topic, 1);
        try (Admin admin = Admin.create(KAFKA.clientProperties())) {
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            Config config = admin.describeConfigs(List.of(resource))
                    .all()
                    .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)
                    .get(resource);
            assertThat(config.get("retention.ms").value())
                    .as("time retention of a test topic (-1: none)")
                    .isEqualTo("-1");
        }
    }

    @Test
    void readCommittedSeesCommittedTransactionsButNotAbortedOnes() throws Exception {
        String topic = "transactional-records";
        KAFKA.createTopic(topic, 3);
        Transactions written = writeAbortedThenCommitted(topic);

        assertThat(byPartition(
                        topics().readAllCommitted(topic).stream().map(Rec::of).toList()))
                .as("records visible to read_committed: exactly the committed transaction's")
                .isEqualTo(byPartition(written.committed()));
        // Otherwise the test above would pass even if the aborted records were never sent at all.
        assertThat(byPartition(topics().readAll(topic, "read_uncommitted").stream()
                        .map(Rec::of)
                        .toList()))
                .as("records visible to read_uncommitted: the aborted ones, then the committed ones")
                .isEqualTo(byPartition(concat(written.aborted(), written.committed())));
    }

    @Test
    void kcatReadsOnlyCommittedRecords(@TempDir Path tempDir) throws Exception {
        Optional<Path> kcat = onPath("kcat");
        assumeTrue(kcat.isPresent(), "kcat is not on the PATH (apt-get install kcat)");
        String topic = "transactional-records-for-kcat";
        KAFKA.createTopic(topic, 3);
        Transactions written = writeAbortedThenCommitted(topic);

        Path out = tempDir.resolve("kcat.out");
        Path err = tempDir.resolve("kcat.err");
        Process process = new ProcessBuilder(
                        kcat.get().toString(),
                        "-b",
                        KAFKA.bootstrapServers(),
                        "-C",
                        "-t",
                        topic,
                        "-o",
                        "beginning",
                        "-e",
                        "-q",
                        "-X",
                        "isolation.level=read_committed",
                        "-f",
                        "%p\\t%k\\t%s\\t%T\\n")
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        boolean exited = process.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        if (!exited) {
            process.destroyForcibly();
        }
        String stderr = Files.readString(err, UTF_8);
        assertThat(exited)
                .as("kcat exited within %s; stderr: %s", TIMEOUT, stderr)
                .isTrue();
        assertThat(process.exitValue()).as("kcat exit code; stderr: %s", stderr).isZero();

        List<Rec> read = Files.readAllLines(out, UTF_8).stream()
                .filter(line -> !line.isEmpty())
                .map(line -> line.split("\t", -1))
                .map(f -> new Rec(Integer.parseInt(f[0]), f[1], f[2], Long.parseLong(f[3])))
                .toList();
        assertThat(byPartition(read))
                .as("records kcat reads with isolation.level=read_committed")
                .isEqualTo(byPartition(written.committed()));
    }

    @Test
    void closeStopsTheBrokerJvmAndDeletesItsFiles() throws Exception {
        KafkaBroker broker = KafkaBroker.start();
        long pid;
        Path workDir;
        int port;
        try {
            pid = broker.pid();
            workDir = broker.workDir();
            port = Integer.parseInt(broker.bootstrapServers().substring("127.0.0.1:".length()));
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive))
                    .as("broker JVM %d alive before close()", pid)
                    .contains(true);
            assertThat(broker.startupTime())
                    .as("broker start-up time")
                    .isPositive()
                    .isLessThan(Duration.ofSeconds(60));
        } finally {
            broker.close();
        }

        assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive))
                .as("broker JVM %d after close()", pid)
                .isEmpty();
        assertThat(acceptsConnections(port))
                .as("127.0.0.1:%d accepts connections after close()", port)
                .isFalse();
        assertThat(workDir).as("broker temporary directory after close()").doesNotExist();
        broker.close(); // idempotent
    }

    // ---------------------------------------------------------------------------------------------

    record Transactions(List<Rec> aborted, List<Rec> committed) {}

    /** One aborted transaction, then one committed transaction, on every partition of the topic. */
    private static Transactions writeAbortedThenCommitted(String topic) throws Exception {
        List<Rec> aborted = records("aborted", 6, 3, BASE_TIMESTAMP);
        List<Rec> committed = records("committed", 6, 3, BASE_TIMESTAMP + 60_000);
        Properties properties = producerProperties();
        properties.setProperty(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "kafka-broker-it-" + topic);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(properties)) {
            producer.initTransactions();

            producer.beginTransaction();
            for (Rec rec : aborted) {
                producer.send(toProducerRecord(topic, rec));
            }
            // Make sure the records reach the log before the abort, rather than being dropped unsent.
            producer.flush();
            producer.abortTransaction();

            producer.beginTransaction();
            for (Rec rec : committed) {
                producer.send(toProducerRecord(topic, rec));
            }
            producer.commitTransaction();
        }
        return new Transactions(aborted, committed);
    }

    /** {@code count} records round-robin over {@code partitions}, one second apart. */
    private static KafkaTopics topics() {
        return new KafkaTopics(KAFKA.bootstrapServers());
    }

    private static List<Rec> records(String prefix, int count, int partitions, long firstTimestamp) {
        return IntStream.range(0, count)
                .mapToObj(i -> new Rec(
                        i % partitions, prefix + "-key-" + i, prefix + "-value-" + i, firstTimestamp + i * 1_000L))
                .toList();
    }

    private static ProducerRecord<String, String> toProducerRecord(String topic, Rec rec) {
        return new ProducerRecord<>(topic, rec.partition(), rec.timestamp(), rec.key(), rec.value());
    }

    private static Properties producerProperties() {
        Properties properties = KAFKA.clientProperties();
        properties.setProperty(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        properties.setProperty(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        properties.setProperty(ProducerConfig.ACKS_CONFIG, "all");
        return properties;
    }

    /** Records per partition, each list in the order it was written (offset order). */
    private static Map<Integer, List<Rec>> byPartition(Collection<Rec> records) {
        return records.stream().collect(Collectors.groupingBy(Rec::partition, TreeMap::new, Collectors.toList()));
    }

    private static List<Rec> concat(List<Rec> first, List<Rec> second) {
        return Stream.concat(first.stream(), second.stream()).toList();
    }

    private static Optional<Path> onPath(String executable) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        return Stream.of(path.split(File.pathSeparator))
                .filter(dir -> !dir.isEmpty())
                .map(dir -> Path.of(dir, executable))
                .filter(Files::isExecutable)
                .findFirst();
    }

    private static boolean acceptsConnections(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
