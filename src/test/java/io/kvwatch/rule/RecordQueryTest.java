package io.kvwatch.rule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.RecordField;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.Test;

/** The query compiled onto the record model: field binding, value semantics per field type, folding, shipping. */
class RecordQueryTest {

    /** The operations of the rule as the job hard-coded them before the rule came from its file. */
    static final Set<String> OPERATIONS_BEFORE = Set.of(
            "VaultGet",
            "KeyGet",
            "KeyList",
            "KeyListVersions",
            "KeyGetDeleted",
            "KeyListDeleted",
            "SecretGet",
            "SecretList",
            "SecretListVersions",
            "SecretGetDeleted",
            "SecretListDeleted",
            "CertificateGet",
            "CertificateList",
            "CertificateListVersions",
            "CertificateGetDeleted",
            "CertificateListDeleted",
            "CertificatePolicyGet",
            "CertificateContactsGet",
            "CertificateIssuerGet",
            "CertificateIssuersList");

    /** The filter as it was written by hand before: the oracle the bundled rule's compiled query must equal. */
    static boolean countedBefore(AuditRecord r) {
        return r.outcomeSuccess
                && r.operation != null
                && OPERATIONS_BEFORE.contains(r.operation)
                && r.upn != null
                && !r.upn.isBlank()
                && r.objectId != null
                && !r.objectId.isBlank();
    }

    static AuditRecord record(String operation, boolean success, String upn, String objectId) {
        AuditRecord r = new AuditRecord();
        r.operation = operation;
        r.outcomeSuccess = success;
        r.upn = upn;
        r.objectId = objectId;
        return r;
    }

    @Test
    void theBundledQueryDecidesExactlyAsTheHandWrittenFilterDid() {
        RecordQuery bundled = DetectionRule.bundled().query();
        List<String> operations = new ArrayList<>(OPERATIONS_BEFORE);
        operations.addAll(List.of(
                "SecretSet",
                "KeyCreate",
                "secretget",
                "SECRETGET",
                "SecretGet ",
                " KeyGet",
                "VaultPut",
                "Authentication",
                ""));
        List<String> upns = java.util.Arrays.asList("alice@contoso.com", "", "  ", null, "Bob@Contoso.com");
        List<String> ids = java.util.Arrays.asList("https://kv.vault.azure.net/secrets/a", "", "\t", null);
        int counted = 0;
        int total = 0;
        for (String op : operations) {
            for (boolean success : new boolean[] {true, false}) {
                for (String upn : upns) {
                    for (String id : ids) {
                        AuditRecord r = record(op, success, upn, id);
                        assertThat(bundled.matches(r))
                                .as("%s %s %s %s", op, success, upn, id)
                                .isEqualTo(countedBefore(r));
                        counted += countedBefore(r) ? 1 : 0;
                        total++;
                    }
                }
            }
        }
        AuditRecord nullOperation = record(null, true, "alice@contoso.com", "https://kv.vault.azure.net/secrets/a");
        assertThat(bundled.matches(nullOperation)).as("no operation").isFalse();
        assertThat(counted).as("both outcomes occur").isGreaterThan(0).isLessThan(total);
    }

    @Test
    void theBundledQueryCompilesToFourCheapConditions() {
        assertThat(DetectionRule.bundled().query().toString())
                .as("event.dataset decided once; the 20 operations one set; term fields not checked twice")
                .isEqualTo(
                        "(event.outcome = \"success\" and event.action in [20 values]"
                                + " and azure.platformlogs.identity.claim.upn exists and azure.platformlogs.properties.id exists)");
        assertThat(DetectionRule.bundled().query().requiredValues(RecordField.EVENT_ACTION))
                .isEqualTo(OPERATIONS_BEFORE);
    }

    @Test
    void keywordsCompareExactlyAndWildcardsMatchAnyRun() {
        AuditRecord r = record("SecretGetDeleted", true, "alice@contoso.com", "https://kv.vault.azure.net/secrets/a");
        assertThat(matches("event.action: SecretGetDeleted", r)).isTrue();
        assertThat(matches("event.action: secretgetdeleted", r))
                .as("case-sensitive")
                .isFalse();
        assertThat(matches("event.action: Secret*", r)).isTrue();
        assertThat(matches("event.action: *Deleted", r)).isTrue();
        assertThat(matches("event.action: Secret*Get*Deleted", r)).isTrue();
        assertThat(matches("event.action: *Get*Get*", r))
                .as("pieces in order, no overlap")
                .isFalse();
        assertThat(matches("event.action: Key*", r)).isFalse();
        assertThat(matches("event.action: SecretGetDeleted*", r))
                .as("a star matches the empty run")
                .isTrue();
        assertThat(matches("event.action: \"Secret*\"", r))
                .as("quoted: no wildcard")
                .isFalse();
        assertThat(matches("azure.platformlogs.properties.id: https\\://kv.vault.azure.net/secrets/*", r))
                .isTrue();
        assertThat(matches("azure.platformlogs.identity.claim.appid: *", r))
                .as("no appid")
                .isFalse();
        assertThat(matches("not azure.platformlogs.identity.claim.appid: *", r)).isTrue();
        assertThat(matches("event.outcome: success", r)).isTrue();
        r.outcomeSuccess = false;
        assertThat(matches("event.outcome: failure", r)).isTrue();
        assertThat(matches("event.action: (SecretGetDeleted and not Secret*)", r))
                .isFalse();
    }

    @Test
    void numbersAndAddressesCompareAsElasticsearchMapsThem() {
        AuditRecord r = record("SecretGet", true, "alice@contoso.com", "id");
        r.httpStatusCode = 403;
        r.sourceIp = "10.20.30.40";
        assertThat(matches("azure.platformlogs.properties.httpStatusCode: 403", r))
                .isTrue();
        assertThat(matches("azure.platformlogs.properties.httpStatusCode: (200 or 403)", r))
                .isTrue();
        assertThat(matches("azure.platformlogs.properties.httpStatusCode: 200", r))
                .isFalse();
        assertThat(matches("source.ip: 10.20.0.0/16", r)).as("a CIDR block").isTrue();
        assertThat(matches("source.ip: \"10.20.30.40\"", r)).isTrue();
        assertThat(matches("source.ip: \"2001:db8::/32\"", r)).isFalse();
        r.sourceIp = "<Redacted>";
        assertThat(matches("source.ip: *", r))
                .as("not an address: no source.ip")
                .isFalse();
        r.httpStatusCode = 0;
        assertThat(matches("azure.platformlogs.properties.httpStatusCode: *", r))
                .as("0 is none")
                .isFalse();
    }

    @Test
    void anOutcomeThatNoRecordHasIsRefused() {
        // Elastic writes event.outcome in lower case; "Success" would match nothing, and the job would run without
        // ever alerting (or, under 'not', match everything).
        assertThatThrownBy(() -> RecordQuery.compile("event.outcome: \"Success\" and event.action: KeyGet"))
                .hasMessageContaining("'Success' at line 1, column 16")
                .hasMessageContaining("event.outcome holds only 'success' or 'failure'");
        assertThatThrownBy(() -> RecordQuery.compile("not event.outcome: Failed"))
                .hasMessageContaining("'Failed'");
        assertThat(RecordQuery.compile("event.outcome: succ* and event.action: KeyGet")
                        .toString())
                .as("a wildcard that matches one of them is taken")
                .contains("event.outcome");
        assertThat(RecordQuery.compile("event.outcome: (success or failure)").toString())
                .isNotBlank();
    }

    @Test
    void conditionsOnTheDatasetAreDecidedWhenCompiled() {
        assertThat(RecordQuery.compile("event.dataset: azure.platformlogs and event.action: KeyGet")
                        .toString())
                .isEqualTo("event.action = \"KeyGet\"");
        assertThat(RecordQuery.compile("event.dataset: azure.* or event.action: KeyGet")
                        .toString())
                .isEqualTo("true");
        assertThat(RecordQuery.compile("not event.dataset: azure.activitylogs").toString())
                .isEqualTo("true");
        assertThatThrownBy(() -> RecordQuery.compile("event.dataset: \"azure.activitylogs\" and event.action: KeyGet"))
                .hasMessageContaining("can match no record")
                .hasMessageContaining("event.dataset \"azure.platformlogs\"");
    }

    @Test
    void fieldsAndValuesTheRecordCannotHoldAreRefused() {
        assertThatThrownBy(() -> RecordQuery.compile("event.action: KeyGet and\n user.domain: contoso"))
                .hasMessageContaining("unknown field 'user.domain' at line 2, column 2")
                .hasMessageContaining("azure.platformlogs.identity.claim.upn");
        assertThatThrownBy(() -> RecordQuery.compile("azure.platformlogs.properties.httpStatusCode: forbidden"))
                .hasMessageContaining("'forbidden' at line 1, column 47 is not a whole number");
        assertThatThrownBy(() -> RecordQuery.compile("azure.platformlogs.properties.httpStatusCode: 4*"))
                .hasMessageContaining("wildcard value '4*'")
                .hasMessageContaining("a number field");
        assertThatThrownBy(() -> RecordQuery.compile("source.ip: 10.*"))
                .hasMessageContaining("wildcard value '10.*'")
                .hasMessageContaining("an IP field");
        assertThatThrownBy(() -> RecordQuery.compile("source.ip: somewhere"))
                .hasMessageContaining("is not an IP address or CIDR block");
    }

    @Test
    void everyRecordFieldCanBeNamedInAQuery() {
        for (RecordField f : RecordField.values()) {
            assertThat(RecordQuery.compile(f.path() + ": *").toString())
                    .as(f.path())
                    .isNotEmpty();
        }
    }

    @Test
    void theCompiledQuerySurvivesShippingAndStaysEqualOnRandomRecords() throws Exception {
        RecordQuery query = RecordQuery.compile("event.outcome: success and (event.action: (Secret* or KeyGet)"
                + " or not azure.resource.name: KV-*) and source.ip: (10.0.0.0/8 or \"2001:db8::1\")"
                + " and not azure.platformlogs.properties.httpStatusCode: 404");
        RecordQuery shipped = InstantiationUtil.clone(query, getClass().getClassLoader());
        assertThat(shipped.toString()).isEqualTo(query.toString());
        Random random = new Random(7);
        String[] ops = {"SecretGet", "SecretList", "KeyGet", "KeyList", "VaultGet", null};
        String[] vaults = {"KV-A", "kv-b", null};
        String[] ips = {"10.1.2.3", "192.0.2.1", "2001:db8::1", "2001:db8:0:0:0:0:0:1", "<Redacted>", null};
        int matched = 0;
        for (int i = 0; i < 5_000; i++) {
            AuditRecord r = record(ops[random.nextInt(ops.length)], random.nextBoolean(), "u", "o");
            r.vaultName = vaults[random.nextInt(vaults.length)];
            r.sourceIp = ips[random.nextInt(ips.length)];
            r.httpStatusCode = random.nextBoolean() ? 200 : 404;
            boolean expected = r.outcomeSuccess
                    && ((r.operation != null && (r.operation.startsWith("Secret") || r.operation.equals("KeyGet")))
                            || r.vaultName == null
                            || !r.vaultName.startsWith("KV-"))
                    && r.sourceIp != null
                    && (r.sourceIp.startsWith("10.") || r.sourceIp.startsWith("2001:db8:"))
                    && r.httpStatusCode != 404;
            assertThat(shipped.matches(r))
                    .as("%s / %s / %s / %s", r.operation, r.vaultName, r.sourceIp, r.httpStatusCode)
                    .isEqualTo(expected)
                    .isEqualTo(query.matches(r));
            matched += expected ? 1 : 0;
        }
        assertThat(matched).as("the query matches some records and not others").isBetween(100, 4_900);
    }

    private static boolean matches(String kql, AuditRecord r) {
        return RecordQuery.compile(kql).matches(r);
    }
}
