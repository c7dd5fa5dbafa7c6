package io.kvwatch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
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
        AuditStreamGenerator.Stream stream = AuditStreamGenerator.generate(
                new AuditStreamGenerator.Profile().seed(11).days(35));
        Path input = dir.resolve("five-weeks.ndjson");
        stream.writeTo(input);

        CollectingOutputs outputs = run(input, Map.of("parallelism", "2"));

        List<AuditStreamGenerator.Read> expected = NewTermsOracle.expectedAlerts(stream.reads(), Duration.ofDays(14));
        assertThat(expected)
                .as("the stream exercises re-alerts, not only first sights")
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
        AuditStreamGenerator.Stream stream = AuditStreamGenerator.generate(new AuditStreamGenerator.Profile()
                .seed(5)
                .days(20)
                .readsPerDay(150)
                .boundaryCases(false));
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
            "--input", input.toString(), "--output", output.toString(), "--dead-letters", deadLetters.toString()
        });

        List<String> alerts = Files.readAllLines(output, StandardCharsets.UTF_8);
        assertThat(AlertFields.asReads(alerts))
                .containsExactlyInAnyOrderElementsOf(
                        NewTermsOracle.expectedAlerts(stream.reads(), Duration.ofDays(14)));
        assertThat(Files.readAllLines(deadLetters, StandardCharsets.UTF_8))
                .hasSize(stream.garbageLines() + stream.badRecords())
                .allSatisfy(
                        line -> assertThat(AlertFields.parse(line).get("reason").asText())
                                .isNotBlank());
    }

    @Test
    void bundledSampleRaisesTheAlertsItWasMadeFor() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("src/main/resources" + FileInput.BUNDLED_SAMPLE));
        AuditStreamGenerator.Stream generated = AuditStreamGenerator.generate(AuditStreamGenerator.bundledSample());
        List<String> shapes = Files.readAllLines(AuditStreamGenerator.SHAPES);
        assertThat(shapes).as("the shapes file").hasSize(12);
        assertThat(lines)
                .as("the bundled sample: the generator's lines of its profile, then the shapes file's")
                .hasSize(generated.lines().size() + shapes.size())
                .startsWith(generated.lines().toArray(String[]::new))
                .endsWith(shapes.toArray(String[]::new));

        // The shapes file's reads that count (a user's read of an object), at their rule time; the object ids as in the
        // file. Line 1 holds alice's two reads of one term; line 8 is an ECS document, whose rule time is
        // event.ingested.
        List<JsonNode> shape = new ArrayList<>();
        for (String line :
                List.of(shapes.get(0), shapes.get(1), shapes.get(3), shapes.get(6), shapes.get(7), shapes.get(10))) {
            shape.add(AlertFields.parse(line));
        }
        List<AuditStreamGenerator.Read> shapeReads = List.of(
                read("alice@contoso.com", shape.get(0).at("/records/0/properties/id"), "2026-11-02T08:14:03.120Z"),
                read("alice@contoso.com", shape.get(0).at("/records/1/properties/id"), "2026-11-02T08:16:44.004Z"),
                read("bob@contoso.com", shape.get(0).at("/records/2/properties/id"), "2026-11-02T08:16:45.917Z"),
                read("carol@contoso.com", shape.get(1).at("/records/0/properties/id"), "2026-11-02T08:20:10.550Z"),
                read("mallory@fabrikam.com", shape.get(2).at("/records/0/properties/id"), "2026-11-02T08:22:31.700Z"),
                read("dave@contoso.com", shape.get(3).at("/properties/id"), "2026-11-02T08:25:13Z"),
                read("erin@contoso.com", shape.get(4).at("/azure/platformlogs/properties/id"), "2026-11-02T08:27:31Z"),
                read("frank@contoso.com", shape.get(5).at("/records/1/properties/id"), "2026-11-02T08:29:45Z"));
        assertThat(shapeReads.get(0).objectId())
                .as("alice's two reads on line 1 are one term")
                .isEqualTo(shapeReads.get(1).objectId());
        assertThat(shapeReads.get(3).objectId()).isEqualTo("https://kv-payments-prod.vault.azure.net/");
        List<AuditStreamGenerator.Read> reads = new ArrayList<>(generated.reads());
        reads.addAll(shapeReads);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        CollectingOutputs outputs = new CollectingOutputs();
        new KeyVaultNewTermsJob(JobConfig.of(Map.of()), FileInput.bundledSample(), outputs).build(env);
        env.execute();

        List<AuditStreamGenerator.Read> expected = NewTermsOracle.expectedAlerts(reads, Duration.ofDays(14));
        assertThat(expected).as("the oracle's alerts of the sample").hasSize(185);
        assertThat(AlertFields.asReads(outputs.alerts()))
                .as("exactly the oracle's alerts, each once")
                .containsExactlyInAnyOrderElementsOf(expected);

        // Dead letters: the generator's garbage lines (cut JSON, records not an array, cut JSON), its records without a
        // time, and the shapes file's lines 9 (cut JSON), 10 (records not an array) and 11 (a record without a time).
        List<String> expectedReasons = new ArrayList<>(List.of("not_json", "records_not_an_array", "not_json"));
        expectedReasons.addAll(Collections.nCopies(generated.badRecords(), "bad_time"));
        expectedReasons.addAll(List.of("not_json", "records_not_an_array", "bad_time"));
        assertThat(outputs.deadLetters())
                .extracting(d -> AlertFields.parse(d).get("reason").asText())
                .as("the sample's dead letters, by reason")
                .hasSize(9)
                .containsExactlyInAnyOrderElementsOf(expectedReasons);
    }

    /** A read of the shapes file: the upn's read of the file's object id at a rule time. */
    private static AuditStreamGenerator.Read read(String upn, JsonNode objectId, String ruleTime) {
        assertThat(objectId.isTextual())
                .as("%s's object id is in the shapes file", upn)
                .isTrue();
        return new AuditStreamGenerator.Read(
                upn, objectId.asText(), Instant.parse(ruleTime).toEpochMilli());
    }

    private static CollectingOutputs run(Path input, Map<String, String> settings) throws Exception {
        return CollectingOutputs.runJob(input, settings, null);
    }

    private static int countDistinctTerms(AuditStreamGenerator.Stream stream) {
        return (int) stream.reads().stream()
                .map(r -> r.upn() + " " + r.objectId())
                .distinct()
                .count();
    }
}
