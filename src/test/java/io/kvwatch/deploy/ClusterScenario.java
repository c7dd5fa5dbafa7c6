package io.kvwatch.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvwatch.KeyVaultNewTermsJob;
import io.kvwatch.testing.AlertFields;
import io.kvwatch.testing.AuditStreamGenerator;
import io.kvwatch.testing.AuditStreamGenerator.Read;
import io.kvwatch.testing.FlinkStandaloneCluster;
import io.kvwatch.testing.KafkaBroker;
import io.kvwatch.testing.KafkaDiagnostics;
import io.kvwatch.testing.Wait;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * What the end-to-end tests on a real Flink cluster and Kafka broker share: the cluster configured like
 * flink-conf/config.yaml, the job's arguments, traffic produced at a steady rate with each record's time as Kafka
 * timestamp, the alert topic read like a downstream consumer (read_committed), the exactly-once check against the
 * oracle, and the diagnostics when alerts stall.
 */
final class ClusterScenario {

    // Generous: on 2 cores shared with the broker and a busy neighbour, one run waited over 90 s for the last
    // transactions to commit. A bound, not a pace: every wait returns as soon as its condition holds.
    static final Duration TIMEOUT = Duration.ofSeconds(Long.getLong("kvwatch.it.timeoutSeconds", 240));
    static final Duration WINDOW = Duration.ofDays(14);
    static final String INPUT = "keyvault-audit";
    static final String ALERTS = "keyvault-alerts";
    static final String DEAD_LETTERS = "keyvault-dead-letters";
    static final int INPUT_PARTITIONS = 4;
    static final String ENTRY_CLASS = KeyVaultNewTermsJob.class.getName();
    private static final ObjectMapper JSON = new ObjectMapper();

    private ClusterScenario() {}

    /** The input, alert and dead-letter topics of the job. */
    /** The shaded job jar that {@code mvn package} built, as the tests submit it. */
    static Path jobJar() {
        Path jar = Path.of(System.getProperty("job.jar", "target/keyvault-new-terms-0.1.0-SNAPSHOT.jar"));
        assertThat(jar).as("the shaded job jar (mvn package)").isRegularFile();
        return jar;
    }

    /** Four weeks of traffic, one record per message, so that each message's Kafka timestamp is its record's time. */
    static AuditStreamGenerator.Stream fourWeeks(long seed) {
        return AuditStreamGenerator.generate(new AuditStreamGenerator.Profile()
                .seed(seed)
                .days(28)
                .readsPerDay(200)
                .maxRecordsPerEnvelope(1));
    }

    /** Uploads the jar, runs the job at parallelism 1 with these arguments and waits for its tasks to run. */
    static String submit(FlinkStandaloneCluster cluster, Path jar, List<String> arguments) throws Exception {
        String jobId = cluster.runJar(cluster.uploadJar(jar), ENTRY_CLASS, arguments, null, 1);
        cluster.awaitRunningTasks(jobId, TIMEOUT);
        return jobId;
    }

    static void createTopics(KafkaBroker kafka) {
        kafka.createTopic(INPUT, INPUT_PARTITIONS);
        kafka.createTopic(ALERTS, 2);
        kafka.createTopic(DEAD_LETTERS, 1);
    }

    /** flink-conf/config.yaml, with test timings and without what a test must not start. */
    static FlinkStandaloneCluster.Builder recommendedCluster() throws Exception {
        FlinkStandaloneCluster.Builder builder =
                FlinkStandaloneCluster.builder().slotsPerTaskManager(2);
        DeployFiles.readFlat(FlinkConfTest.FLINK_CONF.resolve("config.yaml")).forEach((key, value) -> {
            // The harness gives each run its own checkpoint directories; the Prometheus reporter would listen on
            // every interface, and tests bind nothing but loopback.
            if (!key.startsWith("execution.checkpointing.dir")
                    && !key.startsWith("execution.checkpointing.savepoint-dir")
                    && !key.startsWith("metrics.reporter")) {
                builder.config(key, value);
            }
        });
        return builder
                // Test timings: checkpoints (and so committed alerts) every 2 s instead of 30 s; a SIGKILLed
                // TaskManager noticed after two failed heartbeats (2 x 2 s) instead of 2 x 10 s; REST metrics
                // refreshed every second.
                .config("execution.checkpointing.interval", "2 s")
                .config("execution.checkpointing.min-pause", "500 ms")
                .config("heartbeat.interval", "2 s")
                .config("metrics.fetcher.update-interval", "1 s");
    }

    static List<String> jobArguments(String bootstrapServers) {
        // A transaction left open by the killed TaskManager holds back read_committed readers of its partition until
        // the broker times it out; keep that short here (the default is 15 min).
        return jobArguments(bootstrapServers, "30s");
    }

    /** The job's arguments; {@code transactionTimeout} null leaves the job's default (15 min). */
    static List<String> jobArguments(String bootstrapServers, String transactionTimeout) {
        List<String> args = new ArrayList<>(List.of(
                "--kafka.bootstrap-servers", bootstrapServers,
                "--kafka.topic", INPUT,
                "--kafka.starting-offsets", "earliest",
                "--alerts.topic", ALERTS,
                "--dead-letters.topic", DEAD_LETTERS,
                "--delivery-guarantee", "exactly-once",
                "--transactional-id-prefix", "kvwatch-cluster-it"));
        if (transactionTimeout != null) {
            args.addAll(List.of("--transaction-timeout", transactionTimeout));
        }
        return List.copyOf(args);
    }

    /**
     * Sends the lines in order, round-robin over the input partitions (so each partition's disorder is at most the
     * stream's), each with its record's time as Kafka timestamp, at about {@code perSecond} messages a second.
     */
    static void produce(KafkaProducer<byte[], byte[]> producer, List<String> lines, int perSecond) {
        long started = System.nanoTime();
        long timestamp = 0;
        AtomicReference<Exception> failed = new AtomicReference<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            timestamp = recordTime(line).orElse(timestamp); // garbage lines take their predecessor's time
            producer.send(
                    new ProducerRecord<>(
                            INPUT, i % INPUT_PARTITIONS, timestamp, null, line.getBytes(StandardCharsets.UTF_8)),
                    (metadata, e) -> {
                        if (e != null) {
                            failed.compareAndSet(null, e);
                        }
                    });
            long due = started + TimeUnit.SECONDS.toNanos(i + 1) / perSecond;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(wait);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
        }
        producer.flush();
        if (failed.get() != null) {
            throw new IllegalStateException("input not fully written: the test's own producer failed", failed.get());
        }
    }

    /**
     * One message per partition an hour after the last record, of another category (ignored by the rule): it moves
     * every partition's watermark past the last records, so the alerts they hold back are decided, as the next real
     * traffic would.
     */
    static void advanceEventTimePastTheEnd(KafkaProducer<byte[], byte[]> producer, Instant last) {
        long tick = last.plus(Duration.ofHours(1)).toEpochMilli();
        String other =
                "{\"records\":[{\"time\":\"" + Instant.ofEpochMilli(tick) + "\",\"category\":\"AppServiceHTTPLogs\","
                        + "\"resourceId\":\"/SUBSCRIPTIONS/0/RESOURCEGROUPS/WEB/PROVIDERS/MICROSOFT.WEB/SITES/SHOP\"}]}";
        for (int p = 0; p < INPUT_PARTITIONS; p++) {
            producer.send(new ProducerRecord<>(INPUT, p, tick, null, other.getBytes(StandardCharsets.UTF_8)));
        }
        producer.flush();
    }

    /** The rule time of a one-record message: an ECS document's event.ingested, else the Azure record's time. */
    static Optional<Long> recordTime(String line) {
        try {
            JsonNode message = JSON.readTree(line);
            JsonNode record = message.has("records") && message.get("records").isArray()
                    ? message.get("records").get(0)
                    : message;
            String time = record.has("event")
                    ? record.at("/event/ingested").asText()
                    : record.path("time").asText();
            return Optional.of(Instant.parse(time).toEpochMilli());
        } catch (Exception notJsonOrNoTime) {
            return Optional.empty();
        }
    }

    /** Waits two more checkpoints, so that anything still open would have been committed, and reads it all. */
    static void settle(FlinkStandaloneCluster cluster, String jobId, AlertReader... readers) {
        long completed = cluster.checkpointStats(jobId).completed();
        cluster.awaitCompletedCheckpoints(jobId, completed + 2, TIMEOUT);
        for (AlertReader reader : readers) {
            reader.drain();
        }
    }

    static void assertExactlyOnce(AlertReader alerts, List<Read> expected, String when) {
        assertThat(alerts.duplicates())
                .as("%s: alert ids committed more than once", when)
                .isEmpty();
        assertThat(alerts.values().stream().map(AlertFields::asRead).toList())
                .as("%s: the committed alerts are exactly the oracle's", when)
                .containsExactlyInAnyOrderElementsOf(expected);
    }

    /** How many failures (each followed by a restart) the job's exception history records; it keeps the last 16. */
    static int jobFailures(FlinkStandaloneCluster cluster, String jobId) {
        return cluster.getJson("/jobs/" + jobId + "/exceptions")
                .path("exceptionHistory")
                .path("entries")
                .size();
    }

    /** The back-pressure level of the job's first vertex (the source), as the REST API samples it. */
    static String sourceBackPressure(FlinkStandaloneCluster cluster, String jobId) {
        String source = cluster.getJson("/jobs/" + jobId)
                .path("vertices")
                .get(0)
                .path("id")
                .asText();
        return cluster.getJson("/jobs/" + jobId + "/vertices/" + source + "/backpressure")
                .path("backpressureLevel")
                .asText("unknown");
    }

    /** The sum over all subtasks of a metric of the job's operators, from the REST API. */
    static long operatorMetric(FlinkStandaloneCluster cluster, String jobId, String name) {
        long sum = 0;
        for (JsonNode vertex : cluster.getJson("/jobs/" + jobId).path("vertices")) {
            String base = "/jobs/" + jobId + "/vertices/" + vertex.path("id").asText() + "/metrics";
            List<String> ids = new ArrayList<>();
            cluster.getJson(base).forEach(m -> {
                if (m.path("id").asText().endsWith("." + name)) {
                    ids.add(m.path("id").asText());
                }
            });
            if (!ids.isEmpty()) {
                for (JsonNode m : cluster.getJson(base + "?get=" + String.join(",", ids))) {
                    sum += (long) Double.parseDouble(m.path("value").asText("0"));
                }
            }
        }
        return sum;
    }

    static KafkaProducer<byte[], byte[]> producer(KafkaBroker kafka) {
        Properties p = kafka.clientProperties();
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    static Instant latest(List<Read> reads) {
        return Instant.ofEpochMilli(reads.stream().mapToLong(Read::time).max().orElseThrow());
    }

    /**
     * Waits for {@code count} committed alerts; if they do not come, fails with what the broker and the job say:
     * the open transactions, the committed and uncommitted record counts, the job's latest exception.
     */
    static void awaitAlerts(
            KafkaBroker kafka, FlinkStandaloneCluster cluster, String jobId, AlertReader alerts, int count) {
        try {
            await("the oracle's " + count + " alerts", () -> alerts.poll() >= count);
        } catch (AssertionError stalled) {
            stalled.addSuppressed(new AssertionError(KafkaDiagnostics.describe(kafka, ALERTS)
                    + "\nalerts read read_committed: " + alerts.size()
                    + "\ncheckpoints: " + cluster.checkpointStats(jobId)
                    + "\njob status: " + cluster.jobStatus(jobId)
                    + "\nwatermarks: " + watermarks(cluster, jobId)
                    + "\nmetrics: "
                    + metrics(
                            cluster,
                            jobId,
                            "messagesIn",
                            "recordsIn",
                            "recordsCounted",
                            "deadLetters",
                            "recordsLate",
                            "alerts",
                            "eventTimeLagMs")
                    + "\nroot exception: " + cluster.rootException(jobId)));
            throw stalled;
        }
    }

    /** Each vertex's input watermark per subtask, as the REST API reports it. */
    static Map<String, String> watermarks(FlinkStandaloneCluster cluster, String jobId) {
        Map<String, String> out = new LinkedHashMap<>();
        try {
            for (JsonNode vertex : cluster.getJson("/jobs/" + jobId).path("vertices")) {
                String id = vertex.path("id").asText();
                String base = "/jobs/" + jobId + "/vertices/" + id + "/metrics";
                List<String> ids = new ArrayList<>();
                cluster.getJson(base).forEach(m -> {
                    String metric = m.path("id").asText();
                    if (metric.contains("atermark") || metric.contains("dle")) {
                        ids.add(metric);
                    }
                });
                out.put(
                        vertex.path("name").asText().replaceAll(" .*", ""),
                        ids.isEmpty()
                                ? "[]"
                                : cluster.getJson(base + "?get=" + String.join(",", ids))
                                        .toString());
            }
        } catch (RuntimeException e) {
            out.put("error", e.toString());
        }
        return out;
    }

    static Map<String, Long> metrics(FlinkStandaloneCluster cluster, String jobId, String... names) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String name : names) {
            try {
                out.put(name, operatorMetric(cluster, jobId, name));
            } catch (RuntimeException e) {
                out.put(name + " (" + e + ")", -1L);
            }
        }
        return out;
    }

    /** Polls until the condition holds; a REST call failing while the job restarts counts as "not yet". */
    static void await(String what, Callable<Boolean> condition) {
        Wait.until(what, TIMEOUT, condition);
    }

    static long millisSince(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos).toMillis();
    }

    /** Everything committed to a topic, read like a downstream consumer would: read_committed, from the start. */
    static final class AlertReader implements AutoCloseable {
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final Set<String> keys = new HashSet<>();
        private final List<String> values = new ArrayList<>();
        private final Set<String> duplicates = new HashSet<>();

        AlertReader(KafkaBroker kafka, String topic) {
            Properties p = kafka.clientProperties();
            p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(info -> new TopicPartition(topic, info.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
        }

        /** Reads what has been committed since the last call; returns the number of records read in all. */
        int poll() {
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                String value = new String(record.value(), StandardCharsets.UTF_8);
                values.add(value);
                if (record.key() != null) {
                    String key = new String(record.key(), StandardCharsets.UTF_8);
                    if (!keys.add(key)) {
                        duplicates.add(key);
                    }
                }
            }
            return values.size();
        }

        /** Polls until a poll brings nothing new. */
        void drain() {
            int before;
            do {
                before = values.size();
                poll();
            } while (values.size() > before);
        }

        int size() {
            return values.size();
        }

        List<String> values() {
            return values;
        }

        /** The ids (record keys) of the alerts read so far. */
        Set<String> keys() {
            return keys;
        }

        Set<String> duplicates() {
            return duplicates;
        }

        @Override
        public void close() {
            consumer.close(Duration.ofSeconds(5));
        }
    }
}
