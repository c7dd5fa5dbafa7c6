package io.kvwatch.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvwatch.testing.FakeSecrets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Event Hubs connection string comes from its environment variable or a file, never from arguments or the
 * configuration file; and no refusal, error or {@code toString()} repeats it.
 */
class SecretsInConfigurationTest {

    @TempDir
    Path dir;

    private final String key = FakeSecrets.sharedAccessKey();
    private final String secret = FakeSecrets.connectionString("kv-logs", key);

    @Test
    void envVarNameFollowsTheSettingsConvention() {
        assertThat(JobConfig.EVENTHUBS_CONNECTION_STRING_ENV).isEqualTo("KVWATCH_EVENTHUBS_CONNECTION_STRING");
    }

    @Test
    void connectionStringAsArgumentIsRefusedWithoutEcho() {
        for (String[] args : new String[][] {
            {"--eventhubs.connection-string", secret},
            {"--eventhubs.connection-string=" + secret},
            {"--eventhubs.namespace", secret},
            {"--kafka.topic", "t", secret},
            {
                "--kafka.properties.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule"
                        + " required username=\"$ConnectionString\" password=\"" + secret + "\";"
            }
        }) {
            assertThatThrownBy(() -> JobConfig.load(args, Map.of()))
                    .as("arguments %s", (Object) args[0])
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageNotContaining(key)
                    .hasMessageNotContaining(secret)
                    .satisfies(e -> assertThat(e.getCause()).isNull());
        }
        assertThatThrownBy(() -> JobConfig.load(new String[] {"--eventhubs.connection-string", secret}, Map.of()))
                .hasMessageContaining("KVWATCH_EVENTHUBS_CONNECTION_STRING")
                .hasMessageContaining("eventhubs.connection-string-file");
    }

    @Test
    void connectionStringInTheConfigurationFileOrAnotherVariableIsRefused() throws Exception {
        Path file = dir.resolve("job.properties");
        Files.writeString(file, "kafka.topic=t\neventhubs.connection-string=" + secret + "\n");
        assertThatThrownBy(() -> JobConfig.load(new String[] {"--config", file.toString()}, Map.of()))
                .hasMessageContaining("eventhubs.connection-string")
                .hasMessageNotContaining(key);
        assertThatThrownBy(() -> JobConfig.load(new String[0], Map.of("KVWATCH_EVENTHUBS_NAMESPACE", secret)))
                .hasMessageContaining("KVWATCH_EVENTHUBS_NAMESPACE")
                .hasMessageNotContaining(key);
    }

    @Test
    void kafkaCredentialsAreRefusedAsArgumentsButAcceptedFromAFile() throws Exception {
        assertThatThrownBy(() ->
                        JobConfig.load(new String[] {"--kafka.properties.ssl.keystore.password", "hunter2"}, Map.of()))
                .hasMessageContaining("kafka.properties-file")
                .hasMessageNotContaining("hunter2");
        Path file = dir.resolve("job.properties");
        Files.writeString(file, "kafka.properties.ssl.keystore.password=hunter2\n");
        JobConfig config = JobConfig.load(new String[] {"--config", file.toString()}, Map.of());
        assertThat(config.kafkaClientProperties()).containsEntry("ssl.keystore.password", "hunter2");
        assertThat(config.toString()).contains("ssl.keystore.password").doesNotContain("hunter2");
    }

    @Test
    void connectionStringFromTheEnvironmentOrAFileButNotBoth() throws Exception {
        JobConfig fromEnv = JobConfig.load(new String[0], Map.of(JobConfig.EVENTHUBS_CONNECTION_STRING_ENV, secret));
        assertThat(fromEnv.eventHubsConnectionString()).isPresent();
        assertThat(fromEnv.toString())
                .contains("kv-logs.servicebus.windows.net")
                .doesNotContain(key);

        Path secretFile = dir.resolve("eh-connection-string");
        Files.writeString(secretFile, secret);
        JobConfig fromFile =
                JobConfig.load(new String[] {"--eventhubs.connection-string-file", secretFile.toString()}, Map.of());
        assertThat(fromFile.eventHubsConnectionString()).isPresent();
        assertThat(fromFile.toString()).doesNotContain(key);

        assertThatThrownBy(() -> JobConfig.load(
                        new String[] {"--eventhubs.connection-string-file", secretFile.toString()},
                        Map.of(JobConfig.EVENTHUBS_CONNECTION_STRING_ENV, secret)))
                .hasMessageContaining("twice")
                .hasMessageNotContaining(key);
        assertThatThrownBy(() -> JobConfig.load(
                        new String[] {
                            "--eventhubs.connection-string-file",
                            dir.resolve("missing").toString()
                        },
                        Map.of()))
                .hasMessageContaining("missing");
    }

    @Test
    void malformedConnectionStringFromTheEnvironmentIsNamedNotShown() {
        String noEndpoint = secret.substring(secret.indexOf(';') + 1);
        assertThatThrownBy(() ->
                        JobConfig.load(new String[0], Map.of(JobConfig.EVENTHUBS_CONNECTION_STRING_ENV, noEndpoint)))
                .hasMessageContaining("Endpoint")
                .hasMessageContaining(JobConfig.EVENTHUBS_CONNECTION_STRING_ENV)
                .hasMessageNotContaining(key);
    }
}
