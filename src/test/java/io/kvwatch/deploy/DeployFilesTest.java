package io.kvwatch.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvwatch.KeyVaultNewTermsJob;
import io.kvwatch.config.EventTimeSettings;
import io.kvwatch.config.JobConfig;
import io.kvwatch.config.JobOptions;
import io.kvwatch.config.KafkaSettings;
import io.kvwatch.config.ManagedServiceProperties;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deployment files say what they mean: they parse, the FlinkDeployment fits the Flink Kubernetes Operator's
 * published CRD and carries the recommended cluster configuration, and the job reads exactly the settings each target
 * gives it (arguments and environment on Kubernetes, a properties file on a standalone cluster, runtime properties on
 * the managed service).
 */
class DeployFilesTest {

    static final Path DEPLOY = Path.of("deploy");
    static final Path FLINK_DEPLOYMENT = DEPLOY.resolve("kubernetes/flinkdeployment.yaml");
    static final String CRD_RESOURCE = "META-INF/fabric8/flinkdeployments.flink.apache.org-v1.yml";

    /** What the Kubernetes Secret holds in production; a made-up key of the right shape. */
    static final String CONNECTION_STRING = io.kvwatch.testing.FakeSecrets.connectionString(
            "contoso-security", io.kvwatch.testing.FakeSecrets.sharedAccessKey());

    @TempDir
    Path dir;

    @Test
    void everyYamlAndJsonFileParses() throws IOException {
        List<Path> yaml = DeployFiles.yamlFiles(FlinkConfTest.FLINK_CONF, DEPLOY);
        assertThat(yaml)
                .as("the files this test is about")
                .contains(FLINK_DEPLOYMENT, FlinkConfTest.FLINK_CONF.resolve("config.yaml"));
        for (Path file : yaml) {
            assertThat(DeployFiles.documents(file)).as("documents in %s", file).isNotEmpty();
        }
        assertThat(new ObjectMapper()
                        .readTree(DEPLOY.resolve("managed-service/create-application.json")
                                .toFile()))
                .isNotNull();
    }

    @Test
    void theFlinkDeploymentFitsTheOperatorsPublishedCrdSchema() throws IOException {
        JsonNode crd = operatorCrd();
        JsonNode deployment = DeployFiles.document(FLINK_DEPLOYMENT, "FlinkDeployment");

        assertThat(deployment.path("apiVersion").asText())
                .isEqualTo(crd.at("/spec/group").asText() + "/"
                        + crd.at("/spec/versions/0/name").asText());
        assertThat(deployment.path("kind").asText())
                .isEqualTo(crd.at("/spec/names/kind").asText());

        List<String> violations =
                OpenApiSchemaCheck.violations(crd.at("/spec/versions/0/schema/openAPIV3Schema"), deployment);
        // The newest operator API on Maven Central (1.10.0) predates Flink 2: its flinkVersion enum ends at v1_20.
        // Operators from 1.11 on accept v2_x values; everything else must fit this schema exactly.
        assertThat(violations)
                .as("fields, types and enums of %s against %s", FLINK_DEPLOYMENT, CRD_RESOURCE)
                .hasSize(1)
                .allSatisfy(v -> assertThat(v).startsWith(".spec.flinkVersion: \"v2_2\" is not one of"));
    }

    @Test
    void theSchemaCheckCatchesWhatTheApiServerWouldDropOrRefuse() throws IOException {
        JsonNode schema = operatorCrd().at("/spec/versions/0/schema/openAPIV3Schema");
        JsonNode wrong = DeployFiles.YAML.readTree("""
                apiVersion: flink.apache.org/v1beta1
                kind: FlinkDeployment
                spec:
                  flinkVersion: v1_20
                  job:
                    upgradeMode: savepoints
                    parralelism: 4
                  taskManager:
                    resource:
                      memory: 4096
                """);
        assertThat(OpenApiSchemaCheck.violations(schema, wrong))
                .containsExactlyInAnyOrder(
                        ".spec.job.upgradeMode: \"savepoints\" is not one of [\"last-state\",\"savepoint\",\"stateless\"]",
                        ".spec.job.parralelism: unknown field (the API server would drop it)",
                        ".spec.taskManager.resource.memory: expected a string, found NUMBER 4096");
    }

    @Test
    void theFlinkDeploymentCarriesTheRecommendedClusterConfiguration() throws IOException {
        Map<String, String> recommended = DeployFiles.readFlat(FlinkConfTest.FLINK_CONF.resolve("config.yaml"));
        Map<String, String> deployed = DeployFiles.readFlat(FLINK_DEPLOYMENT).entrySet().stream()
                .filter(e -> e.getKey().startsWith("spec.flinkConfiguration."))
                .collect(
                        LinkedHashMap::new,
                        (m, e) -> m.put(e.getKey().substring("spec.flinkConfiguration.".length()), e.getValue()),
                        Map::putAll);

        recommended.forEach((key, value) -> {
            if (key.endsWith(".dir") || key.endsWith("-dir")) {
                assertThat(deployed.get(key)).as(key).startsWith("abfss://");
            } else {
                assertThat(deployed.get(key))
                        .as("%s as in flink-conf/config.yaml", key)
                        .isEqualTo(value);
            }
        });
        assertThat(deployed.keySet()).as("current Flink option names only").allMatch(FlinkOptionKeys::isCurrent);

        Configuration typed = Configuration.fromMap(deployed);
        int slots = typed.get(org.apache.flink.configuration.TaskManagerOptions.NUM_TASK_SLOTS);
        int parallelism = DeployFiles.document(FLINK_DEPLOYMENT, "FlinkDeployment")
                .at("/spec/job/parallelism")
                .asInt();
        assertThat(parallelism % slots)
                .as("whole TaskManagers: parallelism %s, %s slots each", parallelism, slots)
                .isZero();
    }

    @Test
    void theImageHoldsTheJarTheFlinkDeploymentRuns() throws IOException {
        String jarUri = DeployFiles.document(FLINK_DEPLOYMENT, "FlinkDeployment")
                .at("/spec/job/jarURI")
                .asText();
        assertThat(jarUri).startsWith("local://");
        String dockerfile = Files.readString(DEPLOY.resolve("kubernetes/Dockerfile"));
        assertThat(dockerfile)
                .contains("COPY target/keyvault-new-terms-0.1.0-SNAPSHOT.jar " + jarUri.substring("local://".length()));
        assertThat(dockerfile)
                .contains("FROM flink:" + org.apache.flink.runtime.util.EnvironmentInformation.getVersion());
    }

    @Test
    void theJobReadsTheSettingsTheFlinkDeploymentGivesIt() throws IOException {
        JsonNode deployment = DeployFiles.document(FLINK_DEPLOYMENT, "FlinkDeployment");
        List<String> args = new ArrayList<>();
        deployment.at("/spec/job/args").forEach(a -> args.add(a.asText()));
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode var : deployment.at("/spec/podTemplate/spec/containers/0/env")) {
            if (var.has("value")) {
                env.put(var.path("name").asText(), var.path("value").asText());
            } else if ("kvwatch-eventhubs"
                    .equals(var.at("/valueFrom/secretKeyRef/name").asText())) {
                env.put(var.path("name").asText(), CONNECTION_STRING); // what the kubelet puts there
            }
        }
        assertThat(env).containsKey(JobConfig.EVENTHUBS_CONNECTION_STRING_ENV);

        JobConfig config = JobConfig.load(args.toArray(String[]::new), env);

        assertThat(config.get(JobOptions.EVENTHUBS_NAMESPACE)).isEqualTo("contoso-security");
        assertThat(config.get(JobOptions.KAFKA_TOPIC)).isEqualTo("keyvault-audit");
        assertThat(config.get(JobOptions.ALERTS_TOPIC)).isEqualTo("keyvault-alerts");
        assertThat(config.get(JobOptions.DEAD_LETTERS_TOPIC)).isEqualTo("keyvault-dead-letters");
        assertThat(config.get(JobOptions.DELIVERY_GUARANTEE)).isEqualTo(DeliveryGuarantee.AT_LEAST_ONCE);
        assertThat(KeyVaultNewTermsJob.rule(config).historyWindow()).isEqualTo(Duration.ofDays(14));
        assertThat(config.eventHubsConnectionString())
                .as("from the Secret, through the environment")
                .isPresent();
        assertThat(config.getOptional(JobOptions.PARALLELISM))
                .as("parallelism comes from spec.job.parallelism, not from the job's arguments")
                .isEmpty();
    }

    @Test
    void theJobReadsTheStandaloneClustersPropertiesFile() throws IOException {
        Path properties = DEPLOY.resolve("standalone/job.properties");
        assertThat(Files.readString(DEPLOY.resolve("standalone/submit.sh")))
                .as("submit.sh passes that file")
                .contains("--config \"$here/job.properties\"");

        JobConfig config = JobConfig.load(
                new String[] {"--config", properties.toString()},
                Map.of(JobConfig.EVENTHUBS_CONNECTION_STRING_ENV, CONNECTION_STRING));

        assertThat(config.get(JobOptions.EVENTHUBS_NAMESPACE)).isEqualTo("contoso-security");
        assertThat(config.get(JobOptions.KAFKA_TOPIC)).isEqualTo("keyvault-audit");
        assertThat(config.get(JobOptions.ALERTS_TOPIC)).isEqualTo("keyvault-alerts");
        assertThat(config.get(JobOptions.DELIVERY_GUARANTEE)).isEqualTo(DeliveryGuarantee.AT_LEAST_ONCE);
        assertThat(EventTimeSettings.forKafka(config, KafkaSettings.from(config).orElseThrow()))
                .as("the Event Hubs defaults: no wait within a partition, quiet partitions follow the clock")
                .isEqualTo(EventTimeSettings.forKafka(JobConfig.of(Map.of()), true))
                .extracting(EventTimeSettings::outOfOrderness)
                .isEqualTo(Duration.ZERO);
        assertThat(config.get(JobOptions.STATE_TTL)).isEqualTo(Duration.ofDays(15));
        assertThat(config.eventHubsConnectionString()).isPresent();
    }

    @Test
    void theJobReadsTheManagedServicesRuntimeProperties() throws IOException {
        // The service writes the application's property groups to /etc/flink/application_properties.json in the
        // shape they have in the CreateApplication request.
        JsonNode request = new ObjectMapper()
                .readTree(DEPLOY.resolve("managed-service/create-application.json")
                        .toFile());
        JsonNode groups = request.at("/ApplicationConfiguration/EnvironmentProperties/PropertyGroups");
        Path runtimeFile = dir.resolve("application_properties.json");
        Files.writeString(runtimeFile, groups.toString());

        JobConfig config =
                JobConfig.load(new String[0], Map.of(ManagedServiceProperties.FILE_ENV, runtimeFile.toString()));

        assertThat(config.get(JobOptions.KAFKA_BOOTSTRAP_SERVERS)).endsWith(".amazonaws.com:9094");
        assertThat(config.get(JobOptions.KAFKA_TOPIC)).isEqualTo("keyvault-audit");
        assertThat(config.get(JobOptions.ALERTS_TOPIC)).isEqualTo("keyvault-alerts");
        assertThat(config.get(JobOptions.DELIVERY_GUARANTEE)).isEqualTo(DeliveryGuarantee.EXACTLY_ONCE);
        assertThat(config.kafkaClientProperties()).containsEntry("security.protocol", "SSL");
        assertThat(KeyVaultNewTermsJob.rule(config).historyWindow()).isEqualTo(Duration.ofDays(14));

        JsonNode flink = request.at("/ApplicationConfiguration/FlinkApplicationConfiguration");
        Configuration recommended = GlobalConfiguration.loadConfiguration(FlinkConfTest.FLINK_CONF.toString());
        assertThat(Duration.ofMillis(
                        flink.at("/CheckpointConfiguration/CheckpointInterval").asLong()))
                .as("the service's checkpoint interval is the recommended one")
                .isEqualTo(recommended.get(org.apache.flink.configuration.CheckpointingOptions.CHECKPOINTING_INTERVAL));
        assertThat(Duration.ofMillis(flink.at("/CheckpointConfiguration/MinPauseBetweenCheckpoints")
                        .asLong()))
                .isEqualTo(recommended.get(
                        org.apache.flink.configuration.CheckpointingOptions.MIN_PAUSE_BETWEEN_CHECKPOINTS));
    }

    private static JsonNode operatorCrd() throws IOException {
        try (InputStream in = DeployFilesTest.class.getClassLoader().getResourceAsStream(CRD_RESOURCE)) {
            assertThat(in)
                    .as("%s from org.apache.flink:flink-kubernetes-operator-api", CRD_RESOURCE)
                    .isNotNull();
            return DeployFiles.YAML.readTree(in);
        }
    }
}
