package io.kvwatch;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvwatch.config.JobConfig;
import io.kvwatch.testing.AlertFields;
import io.kvwatch.testing.AuditStreamGenerator;
import io.kvwatch.testing.CapturedLogs;
import io.kvwatch.testing.FakeSecrets;
import io.kvwatch.testing.KafkaBrokerExtension;
import io.kvwatch.testing.KafkaTopics;
import io.kvwatch.testing.KafkaTopics.Message;
import io.kvwatch.testing.LoopbackMiniCluster;
import io.kvwatch.testing.NewTermsOracle;
import io.kvwatch.testing.Wait;
import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.checkpoint.CheckpointStatsSnapshot;
import org.apache.flink.runtime.client.JobStatusMessage;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job against a real Kafka broker: Event Hubs-shaped messages with explicit record timestamps in several
 * partitions in, alerts (read with {@code read_committed}) and dead letters out; then a stop mid-stream and a restart
 * from the last checkpoint, with every alert still there exactly once; and an independent client (kcat) reading the
 * alert topic; and a run with the Event Hubs preset whose log, failure and REST API never show the connection string.
 *
 * <p>The rule's clock in Kafka mode is the record timestamp, not the record's {@code time}. The generated stream has
 * one audit record per message, in time order, and each message's timestamp is its record's rule time, so the
 * oracle's expected alerts hold exactly; messages are dealt round-robin to the partitions, interleaved.
 */
class KafkaPipelineIT {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(LoopbackMiniCluster.withSlots(2));

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final Duration WINDOW = Duration.ofDays(14);
    private static final int PARTITIONS = 3;
    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** Topics keep records with old timestamps: time-based retention would delete them under the test. */
    private static final Map<String, String> KEEP_FOREVER = Map.of("retention.ms", "-1");

    /** The bounded run's results, shared by the tests that look at them (made by the first that needs them). */
    private static BoundedRun boundedRun;

    record BoundedRun(
            AuditStreamGenerator.Stream stream,
            List<ConsumerRecord<String, String>> alerts,
            List<ConsumerRecord<String, String>> deadLetters,
            String alertTopic,
            Duration jobTime) {}

    // ---- 1. bounded run: exactly the oracle's alerts and the expected dead letters

    @Test
    void alertsReadCommittedAreExactlyTheOraclesKeyedByAlertId() throws Exception {
        BoundedRun run = boundedRun();
        List<AuditStreamGenerator.Read> expected =
                NewTermsOracle.expectedAlerts(run.stream().reads(), WINDOW);
        assertThat(expected)
                .as("the stream exercises first sights and re-alerts")
                .hasSizeGreaterThan(100);

        List<String> values = run.alerts().stream().map(ConsumerRecord::value).toList();
        assertThat(AlertFields.asReads(values))
                .as("alerts on the topic (read_committed) equal the oracle's: none lost, none duplicated")
                .containsExactlyInAnyOrderElementsOf(expected);
        assertThat(run.alerts())
                .as("each alert's key is its id (kibana.alert.uuid)")
                .allSatisfy(r -> assertThat(r.key())
                        .isEqualTo(AlertFields.parse(r.value())
                                .get("kibana.alert.uuid")
                                .asText()));
        assertThat(run.alerts().stream().map(ConsumerRecord::key).distinct().count())
                .as("distinct alert ids")
                .isEqualTo(expected.size());
        assertThat(values)
                .as("alerts trace back to their Kafka record")
                .allSatisfy(v -> assertThat(
                                AlertFields.parse(v).get("kvwatch.origin").asText())
                        .matches("kv-audit-bounded-[0-2]@\\d+(#\\d+)?"));
    }

    @Test
    void deadLettersAreExactlyTheGarbageWithTheirKafkaOrigin() throws Exception {
        BoundedRun run = boundedRun();
        int garbage = run.stream().garbageLines();
        Map<String, Long> expected = new HashMap<>();
        expected.put("not_json", (long) (garbage + 1) / 2); // the generator alternates truncated JSON ...
        expected.put("records_not_an_array", (long) garbage / 2); // ... and a records object
        expected.put("bad_time", (long) run.stream().badRecords());
        expected.put("not_utf8", 1L);
        expected.put("message_too_large", 1L);
        expected.values().removeIf(n -> n == 0);

        List<JsonNode> docs = run.deadLetters().stream()
                .map(r -> AlertFields.parse(r.value()))
                .toList();
        assertThat(docs.stream()
                        .collect(Collectors.groupingBy(d -> d.get("reason").asText(), Collectors.counting())))
                .as("dead letters by reason; the tombstone is skipped, nothing else is rejected")
                .isEqualTo(expected);
        assertThat(docs).allSatisfy(d -> {
            assertThat(d.get("origin").asText()).matches("kv-audit-bounded-[0-2]@\\d+");
            assertThat(d.get("ingest_time").asText()).as("the record timestamp").isNotBlank();
        });
        assertThat(run.deadLetters())
                .as("dead letters are unkeyed")
                .allSatisfy(r -> assertThat(r.key()).isNull());
    }

    @Test
    void kcatReadsTheAlertTopicLikeTheJavaClient(@TempDir Path dir) throws Exception {
        Optional<Path> kcat = onPath("kcat");
        assumeTrue(kcat.isPresent(), "kcat is not on the PATH (apt-get install kcat; .ci/run installs it)");
        BoundedRun run = boundedRun();
        Path script = Path.of("deploy/scripts/read-alerts-with-kcat.sh").toAbsolutePath();
        Path out = dir.resolve("kcat.out");
        Path err = dir.resolve("kcat.err");

        Process process = new ProcessBuilder(
                        "bash",
                        script.toString(),
                        KAFKA.bootstrapServers(),
                        run.alertTopic(),
                        Integer.toString(run.alerts().size()))
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        boolean exited = process.waitFor(60, TimeUnit.SECONDS);
        if (!exited) {
            process.destroyForcibly();
        }
        String stderr = Files.readString(err, UTF_8);
        assertThat(exited)
                .as("the kcat script exited within 60 s; stderr: %s", stderr)
                .isTrue();
        assertThat(process.exitValue())
                .as("the kcat script's exit code; stderr: %s", stderr)
                .isZero();

        Map<String, String> read = Files.readAllLines(out, UTF_8).stream()
                .filter(l -> !l.isEmpty())
                .map(l -> l.split("\t", 2))
                .collect(Collectors.toMap(f -> f[0], f -> f[1]));
        Map<String, String> expected =
                run.alerts().stream().collect(Collectors.toMap(ConsumerRecord::key, ConsumerRecord::value));
        assertThat(read).as("alert id -> alert document, as kcat prints them").isEqualTo(expected);
    }

    private static synchronized BoundedRun boundedRun() throws Exception {
        if (boundedRun == null) {
            boundedRun = runBounded();
        }
        return boundedRun;
    }

    private static BoundedRun runBounded() throws Exception {
        String input = "kv-audit-bounded";
        String alerts = "kv-alerts-bounded";
        String deadLetters = "kv-dead-letters-bounded";
        KAFKA.createTopic(input, PARTITIONS, KEEP_FOREVER);
        KAFKA.createTopic(alerts, PARTITIONS, KEEP_FOREVER);
        KAFKA.createTopic(deadLetters, 2, KEEP_FOREVER);
        AuditStreamGenerator.Stream stream = AuditStreamGenerator.generate(profile(21));

        List<Message> messages = new ArrayList<>(toMessages(stream.lines()));
        long last = messages.get(messages.size() - 1).timestamp();
        messages.add(new Message(0, last, notUtf8()));
        messages.add(new Message(1, last, oversized(80 * 1024)));
        messages.add(new Message(2, last, null)); // a tombstone: skipped
        KafkaTopics topics = new KafkaTopics(KAFKA.bootstrapServers());
        topics.produce(input, messages);

        long start = System.nanoTime();
        KeyVaultNewTermsJob.main(new String[] {
            "--kafka.bootstrap-servers", KAFKA.bootstrapServers(),
            "--kafka.topic", input,
            "--kafka.group-id", "kvwatch-it-bounded",
            "--kafka.starting-offsets", "earliest",
            "--kafka.bounded", "true",
            "--alerts.topic", alerts,
            "--dead-letters.topic", deadLetters,
            "--transactional-id-prefix", "kvwatch-it-bounded",
            "--max-message-size", "64kb",
            "--checkpoint-interval", "500ms",
            "--parallelism", "2"
        });
        Duration jobTime = Duration.ofNanos(System.nanoTime() - start);

        return new BoundedRun(
                stream, topics.readAllCommitted(alerts), topics.readAllCommitted(deadLetters), alerts, jobTime);
    }

    @Test
    void boundedReadOfShuffledPartitionsGivesExactlyTheOraclesAlerts() throws Exception {
        String input = "kv-audit-shuffled";
        String alerts = "kv-alerts-shuffled";
        KAFKA.createTopic(input, PARTITIONS, KEEP_FOREVER);
        KAFKA.createTopic(alerts, PARTITIONS, KEEP_FOREVER);
        KAFKA.createTopic("kv-dead-letters-shuffled", 1, KEEP_FOREVER);
        AuditStreamGenerator.Stream stream = AuditStreamGenerator.generate(profile(22));
        List<Message> messages = new ArrayList<>(toMessages(stream.lines()));
        // Timestamps stay each record's rule time; the order within each partition is random (a replay of an
        // archive in file order, say), far beyond any out-of-orderness bound.
        Collections.shuffle(messages, new Random(9));
        KafkaTopics topics = new KafkaTopics(KAFKA.bootstrapServers());
        topics.produce(input, messages);

        KeyVaultNewTermsJob.main(new String[] {
            "--kafka.bootstrap-servers", KAFKA.bootstrapServers(),
            "--kafka.topic", input,
            "--kafka.group-id", "kvwatch-it-shuffled",
            "--kafka.starting-offsets", "earliest",
            "--kafka.bounded", "true",
            "--alerts.topic", alerts,
            "--dead-letters.topic", "kv-dead-letters-shuffled",
            "--transactional-id-prefix", "kvwatch-it-shuffled",
            // one record per fetch: the read takes long enough for watermarks to pass while it goes on
            "--kafka.properties.max.partition.fetch.bytes", "1",
            "--checkpoint-interval", "500ms",
            "--parallelism", "2"
        });

        List<String> values = topics.readAllCommitted(alerts).stream()
                .map(ConsumerRecord::value)
                .toList();
        assertThat(AlertFields.asReads(values))
                .as("the oracle's alerts, whatever the order in the partitions")
                .containsExactlyInAnyOrderElementsOf(NewTermsOracle.expectedAlerts(stream.reads(), WINDOW));
        assertThat(values)
                .as("nothing decided late")
                .allSatisfy(
                        v -> assertThat(AlertFields.parse(v).get("kvwatch.late").asBoolean())
                                .isFalse());
    }

    // ---- 2. exactly-once: stop mid-stream, restart from the last checkpoint, every alert once

    @Test
    void stopMidStreamAndRestartFromCheckpointKeepsEveryAlertExactlyOnce(
            @InjectMiniCluster MiniCluster cluster, @TempDir Path checkpoints) throws Exception {
        String input = "kv-audit-restart";
        String alerts = "kv-alerts-restart";
        String deadLetters = "kv-dead-letters-restart";
        String group = "kvwatch-it-restart";
        KAFKA.createTopic(input, PARTITIONS, KEEP_FOREVER);
        KAFKA.createTopic(alerts, PARTITIONS, KEEP_FOREVER);
        KAFKA.createTopic(deadLetters, 1, KEEP_FOREVER);
        KafkaTopics topics = new KafkaTopics(KAFKA.bootstrapServers());

        AuditStreamGenerator.Stream stream = AuditStreamGenerator.generate(profile(33));
        List<Message> messages = toMessages(stream.lines());
        List<AuditStreamGenerator.Read> expected = NewTermsOracle.expectedAlerts(stream.reads(), WINDOW);
        int firstCut = messages.size() / 2;
        int secondCut = messages.size() * 3 / 4;
        long secondPartStart = messages.get(firstCut).timestamp();
        long secondPartEnd =
                messages.get(secondCut).timestamp() - Duration.ofMinutes(1).toMillis();
        assertThat(expected.stream()
                        .filter(r -> r.time() > secondPartStart && r.time() < secondPartEnd)
                        .count())
                .as("alerts the job makes from the second part before it is stopped")
                .isGreaterThan(5);

        Map<String, String> settings = Map.of(
                "kafka.bootstrap-servers",
                KAFKA.bootstrapServers(),
                "kafka.topic",
                input,
                "kafka.group-id",
                group,
                "kafka.starting-offsets",
                "earliest",
                "alerts.topic",
                alerts,
                "dead-letters.topic",
                deadLetters,
                "transactional-id-prefix",
                "kvwatch-it-restart",
                "parallelism",
                "2");

        // Job A: checkpoints only when the test says, so that what is committed is known.
        topics.produce(input, messages.subList(0, firstCut));
        JobClient jobA = submit(with(settings, "checkpoint-interval", "1h"), checkpoints, null);
        String checkpoint;
        int committedByA;
        int writtenByA;
        try {
            awaitUntil(
                    () -> topics.readAll(alerts, "read_uncommitted").size() > 0,
                    "job A writes its first alerts (into an open transaction)");
            checkpoint = cluster.triggerCheckpoint(jobA.getJobID()).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            int writtenAtCheckpoint = topics.readAll(alerts, "read_uncommitted").size();

            topics.produce(input, messages.subList(firstCut, secondCut));
            awaitUntil(
                    () -> topics.readAll(alerts, "read_uncommitted").size() > writtenAtCheckpoint,
                    "job A writes alerts after its checkpoint, which no checkpoint will commit");
        } finally {
            jobA.cancel().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            awaitUntil(() -> cluster.getJobStatus(jobA.getJobID()).get() == JobStatus.CANCELED, "job A cancelled");
        }
        committedByA = topics.readAll(alerts, "read_committed").size();
        writtenByA = topics.readAll(alerts, "read_uncommitted").size();
        assertThat(committedByA)
                .as("alerts committed by job A's one checkpoint")
                .isPositive();
        assertThat(writtenByA).as("alerts job A wrote in all").isGreaterThan(committedByA);

        // The rest of the stream arrives while the job is down; then time moves on in every partition, so that the
        // last alerts, which wait for the watermark, are made.
        List<Message> rest = new ArrayList<>(messages.subList(secondCut, messages.size()));
        long later = messages.get(messages.size() - 1).timestamp()
                + Duration.ofDays(1).toMillis();
        for (int p = 0; p < PARTITIONS; p++) {
            rest.add(new Message(p, later, otherCategory(later)));
        }
        topics.produce(input, rest);

        // Job B: restored from job A's checkpoint, checkpointing on its own now.
        JobClient jobB = submit(with(settings, "checkpoint-interval", "300ms"), checkpoints, checkpoint);
        try {
            awaitUntil(
                    () -> topics.readAll(alerts, "read_committed").size() >= expected.size(),
                    "job B commits the alerts up to the expected count " + expected.size());
            Map<Integer, Long> end = topics.endOffsets(input);
            awaitUntil(
                    () -> topics.committedOffsets(group, input).equals(end),
                    "job B has read and checkpointed the whole input " + end);
            long completed = completedCheckpoints(cluster, jobB.getJobID());
            awaitUntil(
                    () -> completedCheckpoints(cluster, jobB.getJobID()) >= completed + 2,
                    "two more checkpoints: whatever job B made from the input is committed");

            CheckpointStatsSnapshot stats =
                    cluster.getExecutionGraph(jobB.getJobID()).get().getCheckpointStatsSnapshot();
            assertThat(stats.getLatestRestoredCheckpoint())
                    .as("job B was restored from a checkpoint")
                    .isNotNull();
            assertThat(stats.getLatestRestoredCheckpoint().getExternalPath()).isEqualTo(checkpoint);
        } finally {
            jobB.cancel().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }

        List<ConsumerRecord<String, String>> committed = topics.readAll(alerts, "read_committed");
        assertThat(AlertFields.asReads(
                        committed.stream().map(ConsumerRecord::value).toList()))
                .as("alerts read_committed after stop and restart: exactly the oracle's, each once")
                .containsExactlyInAnyOrderElementsOf(expected);
        assertThat(committed)
                .allSatisfy(r -> assertThat(r.key())
                        .isEqualTo(AlertFields.parse(r.value())
                                .get("kibana.alert.uuid")
                                .asText()));
        assertThat(topics.readAll(alerts, "read_uncommitted").size())
                .as("the log also holds job A's aborted alerts, which job B made again: read_committed hides them")
                .isEqualTo(expected.size() + (writtenByA - committedByA));
    }

    // ---- 3. the Event Hubs connection string leaks nowhere in a run with real Kafka clients

    @Test
    void eventHubsConnectionStringLeaksNowhereWhenTheClientsFail(
            @InjectMiniCluster MiniCluster cluster, @TempDir Path dir) throws Exception {
        String key = FakeSecrets.sharedAccessKey();
        String secret = FakeSecrets.connectionString("kvwatch-it", key);
        Path secretFile = dir.resolve("eventhubs-connection-string");
        Files.writeString(secretFile, secret);
        KAFKA.createTopic("kv-audit-secret", 1);

        // The Event Hubs preset (SASL_SSL) pointed at the plaintext test broker: the clients are created with the
        // secret, try to authenticate, fail, and the job fails; everything they log and throw is searched.
        String[] args = {
            "--eventhubs.namespace", "kvwatch-it",
            "--eventhubs.connection-string-file", secretFile.toString(),
            "--kafka.bootstrap-servers", KAFKA.bootstrapServers(),
            "--kafka.topic", "kv-audit-secret",
            "--alerts.topic", "kv-alerts-secret",
            "--dead-letters.topic", "kv-dead-letters-secret",
            "--kafka.properties.default.api.timeout.ms", "3000",
            "--kafka.properties.request.timeout.ms", "3000",
            "--parallelism", "1"
        };
        String log;
        Throwable failure = null;
        try (CapturedLogs logs =
                CapturedLogs.capture(Level.DEBUG, "org.apache.kafka", "org.apache.flink", "io.kvwatch")) {
            try {
                KeyVaultNewTermsJob.main(args);
            } catch (Exception e) {
                failure = e;
            }
            log = logs.text();
        }
        assertThat(failure)
                .as("the job fails: its clients cannot authenticate to a plaintext broker")
                .isNotNull();
        StringWriter trace = new StringWriter();
        failure.printStackTrace(new PrintWriter(trace));

        JobID job = cluster.listJobs().get().stream()
                .filter(j -> j.getJobState() == JobStatus.FAILED)
                .max(Comparator.comparingLong(JobStatusMessage::getStartTime))
                .orElseThrow()
                .getJobId();
        URI rest = cluster.getRestAddress().get();
        Map<String, String> shown = new TreeMap<>();
        for (String path : List.of(
                "/jobs/" + job,
                "/jobs/" + job + "/config",
                "/jobs/" + job + "/plan",
                "/jobs/" + job + "/exceptions",
                "/jobmanager/config")) {
            shown.put(path, get(rest.resolve(path)));
        }

        assertThat(log)
                .as("the Kafka clients' own configuration log was captured, the secret masked")
                .contains("sasl.jaas.config = [hidden]");
        assertThat(log)
                .as("the run's log (DEBUG for Kafka and Flink)")
                .doesNotContain(key)
                .doesNotContain(secret);
        assertThat(trace.toString()).as("the failure and its causes").doesNotContain(key);
        assertThat(shown.get("/jobs/" + job + "/config")).as("REST job config").contains("execution-config");
        assertThat(shown)
                .as("Flink's REST API about the job")
                .allSatisfy((path, body) -> assertThat(body).as(path).doesNotContain(key));
    }

    private static String get(URI uri) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(uri)
                                .timeout(Duration.ofSeconds(10))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("GET %s", uri).isEqualTo(200);
        return response.body();
    }

    private static JobClient submit(Map<String, String> settings, Path checkpoints, String restoreFrom)
            throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        Configuration conf = new Configuration();
        conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
        conf.set(
                CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
                ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        env.configure(conf);
        JobConfig config = JobConfig.of(settings);
        new KeyVaultNewTermsJob(config, KeyVaultNewTermsJob.inputFrom(config), KeyVaultNewTermsJob.outputsFrom(config))
                .build(env);
        StreamGraph graph = env.getStreamGraph();
        if (restoreFrom != null) {
            graph.setSavepointRestoreSettings(SavepointRestoreSettings.forPath(restoreFrom, false));
        }
        return env.executeAsync(graph);
    }

    private static long completedCheckpoints(MiniCluster cluster, JobID job) throws Exception {
        return cluster.getExecutionGraph(job)
                .get()
                .getCheckpointStatsSnapshot()
                .getCounts()
                .getNumberOfCompletedCheckpoints();
    }

    // ---- helpers

    /** One audit record per message, in time order: each message's timestamp can be its record's rule time. */
    private static AuditStreamGenerator.Profile profile(long seed) {
        return new AuditStreamGenerator.Profile()
                .seed(seed)
                .days(20)
                .readsPerDay(50)
                .maxRecordsPerEnvelope(1)
                .maxDisorder(Duration.ZERO)
                .garbageLines(4);
    }

    /**
     * Each line as a message whose timestamp is its record's rule time ({@code time}, or {@code event.ingested} for
     * ECS); garbage gets the previous message's timestamp. Dealt round-robin to the partitions.
     */
    private static List<Message> toMessages(List<String> lines) {
        List<Message> messages = new ArrayList<>();
        long last = Instant.parse("2026-09-01T00:00:00Z").toEpochMilli();
        for (int i = 0; i < lines.size(); i++) {
            Long time = ruleTime(lines.get(i));
            if (time != null) {
                assertThat(time).as("generated lines are in time order").isGreaterThanOrEqualTo(last);
                last = time;
            }
            messages.add(new Message(i % PARTITIONS, last, lines.get(i).getBytes(UTF_8)));
        }
        return messages;
    }

    private static Long ruleTime(String line) {
        JsonNode node;
        try {
            node = MAPPER.readTree(line);
        } catch (Exception e) {
            return null;
        }
        JsonNode records = node.get("records");
        JsonNode record = records == null ? node : records.isArray() && records.size() > 0 ? records.get(0) : null;
        if (record == null) {
            return null;
        }
        JsonNode time =
                record.has("time") ? record.get("time") : record.path("event").get("ingested");
        return time != null && time.isTextual() ? Instant.parse(time.asText()).toEpochMilli() : null;
    }

    private static byte[] notUtf8() {
        byte[] valid = "{\"records\":[{\"time\":\"2026-09-02T00:00:00Z\",\"category\":\"AuditEvent\",\"x\":\"..\"}]}"
                .getBytes(UTF_8);
        int at = new String(valid, UTF_8).indexOf("..");
        valid[at] = (byte) 0xC3; // the first byte of a two-byte sequence ...
        valid[at + 1] = (byte) 0x28; // ... followed by '(' instead of a continuation byte
        return valid;
    }

    private static byte[] oversized(int bytes) {
        String head = "{\"records\":[{\"category\":\"AuditEvent\",\"padding\":\"";
        String tail = "\"}]}";
        return (head + "x".repeat(bytes - head.length() - tail.length()) + tail).getBytes(UTF_8);
    }

    /** A record of another category: ignored by the rule, it only moves the partition's event time on. */
    private static byte[] otherCategory(long time) {
        return ("{\"records\":[{\"time\":\"" + Instant.ofEpochMilli(time) + "\",\"category\":\"AppServiceHTTPLogs\","
                        + "\"resourceId\":\"/SUBSCRIPTIONS/0B1F6471/RESOURCEGROUPS/WEB/PROVIDERS/MICROSOFT.WEB/SITES/SHOP\"}]}")
                .getBytes(UTF_8);
    }

    private static Map<String, String> with(Map<String, String> base, String key, String value) {
        Map<String, String> m = new HashMap<>(base);
        m.put(key, value);
        return m;
    }

    @FunctionalInterface
    interface Condition {
        boolean holds() throws Exception;
    }

    /** Polls a condition until it holds, failing with {@code what} after {@link #TIMEOUT}. */
    private static void awaitUntil(Condition condition, String what) {
        Wait.until(what, TIMEOUT, condition::holds);
    }

    static Optional<Path> onPath(String executable) {
        String path = System.getenv("PATH");
        return path == null
                ? Optional.empty()
                : Stream.of(path.split(File.pathSeparator))
                        .filter(d -> !d.isEmpty())
                        .map(d -> Path.of(d, executable))
                        .filter(Files::isExecutable)
                        .findFirst();
    }
}
