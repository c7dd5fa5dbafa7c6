package io.kvwatch;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvwatch.config.JobConfig;
import io.kvwatch.config.KafkaSettings;
import io.kvwatch.io.FileInput;
import io.kvwatch.testing.AuditStreamGenerator;
import io.kvwatch.testing.CapturedLogs;
import io.kvwatch.testing.CollectingOutputs;
import io.kvwatch.testing.FakeSecrets;
import io.kvwatch.testing.LoopbackMiniCluster;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobgraph.JobVertex;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Event Hubs connection string of a job reaches the Kafka clients and nothing Flink shows: not the job's
 * configuration (what the web UI and {@code /jobs/:id/config} display), not operator names, not its log, not its
 * alerts or dead letters. The run against a real broker, with the Kafka clients' own logging, is in
 * {@code KafkaPipelineIT}.
 */
class KafkaJobSecretsTest {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(LoopbackMiniCluster.withSlots(1));

    @TempDir
    Path dir;

    private final String key = FakeSecrets.sharedAccessKey();
    private final String secret = FakeSecrets.connectionString("kv-logs", key);
    private final JobConfig config = JobConfig.of(
            Map.of(
                    "eventhubs.namespace", "kv-logs",
                    "kafka.topic", "insights-logs-auditevent",
                    "alerts.topic", "kv-alerts",
                    "dead-letters.topic", "kv-dead-letters",
                    "parallelism", "1"),
            Map.of(JobConfig.EVENTHUBS_CONNECTION_STRING_ENV, secret));

    @Test
    void jobConfigurationAndGraphNeverHoldTheSecret() {
        assertThat(KafkaSettings.from(config).orElseThrow().consumerProperties().getProperty("sasl.jaas.config"))
                .as("the clients do get it")
                .contains(key);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        new KeyVaultNewTermsJob(config, KeyVaultNewTermsJob.inputFrom(config), KeyVaultNewTermsJob.outputsFrom(config))
                .build(env);
        StreamGraph streamGraph = env.getStreamGraph(false);
        JobGraph jobGraph = streamGraph.getJobGraph();

        List<String> shown = new ArrayList<>();
        shown.add(env.getConfig().getGlobalJobParameters().toMap().toString());
        shown.add(env.getConfig().toString());
        shown.add(env.getConfiguration().toString());
        shown.add(streamGraph.getJobConfiguration().toString());
        shown.add(jobGraph.getJobConfiguration().toString());
        shown.add(jobGraph.getName());
        for (StreamNode node : streamGraph.getStreamNodes()) {
            shown.add(node.getOperatorName() + " " + node.getOperatorDescription());
        }
        for (JobVertex vertex : jobGraph.getVertices()) {
            shown.add(vertex.getName() + " " + vertex.getOperatorPrettyName() + " " + vertex.getOperatorDescription());
        }
        assertThat(shown)
                .as("operator names of a Kafka job")
                .anySatisfy(s -> assertThat(s).contains("Kafka"));
        assertThat(shown)
                .as("what Flink shows of the job")
                .allSatisfy(s -> assertThat(s).doesNotContain(key));
    }

    @Test
    void aRunWithTheSecretConfiguredLogsAndEmitsNoneOfIt() throws Exception {
        AuditStreamGenerator.Stream stream = AuditStreamGenerator.generate(
                new AuditStreamGenerator.Profile().seed(9).days(15).readsPerDay(20));
        Path input = dir.resolve("in.ndjson");
        stream.writeTo(input);
        CollectingOutputs outputs = new CollectingOutputs();

        String log;
        try (CapturedLogs logs =
                CapturedLogs.capture(Level.DEBUG, "org.apache.flink", "org.apache.kafka", "io.kvwatch")) {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            // The job as configured for Event Hubs, its transport swapped for files: what it makes of the data.
            new KeyVaultNewTermsJob(config, FileInput.of(input.toString()), outputs).build(env);
            env.execute();
            log = logs.text();
        }

        assertThat(log).as("the run was logged at DEBUG").contains("DEBUG");
        assertThat(log).as("the run's log").doesNotContain(key);
        assertThat(outputs.alerts()).isNotEmpty().allSatisfy(a -> assertThat(a).doesNotContain(key));
        assertThat(outputs.deadLetters())
                .isNotEmpty()
                .allSatisfy(d -> assertThat(d).doesNotContain(key));
    }
}
