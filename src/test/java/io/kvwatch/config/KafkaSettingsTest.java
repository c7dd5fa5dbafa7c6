package io.kvwatch.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvwatch.config.JobOptions.StartingOffsets;
import io.kvwatch.testing.FakeSecrets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kafka mode: which settings select it, what the clients get, and what is refused. */
class KafkaSettingsTest {

    @TempDir
    Path dir;

    private static final Map<String, String> PLAIN = Map.of(
            "kafka.bootstrap-servers", "kafka-1:9092,kafka-2:9092",
            "kafka.topic", "keyvault-audit, more-audit ,",
            "alerts.topic", "kv-alerts",
            "dead-letters.topic", "kv-dead-letters");

    @Test
    void localModeHasNoKafkaSettings() {
        assertThat(KafkaSettings.from(JobConfig.of(Map.of("input", "/data/in.ndjson"))))
                .isEmpty();
    }

    @Test
    void plainKafkaDefaults() {
        KafkaSettings kafka = KafkaSettings.from(JobConfig.of(PLAIN)).orElseThrow();

        assertThat(kafka.readsKafka()).isTrue();
        assertThat(kafka.writesKafka()).isTrue();
        assertThat(kafka.isEventHubs()).isFalse();
        assertThat(kafka.topics()).containsExactly("keyvault-audit", "more-audit");
        assertThat(kafka.groupId()).isEqualTo("kvwatch-keyvault-new-terms");
        assertThat(kafka.startingOffsets()).isEqualTo(StartingOffsets.COMMITTED_EARLIEST);
        assertThat(kafka.bounded()).isFalse();
        assertThat(kafka.deliveryGuarantee())
                .as("plain Kafka has transactions")
                .isEqualTo(DeliveryGuarantee.EXACTLY_ONCE);
        assertThat(kafka.transactionTimeout()).as("Kafka's default broker cap").isEqualTo(Duration.ofMinutes(15));
        assertThat(kafka.consumerProperties()).containsEntry("bootstrap.servers", "kafka-1:9092,kafka-2:9092");
        assertThat(kafka.producerProperties()).containsOnlyKeys("bootstrap.servers");
    }

    @Test
    void settingsAreParsedByTheirSpelling() {
        Map<String, String> settings = new HashMap<>(PLAIN);
        settings.put("kafka.starting-offsets", "latest");
        settings.put("kafka.bounded", "true");
        settings.put("delivery-guarantee", "at-least-once");
        settings.put("transaction-timeout", "5 min");
        KafkaSettings kafka = KafkaSettings.from(JobConfig.of(settings)).orElseThrow();
        assertThat(kafka.startingOffsets()).isEqualTo(StartingOffsets.LATEST);
        assertThat(kafka.bounded()).isTrue();
        assertThat(kafka.deliveryGuarantee()).isEqualTo(DeliveryGuarantee.AT_LEAST_ONCE);
        assertThat(kafka.transactionTimeout()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void passThroughPropertiesWinOverThePropertiesFileAndReachEveryClient() throws Exception {
        Path file = dir.resolve("client.properties");
        Files.writeString(
                file,
                "security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\n"
                        + "ssl.truststore.location=/etc/kafka/truststore.jks\n");
        Map<String, String> settings = new HashMap<>(PLAIN);
        settings.put("kafka.properties-file", file.toString());
        settings.put("kafka.properties.sasl.mechanism", "SCRAM-SHA-256");
        settings.put("kafka.properties.client.dns.lookup", "use_all_dns_ips");

        KafkaSettings kafka = KafkaSettings.from(JobConfig.of(settings)).orElseThrow();

        for (Properties client : List.of(kafka.consumerProperties(), kafka.producerProperties())) {
            assertThat(client)
                    .containsEntry("security.protocol", "SASL_SSL")
                    .containsEntry("sasl.mechanism", "SCRAM-SHA-256")
                    .containsEntry("ssl.truststore.location", "/etc/kafka/truststore.jks")
                    .containsEntry("client.dns.lookup", "use_all_dns_ips");
        }
    }

    @Test
    void eventHubsPresetAppliesWithAtLeastOnceByDefault() {
        String key = FakeSecrets.sharedAccessKey();
        Map<String, String> env =
                Map.of(JobConfig.EVENTHUBS_CONNECTION_STRING_ENV, FakeSecrets.connectionString("kv-logs", key));
        Map<String, String> settings = Map.of(
                "eventhubs.namespace", "kv-logs",
                "kafka.topic", "insights-logs-auditevent",
                "alerts.topic", "kv-alerts",
                "dead-letters.topic", "kv-dead-letters",
                "kafka.properties.compression.type", "gzip");

        KafkaSettings kafka = KafkaSettings.from(JobConfig.of(settings, env)).orElseThrow();

        assertThat(kafka.isEventHubs()).isTrue();
        assertThat(kafka.deliveryGuarantee())
                .as("Event Hubs: transactions are not relied on")
                .isEqualTo(DeliveryGuarantee.AT_LEAST_ONCE);
        assertThat(kafka.consumerProperties())
                .containsEntry("bootstrap.servers", "kv-logs.servicebus.windows.net:9093")
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("session.timeout.ms", "30000")
                .doesNotContainKey("max.request.size");
        assertThat(kafka.producerProperties())
                .containsEntry("max.request.size", "1000000")
                .containsEntry("compression.type", "gzip")
                .containsEntry("request.timeout.ms", "60000")
                .doesNotContainKey("session.timeout.ms");
        assertThat(kafka.producerProperties().getProperty("sasl.jaas.config")).contains(key);
        assertThat(kafka.toString()).contains("kv-logs.servicebus.windows.net").doesNotContain(key);
    }

    @Test
    void connectionStringFromAFileAndExactlyOnceOnRequest() throws Exception {
        String key = FakeSecrets.sharedAccessKey();
        Path secretFile = dir.resolve("connection-string");
        Files.writeString(secretFile, FakeSecrets.connectionString("kv-premium", key) + "\n");
        Map<String, String> settings = Map.of(
                "eventhubs.connection-string-file", secretFile.toString(),
                "kafka.topic", "insights-logs-auditevent",
                "delivery-guarantee", "exactly-once");

        KafkaSettings kafka = KafkaSettings.from(JobConfig.of(settings)).orElseThrow();

        assertThat(kafka.bootstrapServers())
                .as("namespace from the endpoint")
                .isEqualTo("kv-premium.servicebus.windows.net:9093");
        assertThat(kafka.deliveryGuarantee()).isEqualTo(DeliveryGuarantee.EXACTLY_ONCE);
        assertThat(kafka.writesKafka()).isFalse();
    }

    @Test
    void contradictionsAreRefused() {
        assertRefused(with(PLAIN, "input", "/data/in.ndjson"), "input");
        assertRefused(with(PLAIN, "output", "/tmp/alerts.ndjson"), "output");
        assertRefused(without(PLAIN, "dead-letters.topic"), "dead-letters.topic");
        assertRefused(without(PLAIN, "kafka.bootstrap-servers"), "kafka.bootstrap-servers");
        assertRefused(with(PLAIN, "delivery-guarantee", "none"), "none");
        assertRefused(with(PLAIN, "kafka.properties.group.id", "other"), "kafka.group-id");
        assertRefused(with(PLAIN, "kafka.properties.transaction.timeout.ms", "60000"), "transaction-timeout");
        assertRefused(Map.of("kafka.bootstrap-servers", "k:9092"), "kafka.topic");
        assertRefused(
                with(without(PLAIN, "kafka.bootstrap-servers"), "eventhubs.namespace", "kv-logs"),
                JobConfig.EVENTHUBS_CONNECTION_STRING_ENV);
    }

    @Test
    void unknownPassThroughKeysNeedTheirPrefixAndBadValuesNameTheKey() {
        assertThatThrownBy(() -> JobConfig.of(with(PLAIN, "kafka.propertiez.x", "1")))
                .hasMessageContaining("kafka.propertiez.x");
        assertThatThrownBy(() -> KafkaSettings.from(JobConfig.of(with(PLAIN, "kafka.starting-offsets", "newest"))))
                .hasMessageContaining("kafka.starting-offsets");
    }

    private static void assertRefused(Map<String, String> settings, String mentioning) {
        assertThatThrownBy(() -> KafkaSettings.from(JobConfig.of(settings)))
                .as("refused: %s", settings)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(mentioning);
    }

    private static Map<String, String> with(Map<String, String> base, String key, String value) {
        Map<String, String> m = new HashMap<>(base);
        m.put(key, value);
        return m;
    }

    private static Map<String, String> without(Map<String, String> base, String key) {
        Map<String, String> m = new HashMap<>(base);
        m.remove(key);
        return m;
    }
}
