package io.kvwatch;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvwatch.config.JobConfig;
import io.kvwatch.io.FileInput;
import io.kvwatch.testing.AlertFields;
import io.kvwatch.testing.AuditStreamGenerator;
import io.kvwatch.testing.CollectingOutputs;
import io.kvwatch.testing.LoopbackMiniCluster;
import io.kvwatch.testing.NewTermsOracle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The whole job on a MiniCluster, over generated multi-week streams whose alerts are computed independently. */
class KeyVaultNewTermsJobTest {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(LoopbackMiniCluster.withSlots(2));

    @TempDir
    Path dir;

    @Test
    void fiveWeeksOfTrafficGiveExactlyTheOraclesAlerts() throws Exception {
        AuditStreamGenerator.Stream stream = AuditStreamGenerator.generate(new AuditStreamGenerator.Profile().seed(11).days(35));
        Path input = dir.resolve("five-weeks.ndjson");
        stream.writeTo(input);

        CollectingOutputs outputs = run(input, Map.of("parallelism", "2"));

        List<AuditStreamGenerator.Read> expected = NewTermsOracle.expectedAlerts(stream.reads(), Duration.ofDays(14));
        assertThat(expected).as("the stream exercises re-alerts, not only first sights")
                .hasSizeGreaterThan(countDistinctTerms(stream) + 10);
        assertThat(AlertFields.asReads(outputs.alerts()))
                .as("alerts equal the oracle's, none lost, none duplicated")
                .containsExactlyInAnyOrderElementsOf(expected);
        assertThat(outputs.deadLetters())
                .as("garbage lines and records without a parseable time are dead-lettered, nothing else")
                .hasSize(stream.garbageLines() + stream.badRecords());
    }

    @Test
    void shorterHistoryWindowIsHonoured() throws Exception {
        AuditStreamGenerator.Stream stream = AuditStreamGenerator.generate(
                new AuditStreamGenerator.Profile().seed(5).days(20).readsPerDay(150).boundaryCases(false));
        Path input = dir.resolve("three-weeks.ndjson");
        stream.writeTo(input);

        CollectingOutputs outputs = run(input, Map.of("history-window", "3d", "parallelism", "1"));

        assertThat(AlertFields.asReads(outputs.alerts()))
                .containsExactlyInAnyOrderElementsOf(NewTermsOracle.expectedAlerts(stream.reads(), Duration.ofDays(3)));
    }

    @Test
    void mainReadsAFileAndWritesOneAlertPerLine() throws Exception {
        AuditStreamGenerator.Stream stream = AuditStreamGenerator.generate(
                new AuditStreamGenerator.Profile().seed(3).days(16).readsPerDay(60));
        Path input = dir.resolve("in.ndjson");
        Path output = dir.resolve("out/alerts.ndjson");
        Path deadLetters = dir.resolve("out/dead-letters.ndjson");
        stream.writeTo(input);

        KeyVaultNewTermsJob.main(new String[] {
            "--input", input.toString(), "--output", output.toString(), "--dead-letters", deadLetters.toString()});

        List<String> alerts = Files.readAllLines(output, StandardCharsets.UTF_8);
        assertThat(AlertFields.asReads(alerts))
                .containsExactlyInAnyOrderElementsOf(NewTermsOracle.expectedAlerts(stream.reads(), Duration.ofDays(14)));
        assertThat(Files.readAllLines(deadLetters, StandardCharsets.UTF_8))
                .hasSize(stream.garbageLines() + stream.badRecords())
                .allSatisfy(line -> assertThat(AlertFields.parse(line).get("reason").asText()).isNotBlank());
    }

    @Test
    void bundledSampleRaisesTheAlertsItWasMadeFor() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("src/main/resources" + FileInput.BUNDLED_SAMPLE));
        assertThat(lines).as("the bundled sample is of a useful size").hasSizeGreaterThan(100);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        CollectingOutputs outputs = new CollectingOutputs();
        new KeyVaultNewTermsJob(JobConfig.of(Map.of()), FileInput.bundledSample(), outputs).build(env);
        env.execute();

        assertThat(outputs.alerts()).as("the sample shows alerts").hasSizeGreaterThan(20);
        assertThat(outputs.deadLetters()).as("and dead letters").isNotEmpty();
    }

    private static CollectingOutputs run(Path input, Map<String, String> settings) throws Exception {
        return CollectingOutputs.runJob(input, settings, null);
    }

    private static int countDistinctTerms(AuditStreamGenerator.Stream stream) {
        return (int) stream.reads().stream().map(r -> r.upn() + " " + r.objectId()).distinct().count();
    }
}
