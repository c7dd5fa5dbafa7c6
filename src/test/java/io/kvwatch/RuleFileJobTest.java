package io.kvwatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kvwatch.config.JobConfig;
import io.kvwatch.io.FileInput;
import io.kvwatch.rule.KeyVaultRetrievalRule;
import io.kvwatch.testing.AlertFields;
import io.kvwatch.testing.AuditStreamGenerator;
import io.kvwatch.testing.CollectingOutputs;
import io.kvwatch.testing.LoopbackMiniCluster;
import io.kvwatch.testing.NewTermsOracle;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job configured from a rule file: the bundled rule gives the alerts the job gave before the rule came from a
 * file; the later upstream revision (7-day history, severity high, risk score 73), loaded from a file, changes the
 * window and the alerts' metadata with no code change; a rule the job cannot follow fails the submission.
 */
class RuleFileJobTest {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(LoopbackMiniCluster.withSlots(2));

    static final String RULE_ID = "75c53838-5dcd-11f0-829c-f661ea17fbcd";

    @TempDir
    static Path dir;

    static AuditStreamGenerator.Stream stream;
    static Path input;
    static List<AuditStreamGenerator.Read> expected14;
    static List<AuditStreamGenerator.Read> expected7;

    /** Three weeks of reads, where a 7-day and a 14-day history decide differently. */
    @BeforeAll
    static void stream() throws IOException {
        stream = AuditStreamGenerator.generate(new AuditStreamGenerator.Profile()
                .seed(17)
                .days(21)
                .readsPerDay(80)
                .boundaryCases(false));
        input = dir.resolve("three-weeks.ndjson");
        stream.writeTo(input);
        expected14 = NewTermsOracle.expectedAlerts(stream.reads(), Duration.ofDays(14));
        expected7 = NewTermsOracle.expectedAlerts(stream.reads(), Duration.ofDays(7));
        assertThat(expected7)
                .as("the stream has terms read again after 7 to 14 days")
                .hasSizeGreaterThan(expected14.size() + 20)
                .containsAll(expected14);
    }

    @Test
    void theBundledRuleGivesTheAlertsItGaveAsConstants() throws Exception {
        Path bundledCopy = copyOf(KeyVaultRetrievalRule.BUNDLED_RULE, "bundled.toml");
        List<String> byDefault = CollectingOutputs.runJob(input, Map.of("parallelism", "2"), null)
                .alerts();
        List<String> fromFile = CollectingOutputs.runJob(
                        input, Map.of("parallelism", "2", "rule", bundledCopy.toString()), null)
                .alerts();

        assertThat(AlertFields.asReads(byDefault))
                .as("the oracle's 14-day alerts")
                .containsExactlyInAnyOrderElementsOf(expected14);
        assertThat(fromFile).hasSameSizeAs(byDefault);
        assertThat(ruleDependent(fromFile))
                .as("the same file named with --rule: the same documents")
                .isEqualTo(ruleDependent(byDefault));
        for (String json : byDefault) {
            JsonNode a = AlertFields.parse(json);
            assertThat(a.get("kibana.alert.rule.rule_id").asText()).isEqualTo(RULE_ID);
            assertThat(a.get("kibana.alert.rule.name").asText())
                    .isEqualTo("Azure Key Vault Secret Key Usage by Unusual Identity");
            assertThat(a.get("kibana.alert.severity").asText()).isEqualTo("medium");
            assertThat(a.get("kibana.alert.rule.severity").asText()).isEqualTo("medium");
            assertThat(a.get("kibana.alert.risk_score").asInt()).isEqualTo(43);
            assertThat(a.get("kibana.alert.rule.risk_score").asInt()).isEqualTo(43);
            assertThat(a.get("kibana.alert.rule.history_window").asText())
                    .isEqualTo(Duration.ofDays(14).toString());
            assertThat(a.get("kibana.alert.reason").asText())
                    .containsAnyOf("in the previous 14 days", "more than 14 days before");
        }
    }

    @Test
    void theUpstreamRevisionFromAFileChangesTheWindowAndTheMetadata() throws Exception {
        Path revision = copyOf("/rules/upstream-revision-7d.toml", "revision.toml");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        CollectingOutputs outputs = new CollectingOutputs();
        new KeyVaultNewTermsJob(
                        JobConfig.of(Map.of("parallelism", "2", "rule", revision.toString())),
                        FileInput.of(input.toString()),
                        outputs)
                .build(env);
        Files.delete(revision); // read at submission: the running job needs no file
        env.execute();
        List<String> alerts = outputs.alerts();

        assertThat(AlertFields.asReads(alerts))
                .as("the oracle's 7-day alerts")
                .containsExactlyInAnyOrderElementsOf(expected7);
        for (String json : alerts) {
            JsonNode a = AlertFields.parse(json);
            assertThat(a.get("kibana.alert.rule.rule_id").asText())
                    .as("the same rule")
                    .isEqualTo(RULE_ID);
            assertThat(a.get("kibana.alert.severity").asText()).isEqualTo("high");
            assertThat(a.get("kibana.alert.rule.severity").asText()).isEqualTo("high");
            assertThat(a.get("kibana.alert.risk_score").asInt()).isEqualTo(73);
            assertThat(a.get("kibana.alert.rule.risk_score").asInt()).isEqualTo(73);
            assertThat(a.get("kibana.alert.rule.history_window").asText())
                    .isEqualTo(Duration.ofDays(7).toString());
            assertThat(a.at("/kibana.alert.rule.threat/0/technique/0/subtechnique/0/id")
                            .asText())
                    .isEqualTo("T1555.006");
            assertThat(a.get("kibana.alert.rule.references").get(0).asText()).startsWith("https://www.inversecos.com/");
            if (!a.get("kvwatch.previous_seen").isNull()) {
                assertThat(a.get("kibana.alert.reason").asText()).contains("more than 7 days before");
            }
        }
        List<String> bundled = CollectingOutputs.runJob(input, Map.of("parallelism", "2"), null)
                .alerts();
        Map<String, String> idsByRead = idsByRead(alerts);
        idsByRead(bundled)
                .forEach((read, id) -> assertThat(idsByRead.get(read))
                        .as("the same rule id: a read that alerts under both revisions has one alert id")
                        .isEqualTo(id));
    }

    @Test
    void anExplicitHistoryWindowOverridesTheFiles() throws Exception {
        Path revision = copyOf("/rules/upstream-revision-7d.toml", "revision-14d.toml");
        List<String> alerts = CollectingOutputs.runJob(
                        input, Map.of("parallelism", "1", "rule", revision.toString(), "history-window", "14d"), null)
                .alerts();

        assertThat(AlertFields.asReads(alerts)).containsExactlyInAnyOrderElementsOf(expected14);
        assertThat(alerts).allSatisfy(json -> {
            JsonNode a = AlertFields.parse(json);
            assertThat(a.get("kibana.alert.severity").asText())
                    .as("the rest is still the file's")
                    .isEqualTo("high");
            assertThat(a.get("kibana.alert.rule.history_window").asText())
                    .isEqualTo(Duration.ofDays(14).toString());
        });
    }

    @Test
    void aRuleTheJobCannotFollowFailsTheSubmission() throws IOException {
        String bundled = new String(resourceBytes(KeyVaultRetrievalRule.BUNDLED_RULE), StandardCharsets.UTF_8);
        Path range = Files.writeString(
                dir.resolve("range.toml"),
                bundled.replace(
                        "azure.platformlogs.properties.id: *\n'''",
                        "azure.platformlogs.properties.id: * and azure.platformlogs.properties.httpStatusCode < 300\n'''"));

        assertThatThrownBy(() -> KeyVaultNewTermsJob.main(
                        new String[] {"--rule", range.toString(), "--input", input.toString()}))
                .as("main refuses it before anything runs")
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Rule file " + range)
                .hasMessageContaining("range comparison 'azure.platformlogs.properties.httpStatusCode <' at line 23");
        assertThatThrownBy(() -> new BootstrapHistory(
                                JobConfig.of(Map.of("rule", range.toString())),
                                FileInput.of(input.toString()),
                                new CollectingOutputs())
                        .build(StreamExecutionEnvironment.getExecutionEnvironment()))
                .as("and so does the history bootstrap, which counts with the same rule")
                .hasMessageContaining("range comparison");
        assertThatThrownBy(() -> new KeyVaultNewTermsJob(
                        JobConfig.of(Map.of("rule", dir.resolve("none.toml").toString())),
                        FileInput.of(input.toString()),
                        new CollectingOutputs()))
                .hasMessageContaining("Cannot read the rule file");
    }

    private static Path copyOf(String resource, String name) throws IOException {
        return Files.write(dir.resolve(name), resourceBytes(resource));
    }

    private static byte[] resourceBytes(String resource) throws IOException {
        try (InputStream in = RuleFileJobTest.class.getResourceAsStream(resource)) {
            assertThat(in).as("resource %s", resource).isNotNull();
            return in.readAllBytes();
        }
    }

    /**
     * The documents without what depends on timing rather than on the rule: the wall-clock time they were made at,
     * and whether a record came behind the watermark and the previous sighting was still held (both depend on when
     * periodic watermarks were emitted), with the reason, which names that sighting.
     */
    private static Set<String> ruleDependent(List<String> alerts) {
        return alerts.stream()
                .map(json -> {
                    ObjectNode doc = (ObjectNode) AlertFields.parse(json);
                    doc.remove(List.of("@timestamp", "kvwatch.late", "kvwatch.previous_seen", "kibana.alert.reason"));
                    return doc.toString();
                })
                .collect(Collectors.toSet());
    }

    private static Map<String, String> idsByRead(List<String> alerts) {
        Map<String, String> out = new HashMap<>();
        for (String json : alerts) {
            out.put(
                    AlertFields.asRead(json).toString(),
                    AlertFields.parse(json).get("kibana.alert.uuid").asText());
        }
        return out;
    }
}
