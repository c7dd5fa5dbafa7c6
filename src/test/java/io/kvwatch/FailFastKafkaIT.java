package io.kvwatch;

import static io.kvwatch.FailFastTest.assertSetupError;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvwatch.config.JobConfig;
import io.kvwatch.testing.FakeSecrets;
import io.kvwatch.testing.JobProcess;
import io.kvwatch.testing.KafkaBrokerExtension;
import io.kvwatch.testing.KafkaTopics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kafka setup mistakes that need a real broker: a topic the job reads or writes does not exist. A local run
 * asks the broker before it starts (the job creates no topics) and ends with one line naming the topic.
 */
class FailFastKafkaIT {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @TempDir
    Path dir;

    @Test
    void inputTopicMissing() throws Exception {
        JobProcess.Result r = job(
                "--kafka.bootstrap-servers",
                KAFKA.bootstrapServers(),
                "--kafka.topic",
                "kv-audit-nobody-made",
                "--kafka.check-timeout",
                "10s");
        assertSetupError(r, "No topic 'kv-audit-nobody-made' (kafka.topic)", KAFKA.bootstrapServers());
    }

    @Test
    void outputTopicsMissing() throws Exception {
        KAFKA.broker().createTopic("kv-audit-present", 1);
        JobProcess.Result r = job(
                "--kafka.bootstrap-servers",
                KAFKA.bootstrapServers(),
                "--kafka.topic",
                "kv-audit-present",
                "--alerts.topic",
                "kv-alerts-absent",
                "--dead-letters.topic",
                "kv-dead-letters-absent",
                "--kafka.check-timeout",
                "10s");
        assertSetupError(
                r,
                "No topic 'kv-alerts-absent' (alerts.topic), 'kv-dead-letters-absent' (dead-letters.topic)",
                "create them");
        assertThat(r.stderrLines().get(0))
                .as("the topic that is there is not named")
                .doesNotContain("kv-audit-present");
    }

    /**
     * Broker timestamps declared for a topic whose timestamps are the producers': quiet partitions would follow the
     * clock past a producer's late timestamps, so the run is refused, naming the topic and both ways out.
     */
    @Test
    void brokerTimestampsDeclaredForACreateTimeTopic() throws Exception {
        KAFKA.broker().createTopic("kv-audit-create-time", 1, Map.of("message.timestamp.type", "CreateTime"));
        JobProcess.Result r = job(
                "--kafka.bootstrap-servers",
                KAFKA.bootstrapServers(),
                "--kafka.topic",
                "kv-audit-create-time",
                "--kafka.timestamp-type",
                "log-append-time",
                "--kafka.check-timeout",
                "10s");
        assertSetupError(
                r,
                "kafka.timestamp-type is log-append-time but topic 'kv-audit-create-time' has"
                        + " message.timestamp.type=CreateTime",
                "Leave kafka.timestamp-type out");
    }

    /**
     * The Event Hubs preset (TLS and SASL, the connection string as password) pointed at the plaintext test broker:
     * the client cannot get in, and the line says so, bounded by kafka.check-timeout, without the secret.
     */
    @Test
    void credentialsTheClusterCannotTake() throws Exception {
        KAFKA.broker().createTopic("kv-audit-eh", 1);
        String key = FakeSecrets.sharedAccessKey();
        JobProcess.Result r = JobProcess.run(
                dir,
                Duration.ofSeconds(90),
                Map.of(JobConfig.EVENTHUBS_CONNECTION_STRING_ENV, FakeSecrets.connectionString("kvwatch-it", key)),
                KeyVaultNewTermsJob.class.getName(),
                "--kafka.bootstrap-servers",
                KAFKA.bootstrapServers(),
                "--kafka.topic",
                "kv-audit-eh",
                "--kafka.check-timeout",
                "5s");
        assertSetupError(r, "the Event Hubs namespace at " + KAFKA.bootstrapServers());
        assertThat(r.stderrLines().get(0))
                .as("the cause")
                .containsAnyOf("refused the job's credentials", "security settings (TLS, SASL)");
        assertThat(r.stderr() + r.stdout() + java.nio.file.Files.readString(r.log()))
                .as("the secret is nowhere, log file included")
                .doesNotContain(key);
    }

    /** A bounded run on Kafka ends, like one on files, with the summary: what it read, and where the alerts went. */
    @Test
    void boundedKafkaRunEndsWithItsSummary() throws Exception {
        KAFKA.broker().createTopic("kv-audit-bounded", 1);
        List<String> sample = Files.readAllLines(Path.of("src/main/resources/samples/keyvault-audit-sample.ndjson"));
        List<KafkaTopics.Message> messages = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (String line : sample) {
            messages.add(new KafkaTopics.Message(0, now, line.getBytes(StandardCharsets.UTF_8)));
        }
        new KafkaTopics(KAFKA.bootstrapServers()).produce("kv-audit-bounded", messages);

        JobProcess.Result r = job(
                "--kafka.bootstrap-servers",
                KAFKA.bootstrapServers(),
                "--kafka.topic",
                "kv-audit-bounded",
                "--kafka.bounded",
                "--kafka.starting-offsets",
                "earliest",
                "--parallelism",
                "1");
        assertThat(r.exitCode()).as("a bounded run ends: %s", r).isZero();
        assertThat(r.stderr())
                .as("the summary")
                .contains(
                        "kvwatch: finished in ", "read Kafka topic(s) kv-audit-bounded at " + KAFKA.bootstrapServers())
                .containsPattern("messages +" + sample.size() + "\\R")
                .containsPattern("dead letters +9 .*; to stderr")
                .containsPattern("alerts +" + r.stdout().lines().count() + " +to stdout");
        assertThat(r.stderr()).as("no start line: the run has an end").doesNotContain("until stopped");
    }

    /** A run without an end says as it starts what it reads and where its outputs go: no summary will. */
    @Test
    void endlessKafkaRunSaysWhatItDoesAsItStarts() throws Exception {
        KAFKA.broker().createTopic("kv-audit-endless", 1);
        String line = JobProcess.firstLineOfEndlessRun(
                dir,
                Duration.ofSeconds(60),
                "kvwatch: ",
                KeyVaultNewTermsJob.class.getName(),
                "--kafka.bootstrap-servers",
                KAFKA.bootstrapServers(),
                "--kafka.topic",
                "kv-audit-endless",
                "--output",
                "alerts.ndjson");
        assertThat(line)
                .isEqualTo("kvwatch: running on Kafka topic(s) kv-audit-endless at " + KAFKA.bootstrapServers()
                        + " until stopped (Ctrl-C); alerts to alerts.ndjson, dead letters to stderr");
    }

    private JobProcess.Result job(String... args) throws Exception {
        return JobProcess.run(dir, Duration.ofSeconds(90), Map.of(), KeyVaultNewTermsJob.class.getName(), args);
    }
}
