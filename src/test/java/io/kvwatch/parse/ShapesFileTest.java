package io.kvwatch.parse;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvwatch.model.AuditRecord;
import io.kvwatch.rule.RetrievalFilter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every line of the shared shapes file, parsed and filtered, with the outcome its README states. */
class ShapesFileTest {

    static List<String> lines;
    static final RetrievalFilter RULE = new RetrievalFilter(false);

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = ShapesFileTest.class.getResourceAsStream("/samples/keyvault-auditevent-shapes.ndjson")) {
            lines = new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .lines()
                    .toList();
        }
        assertThat(lines).as("the shapes file has one message per shape").hasSize(12);
    }

    static ParseResult line(int n) {
        return ParseResult.of(lines.get(n - 1));
    }

    static List<String> counting(ParseResult r) {
        return r.records.stream()
                .filter(RULE::counts)
                .map(a -> a.upn + " " + a.objectId)
                .toList();
    }

    @Test
    void line1EnvelopeOfThreeDataPlaneReads() {
        ParseResult r = line(1);
        assertThat(r.deadLetters).isEmpty();
        assertThat(counting(r))
                .as("alice twice (one term), bob once")
                .containsExactly(
                        "alice@contoso.com https://kv-payments-prod.vault.azure.net/secrets/stripe-api-key/5d1c2e9a7b3f4a6e8c0d1e2f3a4b5c6d",
                        "alice@contoso.com https://kv-payments-prod.vault.azure.net/secrets/stripe-api-key/5d1c2e9a7b3f4a6e8c0d1e2f3a4b5c6d",
                        "bob@contoso.com https://kv-payments-prod.vault.azure.net/keys/card-token-kek");
        AuditRecord alice = r.records.get(0);
        assertThat(alice.ruleTime)
                .as("a file has no ingest time: the record's time")
                .isEqualTo(Instant.parse("2026-11-02T08:14:03.12Z").toEpochMilli());
        assertThat(alice.originalTime).isEqualTo("2026-11-02T08:14:03.120Z");
        assertThat(alice.vaultName).isEqualTo("KV-PAYMENTS-PROD");
        assertThat(alice.appId).isEqualTo("04b07795-8ddb-461a-bbee-02f9e1bf7b46");
        assertThat(alice.sourceIp).isEqualTo("198.51.100.23");
        assertThat(alice.correlationId).isEqualTo("2f3e0c11-79b4-4a5e-8d1d-5c7e1b2a9f60");
        assertThat(alice.clientInfo).startsWith("azsdk-net-Security.KeyVault.Secrets");
        assertThat(alice.requestUri).endsWith("?api-version=7.5");
    }

    @Test
    void line2ControlPlaneVaultGetReadsTheLongUpnClaim() {
        ParseResult r = line(2);
        assertThat(counting(r)).containsExactly("carol@contoso.com https://kv-payments-prod.vault.azure.net/");
        assertThat(r.records.get(0).operation).isEqualTo("VaultGet");
    }

    @Test
    void line3ListWithoutObjectIdDoesNotCount() {
        ParseResult r = line(3);
        assertThat(r.records).as("a Key Vault record").hasSize(1);
        assertThat(counting(r)).as("but no properties.id").isEmpty();
        assertThat(r.deadLetters).isEmpty();
    }

    @Test
    void line4RefusedReadCountsAndCarriesItsHttpStatus() {
        ParseResult r = line(4);
        assertThat(counting(r))
                .containsExactly(
                        "mallory@fabrikam.com https://kv-payments-prod.vault.azure.net/secrets/db-admin-password");
        assertThat(r.records.get(0).httpStatusCode).isEqualTo(403);
        assertThat(r.records.get(0).resultSignature).isEqualTo("Forbidden");
        assertThat(new RetrievalFilter(true).counts(r.records.get(0)))
                .as("not with require-2xx")
                .isFalse();
    }

    @Test
    void line5AppOnlyTokenHasNoUpnAndDoesNotCount() {
        ParseResult r = line(5);
        assertThat(r.records).hasSize(1);
        assertThat(counting(r)).isEmpty();
    }

    @Test
    void line6WriteOperationDoesNotCount() {
        ParseResult r = line(6);
        assertThat(r.records).hasSize(1);
        assertThat(counting(r)).isEmpty();
    }

    @Test
    void line7SingleRecordWithoutEnvelopeCounts() {
        assertThat(counting(line(7)))
                .containsExactly(
                        "dave@contoso.com https://kv-edge.vault.azure.net/certificates/wildcard-contoso-com/0a1b2c3d4e5f60718293a4b5c6d7e8f9");
    }

    @Test
    void line8EcsDocumentCountsOnEventIngested() {
        ParseResult r = line(8);
        assertThat(counting(r))
                .containsExactly("erin@contoso.com https://kv-edge.vault.azure.net/secrets/cdn-signing-key");
        AuditRecord erin = r.records.get(0);
        assertThat(erin.ruleTime)
                .as("rule time is event.ingested")
                .isEqualTo(Instant.parse("2026-11-02T08:27:31Z").toEpochMilli());
        assertThat(erin.originalTime).as("original time is @timestamp").isEqualTo("2026-11-02T08:26:00Z");
        assertThat(erin.vaultName).isEqualTo("KV-EDGE");
        assertThat(erin.sourceIp).isEqualTo("198.51.100.77");
        assertThat(erin.resultSignature).isEqualTo("OK");
        assertThat(erin.shape).isEqualTo("ecs");
    }

    @Test
    void line9TruncatedJsonIsADeadLetter() {
        ParseResult r = line(9);
        assertThat(r.records).isEmpty();
        assertThat(r.deadLetters).singleElement().satisfies(d -> {
            assertThat(d.reason).isEqualTo("not_json");
            assertThat(d.original).isEqualTo(lines.get(8));
            assertThat(d.recordIndex).isEqualTo(-1);
        });
    }

    @Test
    void line10RecordsNotAnArrayIsADeadLetter() {
        ParseResult r = line(10);
        assertThat(r.records).isEmpty();
        assertThat(r.deadLetters)
                .singleElement()
                .satisfies(d -> assertThat(d.reason).isEqualTo("records_not_an_array"));
    }

    @Test
    void line11BadTimeCostsOnlyItsOwnRecord() {
        ParseResult r = line(11);
        assertThat(r.deadLetters).singleElement().satisfies(d -> {
            assertThat(d.reason).isEqualTo("bad_time");
            assertThat(d.recordIndex).isZero();
            assertThat(d.detail).contains("not-a-time");
        });
        assertThat(counting(r))
                .containsExactly("frank@contoso.com https://kv-edge.vault.azure.net/secrets/cdn-signing-key");
    }

    @Test
    void line12OtherCategoryIsIgnored() {
        ParseResult r = line(12);
        assertThat(r.records).isEmpty();
        assertThat(r.deadLetters).isEmpty();
        assertThat(r.ignored).isEqualTo(1);
    }
}
