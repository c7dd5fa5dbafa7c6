package io.kvwatch.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvwatch.config.JobConfig;
import io.kvwatch.config.JobOptions;
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
    static final String CONNECTION_STRING = "Endpoint=sb://contoso-security.servicebus.windows.net/;"
            + "SharedAccessKeyName=kvwatch;SharedAccessKey=bm90LWEtcmVhbC1rZXktanVzdC1hLXRlc3QtdmFsdWU=";

    @TempDir
    Path dir;

    @Test
    void everyYamlAndJsonFileParses() throws IOException {
        List<Path> yaml = DeployFiles.yamlFiles(FlinkConfTest.FLINK_CONF, DEPLOY);
        assertThat(yaml).as("the files this test is about").contains(FLINK_DEPLOYMENT,
                FlinkConfTest.FLINK_CONF.resolve("config.yaml"));
        for (Path file : yaml) {
            assertThat(DeployFiles.documents(file)).as("documents in %s", file).isNotEmpty();
        }
        assertThat(new ObjectMapper().readTree(DEPLOY.resolve("managed-service/create-application.json").toFile()))
                .isNotNull();
    }

    @Test
    void theFlinkDeploymentFitsTheOperatorsPublishedCrdSchema() throws IOException {
        JsonNode crd = operatorCrd();
        JsonNode deployment = DeployFiles.document(FLINK_DEPLOYMENT, "FlinkDeployment");

        assertThat(deployment.path("apiVersion").asText()).isEqualTo(crd.at("/spec/group").asText() + "/"
                + crd.at("/spec/versions/0/name").asText());
        assertThat(deployment.path("kind").asText()).isEqualTo(crd.at("/spec/names/kind").asText());

        List<String> violations = OpenApiSchemaCheck.violations(
                crd.at("/spec/versions/0/schema/openAPIV3Schema"), deployment);
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
        assertThat(OpenApiSchemaCheck.violations(schema, wrong)).containsExactlyInAnyOrder(
                ".spec.job.upgradeMode: \"savepoints\" is not one of [\"last-state\",\"savepoint\",\"stateless\"]",
                ".spec.job.parralelism: unknown field (the API server would drop it)",
                ".spec.taskManager.resource.memory: expected a string, found NUMBER 4096");
    }

    @Test
    void theFlinkDeploymentCarriesTheRecommendedClusterConfiguration() throws IOException {
        Map<String, String> recommended = strings(DeployFiles.readFlat(FlinkConfTest.FLINK_CONF.resolve("config.yaml")));
        Map<String, String> deployed = strings(DeployFiles.readFlat(FLINK_DEPLOYMENT).entrySet().stream()
                .filter(e -> e.getKey().startsWith("spec.flinkConfiguration."))
                .collect(LinkedHashMap::new, (m, e) -> m.put(
                        e.getKey().substring("spec.flinkConfiguration.".length()), e.getValue()), Map::putAll));

        recommended.forEach((key, value) -> {
            if (key.endsWith(".dir") || key.endsWith("-dir")) {
                assertThat(deployed.get(key)).as(key).startsWith("abfss://");
            } else {
                assertThat(deployed.get(key)).as("%s as in flink-conf/config.yaml", key).isEqualTo(value);
            }
        });
        assertThat(deployed.keySet()).as("current Flink option names only").allMatch(FlinkOptionKeys::isCurrent);

        Configuration typed = Configuration.fromMap(deployed);
        int slots = typed.get(org.apache.flink.configuration.TaskManagerOptions.NUM_TASK_SLOTS);
        int parallelism = DeployFiles.document(FLINK_DEPLOYMENT, "FlinkDeployment").at("/spec/job/parallelism").asInt();
        assertThat(parallelism % slots).as("whole TaskManagers: parallelism %s, %s slots each", parallelism, slots)
                .isZero();
    }

    @Test
    void theImageHoldsTheJarTheFlinkDeploymentRuns() throws IOException {
        String jarUri = DeployFiles.document(FLINK_DEPLOYMENT, "FlinkDeployment").at("/spec/job/jarURI").asText();
        assertThat(jarUri).startsWith("local://");
        String dockerfile = Files.readString(DEPLOY.resolve("kubernetes/Dockerfile"));
        assertThat(dockerfile).contains("COPY target/keyvault-new-terms-0.1.0-SNAPSHOT.jar "
                + jarUri.substring("local://".length()));
        assertThat(dockerfile).contains("FROM flink:" + org.apache.flink.runtime.util.EnvironmentInformation.getVersion());
    }

    private static JsonNode operatorCrd() throws IOException {
        try (InputStream in = DeployFilesTest.class.getClassLoader().getResourceAsStream(CRD_RESOURCE)) {
            assertThat(in).as("%s from org.apache.flink:flink-kubernetes-operator-api", CRD_RESOURCE).isNotNull();
            return DeployFiles.YAML.readTree(in);
        }
    }

    private static Map<String, String> strings(Map<String, Object> flat) {
        Map<String, String> out = new LinkedHashMap<>();
        flat.forEach((k, v) -> out.put(k, String.valueOf(v)));
        return out;
    }
}
