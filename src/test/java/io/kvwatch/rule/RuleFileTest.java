package io.kvwatch.rule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvwatch.model.RecordField;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading Elastic's rule format: the bundled rule, its later revision, and what a rule file may not say. */
class RuleFileTest {

    static final String OPERATIONS_LIST_END = "    \"CertificateIssuersList\"\n)";
    static final String UPSTREAM_REVISION = "/rules/upstream-revision-7d.toml";

    @TempDir
    Path dir;

    static String resource(String name) {
        try (InputStream in = RuleFileTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static String bundledText() {
        return resource(KeyVaultRetrievalRule.BUNDLED_RULE);
    }

    @Test
    void theBundledRuleIsElasticsAsReleased() {
        DetectionRule rule = DetectionRule.bundled();
        assertThat(rule.ruleId()).isEqualTo("75c53838-5dcd-11f0-829c-f661ea17fbcd");
        assertThat(rule.name()).isEqualTo("Azure Key Vault Secret Key Usage by Unusual Identity");
        assertThat(rule.type()).isEqualTo("new_terms");
        assertThat(rule.severity()).isEqualTo("medium");
        assertThat(rule.riskScore()).isEqualTo(43);
        assertThat(rule.historyWindowStart()).isEqualTo("now-14d");
        assertThat(rule.historyWindow()).isEqualTo(Duration.ofDays(14));
        assertThat(rule.newTermsFields()).containsExactly(RecordField.UPN, RecordField.OBJECT_ID);
        assertThat(rule.references())
                .containsExactly("https://www.inversecos.com/2022/05/detection-and-compromise-azure-key.html");
        assertThat(rule.threats()).singleElement().satisfies(t -> {
            assertThat(t.framework()).isEqualTo("MITRE ATT&CK");
            assertThat(t.tactic())
                    .isEqualTo(new DetectionRule.Ref(
                            "TA0006", "Credential Access", "https://attack.mitre.org/tactics/TA0006/"));
            assertThat(t.techniques()).singleElement().satisfies(tech -> {
                assertThat(tech.technique().id()).isEqualTo("T1555");
                assertThat(tech.technique().name()).isEqualTo("Credentials from Password Stores");
                assertThat(tech.subtechniques())
                        .containsExactly(new DetectionRule.Ref(
                                "T1555.006",
                                "Cloud Secrets Management Stores",
                                "https://attack.mitre.org/techniques/T1555/006/"));
            });
        });
        assertThat(rule.note()).as("the bundled file's own short triage note").isNotBlank();
        assertThat(rule.query().text()).as("the query as written").contains("event.action : (", "\"VaultGet\" or");
    }

    @Test
    void theUpstreamRevisionChangesWindowAndMetadataOnly() {
        DetectionRule revision = RuleFile.parse(resource(UPSTREAM_REVISION), "Rule file " + UPSTREAM_REVISION);
        DetectionRule bundled = DetectionRule.bundled();
        assertThat(revision.historyWindow()).isEqualTo(Duration.ofDays(7));
        assertThat(revision.severity()).isEqualTo("high");
        assertThat(revision.riskScore()).isEqualTo(73);
        assertThat(revision.ruleId()).as("the same rule").isEqualTo(bundled.ruleId());
        assertThat(revision.query().toString())
                .as("the same query")
                .isEqualTo(bundled.query().toString());
        assertThat(revision.newTermsFields()).isEqualTo(bundled.newTermsFields());
        assertThat(revision.threats()).isEqualTo(bundled.threats());
        assertThat(revision.withHistoryWindow(Duration.ofDays(14)).historyWindow())
                .as("history-window overrides the file's")
                .isEqualTo(Duration.ofDays(14));
    }

    @Test
    void historyWindowsInDaysHoursAndMinutes() {
        assertThat(window("now-30d")).isEqualTo(Duration.ofDays(30));
        assertThat(window("now-12h")).isEqualTo(Duration.ofHours(12));
        assertThat(window("now-90m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(DetectionRule.bundled()
                        .withHistoryWindow(Duration.ofHours(12))
                        .historyWindowText())
                .isEqualTo("12 hours");
        assertThat(DetectionRule.bundled().withHistoryWindow(Duration.ofDays(1)).historyWindowText())
                .isEqualTo("1 day");
    }

    @Test
    void theTermFieldsMayComeInEitherOrder() {
        DetectionRule rule = parse(bundledText()
                .replace(
                        "value = [\"azure.platformlogs.identity.claim.upn\", \"azure.platformlogs.properties.id\"]",
                        "value = [\"azure.platformlogs.properties.id\", \"azure.platformlogs.identity.claim.upn\"]"));
        assertThat(rule.newTermsFields()).containsExactly(RecordField.OBJECT_ID, RecordField.UPN);
    }

    @Test
    void aRangeInTheQueryIsRefused() throws IOException {
        assertRefused(
                withQueryEnd(" and\nazure.platformlogs.properties.httpStatusCode >= 200"),
                "rule.query: range comparison 'azure.platformlogs.properties.httpStatusCode >=' at line 24, column 1");
    }

    @Test
    void anUnknownFieldIsRefused() throws IOException {
        assertRefused(
                withQueryEnd(" and user.domain: \"contoso.com\""),
                "rule.query: unknown field 'user.domain' at line 23, column 92");
    }

    @Test
    void aWildcardInAFieldNameIsRefused() throws IOException {
        assertRefused(
                bundledText()
                        .replace("azure.platformlogs.identity.claim.upn: *", "azure.platformlogs.identity.claim.*: *"),
                "rule.query: wildcard in the field name 'azure.platformlogs.identity.claim.*' at line 23, column 7");
    }

    @Test
    void aMissingClosingParenthesisIsRefused() throws IOException {
        assertRefused(
                bundledText().replace(OPERATIONS_LIST_END, "    \"CertificateIssuersList\"\n"),
                "rule.query: missing closing parenthesis for the '(' at line 2, column 16: expected 'and', 'or' or ')'"
                        + " but found ':' at line 23, column 43");
    }

    @Test
    void aThirdTermFieldIsRefused() throws IOException {
        assertRefused(
                bundledText()
                        .replace(
                                "\"azure.platformlogs.properties.id\"]",
                                "\"azure.platformlogs.properties.id\", \"azure.platformlogs.identity.claim.appid\"]"),
                "rule.new_terms.value [azure.platformlogs.identity.claim.upn, azure.platformlogs.properties.id,"
                        + " azure.platformlogs.identity.claim.appid] is not supported: the job keys its state by exactly"
                        + " [azure.platformlogs.identity.claim.upn, azure.platformlogs.properties.id]");
    }

    @Test
    void otherConstructsAreRefusedByName() throws IOException {
        String rule = bundledText();
        assertRefused(
                rule.replace(
                        "value = [\"azure.platformlogs.identity.claim.upn\", \"azure.platformlogs.properties.id\"]",
                        "value = [\"azure.platformlogs.identity.claim.upn\", \"azure.platformlogs.identity.claim.appid\"]"),
                "rule.new_terms.value [azure.platformlogs.identity.claim.upn, azure.platformlogs.identity.claim.appid]"
                        + " is not supported");
        assertRefused(
                rule.replace("value = \"now-14d\"", "value = \"now-2w\""),
                "history window 'now-2w' is not supported: expected now-<N>d, now-<N>h or now-<N>m");
        assertRefused(
                rule.replace("value = \"now-14d\"", "value = \"now/d\""), "history window 'now/d' is not supported");
        assertRefused(
                rule.replace("language = \"kuery\"", "language = \"lucene\""),
                "rule.language 'lucene' is not supported");
        assertRefused(rule.replace("type = \"new_terms\"", "type = \"query\""), "rule.type 'query' is not supported");
        assertRefused(
                rule.replace("timestamp_override = \"event.ingested\"\n", ""),
                "rule.timestamp_override is missing (Elastic would then use @timestamp)");
        assertRefused(
                rule.replace("severity = \"medium\"", "severity = \"urgent\""), "rule.severity 'urgent' is not one of");
        assertRefused(
                rule.replace("risk_score = 43", "risk_score = 143"),
                "rule.risk_score must be a whole number from 0 to 100");
        assertRefused(rule.replace("risk_score = 43", "risk_score = \"43\""), "rule.risk_score must be a whole number");
        assertRefused(
                rule.replace("rule_id = \"75c53838-5dcd-11f0-829c-f661ea17fbcd\"\n", ""), "rule.rule_id is missing");
        assertRefused(
                rule.replace("[rule]\n", "[rule]\nexceptions_list = []\n"),
                "rule.exceptions_list is not supported: give the job an exceptions file instead (--exceptions)");
        assertRefused(rule.replace("[rule]\n", "[rule]\nfilters = []\n"), "rule.filters is not supported");
        assertRefused(
                withQueryEnd(" and event.action: {\"x\"}"),
                "rule.query: nested field query 'event.action: {' at line 23");
        assertRefused(withQueryEnd(" and SecretGet"), "rule.query: a value without a field, 'SecretGet' at line 23");
        assertRefused(
                rule.replace("query = '''", "query = '''\nevent.dataset: \"azure.activitylogs\" and"),
                "rule.query: the query can match no record");
        assertRefused(rule.replace("[rule.new_terms]", "[rule.new_terms"), "is not TOML");
        assertRefused("[rule]\nname = \"x\"\n[surprise]\n", "unknown table or key 'surprise'");
    }

    @Test
    void anUnreadableFileIsNamed() {
        Path missing = dir.resolve("no-such-rule.toml");
        assertThatThrownBy(() -> RuleFile.load(missing))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Cannot read the rule file " + missing);
    }

    /** The bundled rule with {@code extra} appended to its query's last line. */
    static String withQueryEnd(String extra) {
        String rule = bundledText();
        String last = "azure.platformlogs.properties.id: *\n'''";
        assertThat(rule).contains(last);
        return rule.replace(last, "azure.platformlogs.properties.id: *" + extra + "\n'''");
    }

    private Duration window(String start) {
        return parse(bundledText().replace("value = \"now-14d\"", "value = \"" + start + "\""))
                .historyWindow();
    }

    private DetectionRule parse(String text) {
        return RuleFile.parse(text, "test");
    }

    /** Written to a file and loaded, as the job does: the message names the file and the construct. */
    private void assertRefused(String text, String message) throws IOException {
        Path file = Files.writeString(dir.resolve("rule-" + Integer.toHexString(text.hashCode()) + ".toml"), text);
        assertThatThrownBy(() -> RuleFile.load(file))
                .as("refuses: %s", message)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Rule file " + file)
                .hasMessageContaining(message);
    }
}
