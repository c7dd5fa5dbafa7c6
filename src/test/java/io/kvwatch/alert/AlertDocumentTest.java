package io.kvwatch.alert;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.Detection;
import io.kvwatch.rule.DetectionRule;
import io.kvwatch.testing.AlertFields;
import io.kvwatch.testing.Records;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The alert document: Elastic's alert fields, the triage fields, and an id that a replay reproduces. */
class AlertDocumentTest {

    private static final String RULE_ID = DetectionRule.bundled().ruleId();

    static final Instant NOW = Instant.parse("2026-11-02T09:00:00Z");

    static AuditRecord refusedRead() {
        AuditRecord r =
                Records.read("mallory@fabrikam.com", "https://kv-p.vault.azure.net/secrets/db", 1_793_000_000_000L);
        r.originalTime = "2026-11-02T08:22:31.700Z";
        r.httpStatusCode = 403;
        r.resultSignature = "Forbidden";
        r.appId = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
        r.sourceIp = "185.220.101.4";
        r.requestUri = "https://kv-p.vault.azure.net/secrets/db?api-version=7.5";
        r.clientInfo = "azsdk-net/4.6.0";
        r.correlationId = "2f3e0c11-79b4-4a5e-8d1d-5c7e1b2a9f60";
        r.vaultName = "KV-P";
        return r;
    }

    @Test
    void carriesTheElasticAlertAndRuleFields() {
        JsonNode doc = AlertFields.parse(
                AlertDocument.of(new Detection(refusedRead(), Detection.NEVER, false), NOW, Duration.ofDays(14)).json);

        assertThat(doc.get("@timestamp").asText()).isEqualTo("2026-11-02T09:00:00Z");
        assertThat(doc.get("kibana.alert.original_time").asText()).isEqualTo("2026-11-02T08:22:31.700Z");
        assertThat(doc.get("kibana.alert.new_terms").toString())
                .isEqualTo("[\"mallory@fabrikam.com\",\"https://kv-p.vault.azure.net/secrets/db\"]");
        assertThat(doc.get("kibana.alert.rule.rule_id").asText()).isEqualTo("75c53838-5dcd-11f0-829c-f661ea17fbcd");
        assertThat(doc.get("kibana.alert.rule.name").asText())
                .isEqualTo("Azure Key Vault Secret Key Usage by Unusual Identity");
        assertThat(doc.get("kibana.alert.rule.type").asText()).isEqualTo("new_terms");
        assertThat(doc.get("kibana.alert.rule.severity").asText()).isEqualTo("medium");
        assertThat(doc.get("kibana.alert.rule.risk_score").asInt()).isEqualTo(43);
        JsonNode threat = doc.get("kibana.alert.rule.threat").get(0);
        assertThat(threat.get("framework").asText()).isEqualTo("MITRE ATT&CK");
        assertThat(threat.at("/tactic/id").asText()).isEqualTo("TA0006");
        assertThat(threat.at("/technique/0/id").asText()).isEqualTo("T1555");
        assertThat(threat.at("/technique/0/subtechnique/0/id").asText()).isEqualTo("T1555.006");
        assertThat(doc.get("kibana.alert.reason").asText()).contains("mallory@fabrikam.com", "HTTP 403", "KV-P");
    }

    @Test
    void carriesTheTriageFieldsOfTheInvestigationGuide() {
        JsonNode doc = AlertFields.parse(
                AlertDocument.of(new Detection(refusedRead(), Detection.NEVER, false), NOW, Duration.ofDays(14)).json);

        assertThat(doc.get("azure.platformlogs.identity.claim.upn").asText()).isEqualTo("mallory@fabrikam.com");
        assertThat(doc.get("azure.platformlogs.identity.claim.appid").asText())
                .isEqualTo("04b07795-8ddb-461a-bbee-02f9e1bf7b46");
        assertThat(doc.get("azure.resource.name").asText()).isEqualTo("KV-P");
        assertThat(doc.get("event.action").asText()).isEqualTo("SecretGet");
        assertThat(doc.get("event.ingested").asText())
                .isEqualTo(Instant.ofEpochMilli(1_793_000_000_000L).toString());
        assertThat(doc.get("source.ip").asText()).isEqualTo("185.220.101.4");
        assertThat(doc.get("azure.platformlogs.properties.id").asText())
                .isEqualTo("https://kv-p.vault.azure.net/secrets/db");
        assertThat(doc.get("azure.platformlogs.properties.requestUri").asText()).endsWith("?api-version=7.5");
        assertThat(doc.get("azure.platformlogs.properties.clientInfo").asText()).isEqualTo("azsdk-net/4.6.0");
        assertThat(doc.get("azure.platformlogs.properties.httpStatusCode").asInt())
                .isEqualTo(403);
        assertThat(doc.get("azure.platformlogs.result_signature").asText()).isEqualTo("Forbidden");
        assertThat(doc.get("azure.correlation_id").asText()).isEqualTo("2f3e0c11-79b4-4a5e-8d1d-5c7e1b2a9f60");
    }

    @Test
    void idIsDeterministicForTheSameRecordAndDiffersForAnother() {
        Alert first = AlertDocument.of(new Detection(refusedRead(), Detection.NEVER, false), NOW, Duration.ofDays(14));
        Alert replayed = AlertDocument.of(
                new Detection(refusedRead(), Detection.NEVER, false), NOW.plusSeconds(3600), Duration.ofDays(14));
        AuditRecord other = refusedRead();
        other.originalTime = "2026-11-02T08:22:31.701Z";
        Alert different = AlertDocument.of(new Detection(other, Detection.NEVER, false), NOW, Duration.ofDays(14));
        AuditRecord otherCaller = refusedRead();
        otherCaller.sourceIp = null;
        otherCaller.sourceAddress = "<Redacted>";
        AuditRecord ingestedLater = refusedRead();
        ingestedLater.ruleTime += 90_000;
        ingestedLater.shape = "ecs";
        AuditRecord sameMillisecond = refusedRead();
        sameMillisecond.originalTime = "2026-11-02T08:22:31.7004321Z";

        assertThat(replayed.id).as("a replay, made later, has the same id").isEqualTo(first.id);
        assertThat(AlertFields.parse(first.json).get("kibana.alert.uuid").asText())
                .isEqualTo(first.id);
        assertThat(different.id)
                .as("another triggering record (another event time) has another id")
                .isNotEqualTo(first.id);
        assertThat(AlertDocument.alertId(RULE_ID, otherCaller))
                .as("another caller, another event")
                .isNotEqualTo(first.id);
        assertThat(AlertDocument.alertId(RULE_ID, ingestedLater))
                .as("the same event reaching the job later, or in the other input shape, has the same id")
                .isEqualTo(first.id);
        assertThat(AlertDocument.alertId(RULE_ID, sameMillisecond))
                .as("the event time counts to the millisecond, the precision Elastic keeps")
                .isEqualTo(first.id);
        assertThat(first.id).matches("[0-9a-f]{64}");
    }

    @Test
    void reAlertNamesThePreviousSighting() {
        long previous = 1_791_000_000_000L;
        JsonNode doc = AlertFields.parse(
                AlertDocument.of(new Detection(refusedRead(), previous, false), NOW, Duration.ofDays(14)).json);
        assertThat(doc.get("kvwatch.previous_seen").asText())
                .isEqualTo(Instant.ofEpochMilli(previous).toString());
        assertThat(doc.get("kibana.alert.reason").asText()).contains("more than 14 days before");
    }
}
