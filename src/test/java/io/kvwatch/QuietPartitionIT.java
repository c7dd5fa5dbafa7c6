package io.kvwatch;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvwatch.config.JobConfig;
import io.kvwatch.testing.AlertFields;
import io.kvwatch.testing.KafkaBrokerExtension;
import io.kvwatch.testing.KafkaTopics;
import io.kvwatch.testing.KafkaTopics.Message;
import io.kvwatch.testing.LoopbackMiniCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The last alert before a lull leaves without waiting for the next record: one read arrives on a two-partition
 * topic and nothing follows. With Event Hubs-style timestamps (broker time) the quiet partitions' watermarks follow
 * the clock and the alert is out within seconds; with watermarks that only follow records, it waits.
 */
class QuietPartitionIT {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(LoopbackMiniCluster.withSlots(2));

    static final String READ = "{\"records\":[{\"time\":\"%s\",\"category\":\"AuditEvent\","
            + "\"resourceId\":\"/SUBSCRIPTIONS/S/RESOURCEGROUPS/G/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV-QUIET\","
            + "\"operationName\":\"SecretGet\",\"resultType\":\"Success\",\"identity\":{\"claim\":{\"upn\":\"%s\"}},"
            + "\"properties\":{\"id\":\"https://kv-quiet.vault.azure.net/secrets/s\",\"httpStatusCode\":200}}]}";

    @Test
    void lastAlertLeavesWhilePartitionsAreQuietWhenTheWatermarkFollowsTheClock() throws Exception {
        Duration latency = runOneReadAndAwaitItsAlert("follows", true, Duration.ofSeconds(60));
        assertThat(latency)
                .as("out-of-orderness 1 s + idleness 2 s + watermark and checkpoint-free delivery")
                .isLessThan(Duration.ofSeconds(30));
    }

    @Test
    void withoutItTheLastAlertWaitsForTheNextRecord() throws Exception {
        Duration latency = runOneReadAndAwaitItsAlert("records-only", false, Duration.ofSeconds(12));
        assertThat(latency).as("no alert while no further record arrives").isNull();
    }

    /** Returns how long the alert took to appear, or null when it did not within {@code wait}. */
    private static Duration runOneReadAndAwaitItsAlert(String name, boolean followClock, Duration wait)
            throws Exception {
        String input = "kv-quiet-in-" + name;
        String alerts = "kv-quiet-alerts-" + name;
        String deadLetters = "kv-quiet-dead-" + name;
        KAFKA.createTopic(input, 2);
        KAFKA.createTopic(alerts, 1);
        KAFKA.createTopic(deadLetters, 1);
        JobConfig config = JobConfig.of(Map.ofEntries(
                Map.entry("kafka.bootstrap-servers", KAFKA.bootstrapServers()),
                Map.entry("kafka.topic", input),
                Map.entry("kafka.group-id", "kvwatch-quiet-" + name),
                Map.entry("kafka.starting-offsets", "earliest"),
                Map.entry("alerts.topic", alerts),
                Map.entry("dead-letters.topic", deadLetters),
                Map.entry("delivery-guarantee", "at-least-once"),
                Map.entry("out-of-orderness", "1s"),
                Map.entry("idleness", "2s"),
                Map.entry("idle-watermark-follows-clock", Boolean.toString(followClock)),
                Map.entry("parallelism", "2")));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        new KeyVaultNewTermsJob(config, KeyVaultNewTermsJob.inputFrom(config), KeyVaultNewTermsJob.outputsFrom(config))
                .build(env);
        JobClient job = env.executeAsync("quiet-" + name);
        try {
            long now = System.currentTimeMillis();
            String upn = name + "@contoso.com";
            KafkaTopics topics = new KafkaTopics(KAFKA.bootstrapServers());
            topics.produce(
                    input,
                    List.of(new Message(
                            0,
                            now,
                            String.format(READ, Instant.ofEpochMilli(now), upn).getBytes(StandardCharsets.UTF_8))));
            long start = System.nanoTime();
            long deadline = start + wait.toNanos();
            while (System.nanoTime() < deadline) {
                var records = topics.readAll(alerts, "read_uncommitted");
                if (!records.isEmpty()) {
                    assertThat(records)
                            .singleElement()
                            .satisfies(r -> assertThat(AlertFields.parse(r.value())
                                            .get("kibana.alert.new_terms")
                                            .get(0)
                                            .asText())
                                    .isEqualTo(upn));
                    return Duration.ofNanos(System.nanoTime() - start);
                }
                Thread.sleep(200); // polling interval of the observer, not synchronisation of the job
            }
            return null;
        } finally {
            job.cancel().get();
        }
    }
}
