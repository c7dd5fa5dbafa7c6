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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
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
        Duration latency = runOneReadAndAwaitItsAlert("follows", settings(true), false, Duration.ofSeconds(60));
        assertThat(latency)
                .as("out-of-orderness 1 s + idleness 2 s + watermark and checkpoint-free delivery")
                .isLessThan(Duration.ofSeconds(30));
    }

    @Test
    void withTheEventHubsDefaultsTheLastAlertLeavesAboutTheClockLagAfterItsRecord() throws Exception {
        // Only the fact the Event Hubs preset implies: the broker stamps the timestamps. No event-time setting.
        Duration latency = runOneReadAndAwaitItsAlert(
                "defaults", Map.of("kafka.timestamp-type", "log-append-time"), true, Duration.ofSeconds(30));
        assertThat(latency)
                .as("out-of-orderness 0 + idle-watermark-lag 1 s + the watermark interval and delivery, with every"
                        + " partition quiet; far below the 1 min idleness, which applies only to partitions not read"
                        + " to their end")
                .isNotNull()
                .isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void withoutItTheLastAlertWaitsForTheNextRecord() throws Exception {
        Duration latency = runOneReadAndAwaitItsAlert("records-only", settings(false), false, Duration.ofSeconds(12));
        assertThat(latency).as("no alert while no further record arrives").isNull();
    }

    static Map<String, String> settings(boolean followClock) {
        return Map.of(
                "out-of-orderness", "1s",
                "idleness", "2s",
                "idle-watermark-follows-clock", Boolean.toString(followClock));
    }

    /**
     * Returns how long the alert took to appear, or null when it did not within {@code wait}.
     *
     * @param eventTime the event-time settings of the run
     * @param readToTheEnd first let each partition deliver a read (and await both alerts), so that the job has read
     *     every partition to its end before the measured read; the topic then stamps append times
     */
    private static Duration runOneReadAndAwaitItsAlert(
            String name, Map<String, String> eventTime, boolean readToTheEnd, Duration wait) throws Exception {
        String input = "kv-quiet-in-" + name;
        String alerts = "kv-quiet-alerts-" + name;
        String deadLetters = "kv-quiet-dead-" + name;
        if (readToTheEnd) {
            KAFKA.createTopic(input, 2, Map.of("message.timestamp.type", "LogAppendTime"));
        } else {
            KAFKA.createTopic(input, 2);
        }
        KAFKA.createTopic(alerts, 1);
        KAFKA.createTopic(deadLetters, 1);
        Map<String, String> settings = new HashMap<>(eventTime);
        settings.putAll(Map.ofEntries(
                Map.entry("kafka.bootstrap-servers", KAFKA.bootstrapServers()),
                Map.entry("kafka.topic", input),
                Map.entry("kafka.group-id", "kvwatch-quiet-" + name),
                Map.entry("kafka.starting-offsets", "earliest"),
                Map.entry("alerts.topic", alerts),
                Map.entry("dead-letters.topic", deadLetters),
                Map.entry("delivery-guarantee", "at-least-once"),
                Map.entry("parallelism", "2")));
        JobConfig config = JobConfig.of(settings);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        new KeyVaultNewTermsJob(config, KeyVaultNewTermsJob.inputFrom(config), KeyVaultNewTermsJob.outputsFrom(config))
                .build(env);
        JobClient job = env.executeAsync("quiet-" + name);
        try {
            KafkaTopics topics = new KafkaTopics(KAFKA.bootstrapServers());
            if (readToTheEnd) {
                long then = System.currentTimeMillis();
                List<Message> firstReads = new ArrayList<>();
                for (int partition = 0; partition < 2; partition++) {
                    String first = String.format(
                            READ, Instant.ofEpochMilli(then), "warm-" + partition + "-" + name + "@contoso.com");
                    firstReads.add(new Message(partition, then, first.getBytes(StandardCharsets.UTF_8)));
                }
                topics.produce(input, firstReads);
                long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                while (warmUpAlerts(topics, alerts) < 2) {
                    assertThat(System.nanoTime())
                            .as("both partitions' first reads alert (the job started and read each partition)")
                            .isLessThan(deadline);
                    Thread.sleep(200); // polling interval of the observer, not synchronisation of the job
                }
            }
            long now = System.currentTimeMillis();
            String upn = name + "@contoso.com";
            topics.produce(
                    input,
                    List.of(new Message(
                            0,
                            now,
                            String.format(READ, Instant.ofEpochMilli(now), upn).getBytes(StandardCharsets.UTF_8))));
            long start = System.nanoTime();
            long deadline = start + wait.toNanos();
            while (System.nanoTime() < deadline) {
                var records = topics.readAll(alerts, "read_uncommitted").stream()
                        .filter(r -> !upnOf(r).startsWith("warm-"))
                        .toList();
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

    private static long warmUpAlerts(KafkaTopics topics, String alerts) throws Exception {
        return topics.readAll(alerts, "read_uncommitted").stream()
                .filter(r -> upnOf(r).startsWith("warm-"))
                .count();
    }

    private static String upnOf(ConsumerRecord<String, String> alert) {
        return AlertFields.parse(alert.value())
                .get("kibana.alert.new_terms")
                .get(0)
                .asText();
    }
}
