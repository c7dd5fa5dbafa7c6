package io.kvwatch.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvwatch.KeyVaultNewTermsJob;
import io.kvwatch.rule.KeyVaultRetrievalRule;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/** The jar that `flink run`, the operator's jarURI and the managed service all start: what it names and holds. */
class ShadedJarIT {

    @Test
    void theManifestNamesTheMainClassAndTheJarHoldsWhatAClusterLacks() throws Exception {
        Path jar = Path.of(System.getProperty("job.jar", "target/keyvault-new-terms-0.1.0-SNAPSHOT.jar"));
        assertThat(jar).as("the shaded job jar (mvn package)").isRegularFile();
        try (JarFile file = new JarFile(jar.toFile())) {
            Attributes main = file.getManifest().getMainAttributes();
            assertThat(main.getValue(Attributes.Name.MAIN_CLASS))
                    .as("flink run and the REST API start the manifest's main class without -c / entryClass")
                    .isEqualTo(KeyVaultNewTermsJob.class.getName());
            assertThat(file.getEntry(KeyVaultNewTermsJob.class.getName().replace('.', '/') + ".class"))
                    .isNotNull();
            assertThat(file.getEntry("org/apache/flink/connector/kafka/source/KafkaSource.class"))
                    .as("the Kafka connector, which no Flink distribution ships")
                    .isNotNull();
            assertThat(file.getEntry("org/apache/kafka/clients/consumer/KafkaConsumer.class"))
                    .isNotNull();
            assertThat(file.getEntry("org/apache/flink/streaming/api/environment/StreamExecutionEnvironment.class"))
                    .as("Flink itself is provided by the cluster, never shaded")
                    .isNull();
            assertThat(file.getEntry("org/apache/flink/connector/base/DeliveryGuarantee.class"))
                    .as("flink-connector-base is on every cluster's classpath")
                    .isNull();
            assertThat(file.getEntry("samples/keyvault-audit-sample.ndjson"))
                    .as("the bundled sample")
                    .isNotNull();
            assertThat(file.getEntry(KeyVaultRetrievalRule.BUNDLED_RULE.substring(1)))
                    .as("the bundled rule file")
                    .isNotNull();
            assertThat(file.getEntry("com/fasterxml/jackson/dataformat/toml/TomlMapper.class"))
                    .as("the reader of rule files, which no Flink distribution ships")
                    .isNotNull();
        }
    }
}
