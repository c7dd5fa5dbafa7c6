package io.kvwatch.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvwatch.testing.FakeSecrets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Event Hubs preset: Microsoft's recommended client settings, and connection strings checked without echo. */
class EventHubsSettingsTest {

    private final String key = FakeSecrets.sharedAccessKey();
    private final String secret = FakeSecrets.connectionString("kv-logs", key);
    private final EventHubsConnectionString connectionString = EventHubsConnectionString.parse(secret, "test");

    @Test
    void presetIsTheNamespacesKafkaEndpointWithSaslPlainOverTls() {
        EventHubsSettings preset = EventHubsSettings.of("kv-logs", connectionString);

        assertThat(preset.bootstrapServers()).isEqualTo("kv-logs.servicebus.windows.net:9093");
        Map<String, String> common = preset.commonProperties();
        assertThat(common)
                .containsEntry("bootstrap.servers", "kv-logs.servicebus.windows.net:9093")
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "PLAIN")
                .containsEntry("request.timeout.ms", "60000")
                .containsEntry("metadata.max.age.ms", "180000")
                .containsEntry("connections.max.idle.ms", "180000");
        assertThat(common.get("sasl.jaas.config"))
                .as("JAAS: PlainLoginModule, user $ConnectionString, the connection string as password")
                .isEqualTo("org.apache.kafka.common.security.plain.PlainLoginModule required"
                        + " username=\"$ConnectionString\" password=\"" + secret + "\";");
        assertThat(preset.consumerProperties()).containsExactlyEntriesOf(Map.of("session.timeout.ms", "30000"));
        assertThat(preset.producerProperties())
                .containsEntry("max.request.size", "1000000")
                .containsEntry("compression.type", "none")
                .hasSize(2);
        assertThat(Long.parseLong(preset.producerProperties().get("max.request.size")))
                .as("below the size at which Event Hubs closes the connection")
                .isLessThan(1_046_528);
    }

    @Test
    void namespaceMayBeOmittedOrGivenAsHostButMustMatchTheEndpoint() {
        assertThat(EventHubsSettings.of(null, connectionString).bootstrapServers())
                .isEqualTo("kv-logs.servicebus.windows.net:9093");
        assertThat(EventHubsSettings.of("KV-LOGS.servicebus.windows.net", connectionString)
                        .bootstrapServers())
                .isEqualTo("kv-logs.servicebus.windows.net:9093");
        assertThatThrownBy(() -> EventHubsSettings.of("other-ns", connectionString))
                .hasMessageContaining("other-ns")
                .hasMessageContaining("kv-logs.servicebus.windows.net")
                .hasMessageNotContaining(key);
    }

    @Test
    void gzipIsTheOnlyCompressionAllowedBesidesNone() {
        EventHubsSettings.checkOverrides(Map.of("compression.type", "gzip"));
        EventHubsSettings.checkOverrides(Map.of("compression.type", "none"));
        for (String codec : new String[] {"snappy", "lz4", "zstd"}) {
            assertThatThrownBy(() -> EventHubsSettings.checkOverrides(Map.of("compression.type", codec)))
                    .as(codec)
                    .hasMessageContaining(codec)
                    .hasMessageContaining("gzip");
        }
    }

    @Test
    void limitsOfTheServiceAreEnforcedOnOverrides() {
        EventHubsSettings.checkOverrides(Map.of("max.request.size", "1046527", "connections.max.idle.ms", "239999"));
        assertThatThrownBy(() -> EventHubsSettings.checkOverrides(Map.of("max.request.size", "1048576")))
                .hasMessageContaining("max.request.size")
                .hasMessageContaining("1046528");
        assertThatThrownBy(() -> EventHubsSettings.checkOverrides(Map.of("connections.max.idle.ms", "300000")))
                .hasMessageContaining("240 s");
        assertThatThrownBy(() -> EventHubsSettings.checkOverrides(Map.of("sasl.jaas.config", "x")))
                .hasMessageContaining("sasl.jaas.config");
        assertThatThrownBy(() -> EventHubsSettings.checkOverrides(Map.of("security.protocol", "PLAINTEXT")))
                .hasMessageContaining("security.protocol");
    }

    @Test
    void malformedConnectionStringsNameTheProblemNotTheValue() {
        String noEndpoint = secret.substring(secret.indexOf(';') + 1);
        String noKey = "Endpoint=sb://kv-logs.servicebus.windows.net/;SharedAccessKeyName=Root;Entity=" + key;
        String badScheme = secret.replace("sb://", "https://");
        String quoted = secret + "\"";
        assertThatThrownBy(() -> EventHubsConnectionString.parse(noEndpoint, "the file /run/secrets/eh"))
                .hasMessageContaining("no Endpoint=")
                .hasMessageContaining("/run/secrets/eh")
                .hasMessageNotContaining(key);
        assertThatThrownBy(() -> EventHubsConnectionString.parse(noKey, "env"))
                .hasMessageContaining("SharedAccessKey")
                .hasMessageNotContaining(key);
        assertThatThrownBy(() -> EventHubsConnectionString.parse(badScheme, "env"))
                .hasMessageContaining("sb://")
                .hasMessageNotContaining(key);
        assertThatThrownBy(() -> EventHubsConnectionString.parse(quoted, "env"))
                .hasMessageContaining("quote")
                .hasMessageNotContaining(key);
        assertThatThrownBy(() -> EventHubsConnectionString.parse("  \n", "env")).hasMessageContaining("empty");
    }

    @Test
    void toStringsShowTheEndpointOnly() {
        assertThat(connectionString.toString())
                .contains("kv-logs.servicebus.windows.net")
                .doesNotContain(key);
        assertThat(EventHubsSettings.of(null, connectionString).toString()).doesNotContain(key);
        assertThat(connectionString.namespace()).isEqualTo("kv-logs");
    }
}
