package io.kvwatch.rule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvwatch.model.AuditRecord;
import io.kvwatch.testing.Records;
import org.junit.jupiter.api.Test;

/** Exception entries: each field alone, fields together, lists, both file syntaxes, and refusal of mistakes. */
class ExceptionListTest {

    static AuditRecord alice() {
        AuditRecord r =
                Records.read("Alice@Contoso.com", "https://kv-edge.vault.azure.net/certificates/wildcard/123", 1L);
        r.appId = "04B07795-8DDB-461A-BBEE-02F9E1BF7B46";
        r.vaultName = "KV-EDGE";
        r.resourceId = "/SUBSCRIPTIONS/S/RESOURCEGROUPS/G/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV-EDGE";
        r.sourceIp = "10.20.3.4";
        r.operation = "CertificateGet";
        return r;
    }

    static boolean excepts(String yaml, AuditRecord r) {
        return ExceptionList.parse(yaml, "test").excepts(r);
    }

    @Test
    void eachFieldMatchesOnItsOwn() {
        AuditRecord r = alice();
        assertThat(excepts("- upn: alice@contoso.com", r)).as("upn, any case").isTrue();
        assertThat(excepts("- appid: 04b07795-8ddb-461a-bbee-02f9e1bf7b46", r))
                .as("appid, any case")
                .isTrue();
        assertThat(excepts("- vault: kv-edge", r)).as("vault by name").isTrue();
        assertThat(excepts("- vault: /subscriptions/s/resourcegroups/g/providers/microsoft.keyvault/vaults/kv-edge", r))
                .as("vault by resource id")
                .isTrue();
        assertThat(excepts("- object-id-prefix: https://kv-edge.vault.azure.net/certificates/", r))
                .as("object id prefix")
                .isTrue();
        assertThat(excepts("- source-ip: 10.20.0.0/16", r)).as("CIDR").isTrue();
        assertThat(excepts("- source-ip: 10.20.3.4", r)).as("single address").isTrue();
        assertThat(excepts("- operation: CertificateGet", r)).as("operation").isTrue();
    }

    @Test
    void nonMatchingValuesDoNotExcept() {
        AuditRecord r = alice();
        assertThat(excepts("- upn: bob@contoso.com", r)).isFalse();
        assertThat(excepts("- vault: kv-edge-2", r)).isFalse();
        assertThat(excepts("- object-id-prefix: https://kv-edge.vault.azure.net/secrets/", r))
                .isFalse();
        assertThat(excepts("- source-ip: 10.21.0.0/16", r)).isFalse();
        assertThat(excepts("- operation: certificateget", r))
                .as("operations are exact")
                .isFalse();
    }

    @Test
    void fieldsOfOneEntryMustAllMatchAndEntriesAreAlternatives() {
        AuditRecord r = alice();
        assertThat(excepts("- {upn: alice@contoso.com, vault: KV-OTHER}", r))
                .as("all fields of an entry")
                .isFalse();
        assertThat(excepts("- {upn: alice@contoso.com, vault: KV-EDGE}", r)).isTrue();
        assertThat(excepts("- upn: bob@contoso.com\n- vault: KV-EDGE\n", r))
                .as("any entry")
                .isTrue();
        assertThat(excepts("- upn: [bob@contoso.com, alice@contoso.com]", r))
                .as("any value of a list")
                .isTrue();
    }

    @Test
    void ipv6AndJsonSyntax() {
        AuditRecord r = alice();
        r.sourceIp = "2001:db8::42";
        assertThat(excepts("{\"exceptions\":[{\"source-ip\":\"2001:db8::/32\"}]}", r))
                .isTrue();
        assertThat(excepts("{\"exceptions\":[{\"source-ip\":\"2001:db9::/32\"}]}", r))
                .isFalse();
    }

    @Test
    void mistakesAreRefusedWithWhere() {
        assertThatThrownBy(() -> ExceptionList.parse("- usr: alice@contoso.com", "f.yaml"))
                .hasMessageContaining("f.yaml entry 1")
                .hasMessageContaining("usr");
        assertThatThrownBy(() -> ExceptionList.parse("- comment: matches everything", "f.yaml"))
                .hasMessageContaining("names no field");
        assertThatThrownBy(() -> ExceptionList.parse("- source-ip: intranet.contoso.com", "f.yaml"))
                .hasMessageContaining("not an IP address");
        assertThatThrownBy(() -> ExceptionList.parse("- source-ip: 10.0.0.0/33", "f.yaml"))
                .hasMessageContaining("prefix length");
    }

    @Test
    void mistakesThatWouldVoidAnEntryAreRefusedWithWhere() {
        assertThatThrownBy(() -> ExceptionList.parse("- upn: a@contoso.com\n- source-ip: 10.0.0.0/33", "f.yaml"))
                .as("a bad address names the file and entry, as every other mistake does")
                .hasMessageContaining("f.yaml entry 2")
                .hasMessageContaining("source-ip")
                .hasMessageContaining("prefix length");
        assertThatThrownBy(() -> ExceptionList.parse("- upn: []", "f.yaml"))
                .as("an empty list matches no record: the entry would silently except nothing")
                .hasMessageContaining("f.yaml entry 1")
                .hasMessageContaining("'upn' needs a non-empty value");
        assertThatThrownBy(() -> ExceptionList.parse("- upn: backup@contoso.com\n  upn: alice@contoso.com", "f.yaml"))
                .as("a field given twice: the first value would be dropped without a word")
                .hasMessageContaining("f.yaml")
                .hasMessageContaining("upn");
    }

    @Test
    void emptyFileExceptsNothing() {
        assertThat(ExceptionList.parse("", "empty").size()).isZero();
        assertThat(ExceptionList.parse("exceptions: []", "empty").excepts(alice()))
                .isFalse();
    }
}
