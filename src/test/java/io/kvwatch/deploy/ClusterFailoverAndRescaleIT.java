package io.kvwatch.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvwatch.KeyVaultNewTermsJob;
import io.kvwatch.testing.AlertFields;
import io.kvwatch.testing.AuditStreamGenerator;
import io.kvwatch.testing.AuditStreamGenerator.Read;
import io.kvwatch.testing.FlinkStandaloneCluster;
import io.kvwatch.testing.FlinkStandaloneCluster.CheckpointStats;
import io.kvwatch.testing.FlinkStandaloneCluster.TaskManager;
import io.kvwatch.testing.KafkaBroker;
import io.kvwatch.testing.KafkaDiagnostics;
import io.kvwatch.testing.NewTermsOracle;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobStatus;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The job as users run it, on a real Flink standalone cluster (JobManager and TaskManager JVMs) configured with
 * flink-conf/config.yaml, against a real Kafka broker: the shaded jar submitted over REST, four weeks of generated
 * audit traffic streamed in, the TaskManager killed with SIGKILL mid-stream and replaced, then a stop with savepoint
 * and a resubmission at twice the parallelism, then more traffic.
 *
 * <p>The alert topic, read with {@code read_committed}, must hold exactly the alerts {@link NewTermsOracle} computes
 * from the generated reads, each once (by alert id), through the crash and the rescale; and after the rescale, terms
 * known from before must not alert again while new ones do. The Kafka record timestamp of each message is its
 * record's own time, so the rule clock (the Kafka timestamp) and the oracle's agree to the millisecond.
 *
 * <p>Prints the measured timings; "kill -9 → processing again" is the recovery time.
 */
class ClusterFailoverAndRescaleIT {

    // Generous: on 2 cores shared with the broker and a busy neighbour, one run waited over 90 s for the last
    // transactions to commit. A bound, not a pace: every wait returns as soon as its condition holds.
    private static final Duration TIMEOUT =
            Duration.ofSeconds(Long.getLong("kvwatch.it.timeoutSeconds", 240));
    private static final Duration WINDOW = Duration.ofDays(14);
    private static final String INPUT = "keyvault-audit";
    private static final String ALERTS = "keyvault-alerts";
    private static final String DEAD_LETTERS = "keyvault-dead-letters";
    private static final int INPUT_PARTITIONS = 4;
    private static final String ENTRY_CLASS = KeyVaultNewTermsJob.class.getName();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, Long> timingsMs = new LinkedHashMap<>();

    @AfterEach
    void printTimings() {
        timingsMs.forEach((step, ms) -> System.out.printf("[ClusterFailoverAndRescaleIT] %-58s %7d ms%n", step, ms));
    }


    @Test
    void survivesATaskManagerCrashAndRescalesFromASavepointWithExactlyTheExpectedAlerts() throws Exception {
        long testStart = System.nanoTime();
        Path jobJar = Path.of(System.getProperty("job.jar", "target/keyvault-new-terms-0.1.0-SNAPSHOT.jar"));
        assertThat(jobJar).as("the shaded job jar (mvn package)").isRegularFile();

        // Four weeks of traffic, one record per message so that each message's Kafka timestamp is its record's time.
        AuditStreamGenerator.Stream weeks = AuditStreamGenerator.generate(new AuditStreamGenerator.Profile()
                .seed(2026).days(28).readsPerDay(250).maxRecordsPerEnvelope(1));
        List<Read> expectedBefore = NewTermsOracle.expectedAlerts(weeks.reads(), WINDOW);
        // Three more days after a day's pause, after the rescale: the same population, so mostly known terms.
        Instant laterStart = latest(weeks.reads()).plus(Duration.ofDays(1));
        AuditStreamGenerator.Stream later = AuditStreamGenerator.generate(new AuditStreamGenerator.Profile()
                .seed(7).start(laterStart).days(3).readsPerDay(250).maxRecordsPerEnvelope(1).boundaryCases(false));
        List<Read> allReads = new ArrayList<>(weeks.reads());
        allReads.addAll(later.reads());
        List<Read> expectedAfter = new ArrayList<>(NewTermsOracle.expectedAlerts(allReads, WINDOW));
        expectedAfter.removeAll(expectedBefore);

        List<ProcessHandle> jvms;
        long brokerPid;
        try (KafkaBroker kafka = KafkaBroker.start();
                FlinkStandaloneCluster cluster = recommendedCluster()) {
            brokerPid = kafka.pid();
            kafka.createTopic(INPUT, INPUT_PARTITIONS);
            kafka.createTopic(ALERTS, 2);
            kafka.createTopic(DEAD_LETTERS, 1);
            cluster.start();
            TaskManager first = cluster.startTaskManager();
            cluster.awaitRegistered(first, TIMEOUT);

            // 1. Submit the shaded jar like a user: upload, run.
            String jarId = cluster.uploadJar(jobJar);
            List<String> args = jobArguments(kafka.bootstrapServers());
            long t = System.nanoTime();
            String jobId = cluster.runJar(jarId, ENTRY_CLASS, args, null, 1);
            cluster.awaitRunningTasks(jobId, TIMEOUT);
            timingsMs.put("submit (REST run) until all tasks RUNNING", millisSince(t));

            try (KafkaProducer<byte[], byte[]> producer = producer(kafka);
                    AlertReader alerts = new AlertReader(kafka, ALERTS);
                    AlertReader deadLetters = new AlertReader(kafka, DEAD_LETTERS)) {

                // 2. Stream the four weeks at a steady rate, like an Event Hub would deliver them.
                CompletableFuture<Void> streaming = CompletableFuture.runAsync(
                        () -> produce(producer, weeks.lines(), 400));

                // 3. Mid-stream, once a checkpoint has committed some alerts: SIGKILL the TaskManager, start another.
                await("alerts committed before the crash", () -> alerts.poll() >= 20);
                CheckpointStats beforeKill = cluster.checkpointStats(jobId);
                assertThat(beforeKill.completed()).as("completed checkpoints before the crash").isPositive();
                assertThat(streaming).as("the crash happens mid-stream").isNotDone();
                int committedBeforeKill = alerts.size();

                long killedAt = System.nanoTime();
                assertThat(cluster.killTaskManager(first)).as("exit value of SIGKILL").isEqualTo(137);
                TaskManager second = cluster.startTaskManager();
                cluster.awaitRegistered(second, TIMEOUT);
                timingsMs.put("kill -9 until the new TaskManager registered", millisSince(killedAt));
                CheckpointStats restored = cluster.awaitRestored(jobId, 1, TIMEOUT);
                cluster.awaitRunningTasks(jobId, TIMEOUT);
                timingsMs.put("kill -9 until the job RUNNING again, restored", millisSince(killedAt));
                await("parsed messages after the restore", () -> operatorMetric(cluster, jobId, "messagesIn") > 0);
                timingsMs.put("kill -9 until processing again (RECOVERY TIME)", millisSince(killedAt));
                assertThat(restored.restoredFromSavepoint()).as("restored from a checkpoint").isFalse();
                assertThat(restored.restoredCheckpointId()).as("the latest checkpoint")
                        .isGreaterThanOrEqualTo(beforeKill.latestCompletedId());
                long checkpointsAtRestore = cluster.checkpointStats(jobId).completed();
                cluster.awaitCompletedCheckpoints(jobId, checkpointsAtRestore + 1, TIMEOUT);
                timingsMs.put("kill -9 until the first checkpoint after the restore", millisSince(killedAt));

                // 4. All of it in: exactly the oracle's alerts, each once, read_committed.
                streaming.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                advanceEventTimePastTheEnd(producer, latest(weeks.reads()));
                awaitAlerts(kafka, cluster, jobId, alerts, expectedBefore.size());
                int expectedDeadLetters = weeks.garbageLines() + weeks.badRecords();
                await("the " + expectedDeadLetters + " dead letters", () -> deadLetters.poll() >= expectedDeadLetters);
                settle(cluster, jobId, alerts, deadLetters);
                assertThat(committedBeforeKill).isLessThan(expectedBefore.size());
                assertExactlyOnce(alerts, expectedBefore, "four weeks, through the crash");
                assertThat(deadLetters.size())
                        .as("garbage lines and records without a parseable time, each dead-lettered once")
                        .isEqualTo(expectedDeadLetters);
                assertThat(operatorMetric(cluster, jobId, "recordsLate"))
                        .as("no record behind the watermark since the restore: per-partition disorder is within"
                                + " the bound").isZero();

                // 5. Stop with a savepoint; resubmit from it with twice the parallelism.
                t = System.nanoTime();
                String savepoint = cluster.stopWithSavepoint(jobId, cluster.savepointDir(), TIMEOUT);
                timingsMs.put("stop with savepoint", millisSince(t));
                t = System.nanoTime();
                String rescaledId = cluster.runJar(jarId, ENTRY_CLASS, args, savepoint, 2);
                CheckpointStats resumed = cluster.awaitRestored(rescaledId, 1, TIMEOUT);
                cluster.awaitRunningTasks(rescaledId, TIMEOUT);
                timingsMs.put("resubmit from savepoint at parallelism 2 until RUNNING", millisSince(t));
                assertThat(resumed.restoredFromSavepoint()).isTrue();
                assertThat(resumed.restoredPath()).isEqualTo(savepoint);
                assertThat(vertexParallelisms(cluster, rescaledId)).as("every vertex at parallelism 2").containsOnly(2);

                // 6. Three more days: known terms stay quiet, new ones alert.
                produce(producer, later.lines(), 2000);
                advanceEventTimePastTheEnd(producer, latest(later.reads()));
                int total = expectedBefore.size() + expectedAfter.size();
                awaitAlerts(kafka, cluster, rescaledId, alerts, total);
                settle(cluster, rescaledId, alerts, deadLetters);
                List<Read> expectedAll = new ArrayList<>(expectedBefore);
                expectedAll.addAll(expectedAfter);
                assertExactlyOnce(alerts, expectedAll, "after the rescale");

                Set<List<String>> knownTerms = terms(weeks.reads());
                List<Read> knownRepeats = later.reads().stream()
                        .filter(r -> knownTerms.contains(List.of(r.upn(), r.objectId())))
                        .filter(r -> !expectedAfter.contains(r)).toList();
                assertThat(knownRepeats).as("reads of terms known from before the savepoint that must stay quiet")
                        .hasSizeGreaterThan(100);
                assertThat(expectedAfter).as("terms first seen after the rescale alert")
                        .anyMatch(r -> !knownTerms.contains(List.of(r.upn(), r.objectId())));
                assertThat(alerts.values().stream().map(AlertFields::asRead).filter(knownRepeats::contains))
                        .as("no alert for a known term within 14 days").isEmpty();

                cluster.cancel(rescaledId);
                cluster.awaitJobStatus(rescaledId, JobStatus.CANCELED, TIMEOUT);
            }
            jvms = cluster.flinkProcesses();
        }
        timingsMs.put("whole test", millisSince(testStart));

        assertThat(jvms).as("JobManager and both TaskManagers").hasSize(3).noneMatch(ProcessHandle::isAlive);
        assertThat(ProcessHandle.of(brokerPid).filter(ProcessHandle::isAlive)).as("the Kafka broker").isEmpty();
    }

    /** flink-conf/config.yaml, with test timings and without what a test must not start. */
    private FlinkStandaloneCluster recommendedCluster() throws Exception {
        FlinkStandaloneCluster.Builder builder = FlinkStandaloneCluster.builder().slotsPerTaskManager(2);
        DeployFiles.readFlat(FlinkConfTest.FLINK_CONF.resolve("config.yaml")).forEach((key, value) -> {
            // The harness gives each run its own checkpoint directories; the Prometheus reporter would listen on
            // every interface, and tests bind nothing but loopback.
            if (!key.startsWith("execution.checkpointing.dir") && !key.startsWith("execution.checkpointing.savepoint-dir")
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
                .config("metrics.fetcher.update-interval", "1 s")
                .build();
    }

    private static List<String> jobArguments(String bootstrapServers) {
        return List.of(
                "--kafka.bootstrap-servers", bootstrapServers,
                "--kafka.topic", INPUT,
                "--kafka.starting-offsets", "earliest",
                "--alerts.topic", ALERTS,
                "--dead-letters.topic", DEAD_LETTERS,
                "--delivery-guarantee", "exactly-once",
                "--transactional-id-prefix", "kvwatch-cluster-it",
                // A transaction left open by the killed TaskManager holds back read_committed readers of its
                // partition until the broker times it out; keep that short here (the default is 15 min).
                "--transaction-timeout", "30s");
    }

    /**
     * Sends the lines in order, round-robin over the input partitions (so each partition's disorder is at most the
     * stream's), each with its record's time as Kafka timestamp, at about {@code perSecond} messages a second.
     */
    private static void produce(KafkaProducer<byte[], byte[]> producer, List<String> lines, int perSecond) {
        long started = System.nanoTime();
        long timestamp = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            timestamp = recordTime(line).orElse(timestamp); // garbage lines take their predecessor's time
            producer.send(new ProducerRecord<>(INPUT, i % INPUT_PARTITIONS, timestamp, null,
                    line.getBytes(StandardCharsets.UTF_8)));
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
    }

    /**
     * One message per partition an hour after the last record, of another category (ignored by the rule): it moves
     * every partition's watermark past the last records, so the alerts they hold back are decided, as the next real
     * traffic would.
     */
    private static void advanceEventTimePastTheEnd(KafkaProducer<byte[], byte[]> producer, Instant last) {
        long tick = last.plus(Duration.ofHours(1)).toEpochMilli();
        String other = "{\"records\":[{\"time\":\"" + Instant.ofEpochMilli(tick) + "\",\"category\":\"AppServiceHTTPLogs\","
                + "\"resourceId\":\"/SUBSCRIPTIONS/0/RESOURCEGROUPS/WEB/PROVIDERS/MICROSOFT.WEB/SITES/SHOP\"}]}";
        for (int p = 0; p < INPUT_PARTITIONS; p++) {
            producer.send(new ProducerRecord<>(INPUT, p, tick, null, other.getBytes(StandardCharsets.UTF_8)));
        }
        producer.flush();
    }

    /** The rule time of a one-record message: an ECS document's event.ingested, else the Azure record's time. */
    private static Optional<Long> recordTime(String line) {
        try {
            JsonNode message = JSON.readTree(line);
            JsonNode record = message.has("records") && message.get("records").isArray()
                    ? message.get("records").get(0) : message;
            String time = record.has("event") ? record.at("/event/ingested").asText() : record.path("time").asText();
            return Optional.of(Instant.parse(time).toEpochMilli());
        } catch (Exception notJsonOrNoTime) {
            return Optional.empty();
        }
    }

    /** Waits two more checkpoints, so that anything still open would have been committed, and reads it all. */
    private static void settle(FlinkStandaloneCluster cluster, String jobId, AlertReader... readers) {
        long completed = cluster.checkpointStats(jobId).completed();
        cluster.awaitCompletedCheckpoints(jobId, completed + 2, TIMEOUT);
        for (AlertReader reader : readers) {
            reader.drain();
        }
    }

    private static void assertExactlyOnce(AlertReader alerts, List<Read> expected, String when) {
        assertThat(alerts.duplicates()).as("%s: alert ids committed more than once", when).isEmpty();
        assertThat(alerts.values().stream().map(AlertFields::asRead).toList())
                .as("%s: the committed alerts are exactly the oracle's", when)
                .containsExactlyInAnyOrderElementsOf(expected);
    }

    /** The sum over all subtasks of a metric of the job's operators, from the REST API. */
    private static long operatorMetric(FlinkStandaloneCluster cluster, String jobId, String name) {
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

    private static List<Integer> vertexParallelisms(FlinkStandaloneCluster cluster, String jobId) {
        List<Integer> out = new ArrayList<>();
        cluster.getJson("/jobs/" + jobId).path("vertices").forEach(v -> out.add(v.path("parallelism").asInt()));
        return out;
    }

    private static KafkaProducer<byte[], byte[]> producer(KafkaBroker kafka) {
        Properties p = kafka.clientProperties();
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static Instant latest(List<Read> reads) {
        return Instant.ofEpochMilli(reads.stream().mapToLong(Read::time).max().orElseThrow());
    }

    private static Set<List<String>> terms(List<Read> reads) {
        return reads.stream().map(r -> List.of(r.upn(), r.objectId())).collect(Collectors.toSet());
    }

    /**
     * Waits for {@code count} committed alerts; if they do not come, fails with what the broker and the job say:
     * the open transactions, the committed and uncommitted record counts, the job's latest exception.
     */
    private static void awaitAlerts(KafkaBroker kafka, FlinkStandaloneCluster cluster, String jobId,
            AlertReader alerts, int count) throws InterruptedException {
        try {
            await("the oracle's " + count + " alerts", () -> alerts.poll() >= count);
        } catch (AssertionError stalled) {
            stalled.addSuppressed(new AssertionError(KafkaDiagnostics.describe(kafka, ALERTS)
                    + "\nalerts read read_committed: " + alerts.size()
                    + "\ncheckpoints: " + cluster.checkpointStats(jobId)
                    + "\njob status: " + cluster.jobStatus(jobId)
                    + "\nwatermarks: " + watermarks(cluster, jobId)
                    + "\nmetrics: " + metrics(cluster, jobId, "messagesIn", "recordsIn", "recordsCounted",
                            "deadLetters", "recordsLate", "alerts", "eventTimeLagMs")
                    + "\nroot exception: " + cluster.rootException(jobId)));
            throw stalled;
        }
    }

    /** Each vertex's input watermark per subtask, as the REST API reports it. */
    private static Map<String, String> watermarks(FlinkStandaloneCluster cluster, String jobId) {
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
                out.put(vertex.path("name").asText().replaceAll(" .*", ""), ids.isEmpty() ? "[]"
                        : cluster.getJson(base + "?get=" + String.join(",", ids)).toString());
            }
        } catch (RuntimeException e) {
            out.put("error", e.toString());
        }
        return out;
    }

    private static Map<String, Long> metrics(FlinkStandaloneCluster cluster, String jobId, String... names) {
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
    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        RuntimeException lastError = null;
        while (true) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (FlinkStandaloneCluster.RestCallException e) {
                lastError = e;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + TIMEOUT.toSeconds() + " s waiting for " + what, lastError);
            }
            Thread.sleep(200);
        }
    }

    private static long millisSince(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos).toMillis();
    }

    /** Everything committed to a topic, read like a downstream consumer would: read_committed, from the start. */
    private static final class AlertReader implements AutoCloseable {
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
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
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

        Set<String> duplicates() {
            return duplicates;
        }

        @Override
        public void close() {
            consumer.close(Duration.ofSeconds(5));
        }
    }
}
