package io.kvwatch.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The --config file and kafka.properties-file are read by one reader: the same parsing, the same error wording. */
class PropertiesFileTest {

    @TempDir
    Path dir;

    @Test
    void bothFilesAreReadAlikeAndFailAlike() throws Exception {
        Path file = dir.resolve("client.properties");
        Files.writeString(file, " security.protocol = SASL_SSL \n# comment\nsasl.mechanism=SCRAM-SHA-512\n");
        assertThat(PropertiesFile.read(file, "Kafka properties file"))
                .as("keys and values stripped, comments skipped")
                .isEqualTo(Map.of("security.protocol", "SASL_SSL", "sasl.mechanism", "SCRAM-SHA-512"));

        Path missing = dir.resolve("missing.properties");
        assertThatThrownBy(() -> JobConfig.load(new String[] {"--config", missing.toString()}, Map.of()))
                .as("a missing --config file")
                .isInstanceOf(SetupException.class)
                .hasMessage("Cannot read the configuration file " + missing + ": no such file");
        assertThatThrownBy(() -> KafkaSettings.from(JobConfig.of(Map.of(
                        "kafka.bootstrap-servers",
                        "localhost:9092",
                        "kafka.topic",
                        "t",
                        "kafka.properties-file",
                        missing.toString()))))
                .as("a missing kafka.properties-file")
                .isInstanceOf(SetupException.class)
                .hasMessage("Cannot read the Kafka properties file " + missing + ": no such file");
        assertThatThrownBy(() -> JobConfig.load(
                        new String[] {"--eventhubs.connection-string-file", missing.toString()}, Map.of()))
                .as("a missing connection string file says why, as the other two do")
                .isInstanceOf(SetupException.class)
                .hasMessage("Cannot read the Event Hubs connection string file " + missing + ": no such file");

        Path malformed = dir.resolve("bad.properties");
        Files.writeString(malformed, "ssl.keystore.password=hunter2\\u12\n");
        assertThatThrownBy(() -> JobConfig.load(new String[] {"--config", malformed.toString()}, Map.of()))
                .as("a malformed --config file is a setup mistake, not a crash")
                .isInstanceOf(SetupException.class)
                .hasMessage("Cannot read the configuration file " + malformed + ": malformed \\uXXXX escape");
        assertThatThrownBy(() -> PropertiesFile.read(malformed, "Kafka properties file"))
                .hasMessage("Cannot read the Kafka properties file " + malformed + ": malformed \\uXXXX escape")
                .hasMessageNotContaining("hunter2");
    }
}
