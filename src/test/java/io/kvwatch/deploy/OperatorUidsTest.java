package io.kvwatch.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvwatch.KeyVaultNewTermsJob;
import io.kvwatch.config.EventTimeSettings;
import io.kvwatch.config.JobConfig;
import io.kvwatch.config.KafkaSettings;
import io.kvwatch.io.FileInput;
import io.kvwatch.io.KafkaInput;
import io.kvwatch.io.KafkaOutputs;
import io.kvwatch.io.LocalOutputs;
import io.kvwatch.io.MessageInput;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Savepoints map state to operators by uid: an operator without one gets an id hashed from the topology, which
 * changes as soon as anything upstream of it changes, and its state is then refused on restore. So every operator of
 * every variant of the job has a stable uid and a name, and the key groups are fixed.
 */
class OperatorUidsTest {

    @TempDir
    Path dir;

    @Test
    void everyOperatorOfTheFileJobHasAUidAndAName() {
        assertEveryOperatorHasAUidAndAName(graph(
                FileInput.of(dir.resolve("in").toString()),
                Map.of(
                        "output",
                        dir.resolve("alerts/").toString() + "/",
                        "dead-letters",
                        dir.resolve("dl.ndjson").toString())));
    }

    @Test
    void everyOperatorOfTheBundledSampleJobHasAUidAndAName() {
        assertEveryOperatorHasAUidAndAName(graph(FileInput.bundledSample(), Map.of()));
    }

    @Test
    void everyOperatorWithSuppressionHasAUidAndAName() {
        assertEveryOperatorHasAUidAndAName(graph(
                FileInput.of(dir.resolve("in").toString()), Map.of("suppression-fields", "upn", "learning", "true")));
    }

    @Test
    void everyOperatorOfTheKafkaJobHasAUidAndAName() {
        JobConfig config = JobConfig.of(Map.of(
                "kafka.bootstrap-servers",
                "127.0.0.1:9092",
                "kafka.topic",
                "audit",
                "alerts.topic",
                "alerts",
                "dead-letters.topic",
                "dead-letters",
                "delivery-guarantee",
                "exactly-once"));
        KafkaSettings kafka = KafkaSettings.from(config).orElseThrow();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        new KeyVaultNewTermsJob(
                        config,
                        new KafkaInput(kafka, EventTimeSettings.forKafka(config, kafka)),
                        new KafkaOutputs(kafka))
                .build(env);
        assertEveryOperatorHasAUidAndAName(env.getStreamGraph());
    }

    @Test
    void maxParallelismIsFixedByTheJobNotByTheCluster() {
        StreamGraph graph = graph(FileInput.bundledSample(), Map.of());
        assertThat(graph.getStreamNodes())
                .as("every operator has the job's key-group count, so a savepoint restores at any parallelism up to it")
                .allSatisfy(node -> assertThat(node.getMaxParallelism()).isEqualTo(4096));
    }

    static StreamGraph graph(MessageInput input, Map<String, String> settings) {
        JobConfig config = JobConfig.of(settings);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        new KeyVaultNewTermsJob(config, input, new LocalOutputs(settings.get("output"), settings.get("dead-letters")))
                .build(env);
        return env.getStreamGraph();
    }

    static void assertEveryOperatorHasAUidAndAName(StreamGraph graph) {
        List<StreamNode> nodes = List.copyOf(graph.getStreamNodes());
        assertThat(nodes).isNotEmpty();
        assertThat(nodes)
                .as(
                        "operators without a uid: %s",
                        nodes.stream()
                                .filter(n -> n.getTransformationUID() == null)
                                .map(StreamNode::getOperatorName)
                                .toList())
                .allSatisfy(node -> assertThat(node.getTransformationUID()).isNotBlank());
        assertThat(nodes.stream()
                        .map(StreamNode::getTransformationUID)
                        .distinct()
                        .count())
                .as("uids are unique")
                .isEqualTo(nodes.size());
        assertThat(nodes).allSatisfy(node -> assertThat(node.getOperatorName()).isNotBlank());
    }
}
