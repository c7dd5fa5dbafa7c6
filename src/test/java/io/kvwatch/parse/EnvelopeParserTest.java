package io.kvwatch.parse;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvwatch.model.AuditRecord;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Parsing beyond the shared shapes: types, sizes, time sources and the ECS spellings. */
class EnvelopeParserTest {

    static final String KV = "/SUBSCRIPTIONS/S/RESOURCEGROUPS/G/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV-ONE";

    static String record(String time, String upnJson, String idJson) {
        return "{\"time\":" + time + ",\"category\":\"AuditEvent\",\"resourceId\":\"" + KV + "\","
                + "\"operationName\":\"SecretGet\",\"resultType\":\"Success\","
                + "\"identity\":{\"claim\":{\"upn\":" + upnJson + "}},"
                + "\"properties\":{\"id\":" + idJson + ",\"httpStatusCode\":200}}";
    }

    static final String GOOD = record(
            "\"2026-11-02T08:14:03.1234567Z\"",
            "\"alice@contoso.com\"",
            "\"https://kv-one.vault.azure.net/secrets/a\"");

    @Test
    void kafkaTimestampIsTheRuleClockForRawRecords() {
        long enqueued = Instant.parse("2026-11-02T08:15:00Z").toEpochMilli();
        ParseResult r = ParseResult.of(new EnvelopeParser(1 << 20, 100), "{\"records\":[" + GOOD + "]}", enqueued);
        AuditRecord a = r.records.get(0);
        assertThat(a.ruleTime).as("the Event Hubs enqueued time").isEqualTo(enqueued);
        assertThat(a.originalTime)
                .as("the record's own time, at full precision")
                .isEqualTo("2026-11-02T08:14:03.123456700Z");
    }

    @Test
    void ecsEventIngestedWinsOverTheKafkaTimestamp() {
        String ecs =
                "{\"@timestamp\":\"2026-11-02T08:00:00Z\",\"event\":{\"dataset\":\"azure.platformlogs\",\"ingested\":\"2026-11-02T08:01:00Z\"}}";
        ParseResult r = ParseResult.of(new EnvelopeParser(1 << 20, 100), ecs, 42L);
        assertThat(r.records.get(0).ruleTime)
                .isEqualTo(Instant.parse("2026-11-02T08:01:00Z").toEpochMilli());
    }

    @Test
    void ecsWithoutEventIngestedFallsBackToTimestamp() {
        String ecs = "{\"@timestamp\":\"2026-11-02T08:00:00Z\",\"data_stream\":{\"dataset\":\"azure.platformlogs\"}}";
        assertThat(ParseResult.of(ecs).records.get(0).ruleTime)
                .isEqualTo(Instant.parse("2026-11-02T08:00:00Z").toEpochMilli());
    }

    @Test
    void ecsDottedKeysAndLongUpnClaim() {
        String ecs = "{\"@timestamp\":\"2026-11-02T08:00:00Z\",\"event.dataset\":\"azure.platformlogs\","
                + "\"event.action\":\"VaultGet\",\"event.outcome\":\"success\","
                + "\"azure.platformlogs.identity.claim\":{\"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn\":\"carol@contoso.com\"},"
                + "\"azure\":{\"platformlogs.properties\":{\"id\":\"https://kv-one.vault.azure.net/\"}}}";
        AuditRecord a = ParseResult.of(ecs).records.get(0);
        assertThat(a.upn).isEqualTo("carol@contoso.com");
        assertThat(a.objectId).isEqualTo("https://kv-one.vault.azure.net/");
        assertThat(a.operation).isEqualTo("VaultGet");
        assertThat(a.outcomeSuccess).isTrue();
    }

    @Test
    void ecsOfAnotherDatasetIsIgnored() {
        ParseResult r = ParseResult.of(
                "{\"@timestamp\":\"2026-11-02T08:00:00Z\",\"event\":{\"dataset\":\"azure.activitylogs\"}}");
        assertThat(r.records).isEmpty();
        assertThat(r.ignored).isEqualTo(1);
    }

    @Test
    void fieldOfTheWrongTypeIsADeadLetterAndSparesItsNeighbours() {
        String badUpn = record("\"2026-11-02T08:14:03Z\"", "42", "\"https://kv-one.vault.azure.net/secrets/a\"");
        String badId = record("\"2026-11-02T08:14:03Z\"", "\"bob@contoso.com\"", "{\"nested\":true}");
        ParseResult r = ParseResult.of("{\"records\":[" + badUpn + "," + GOOD + "," + badId + ",\"just a string\"]}");
        assertThat(r.records).extracting(a -> a.upn).containsExactly("alice@contoso.com");
        assertThat(r.deadLetters)
                .extracting(d -> d.reason + "@" + d.recordIndex)
                .containsExactly("wrong_field_type@0", "wrong_field_type@2", "record_not_an_object@3");
        assertThat(r.deadLetters.get(0).detail).isEqualTo("identity.claim.upn: expected a string but found number");
        assertThat(r.deadLetters.get(0).original).as("the record's own text").contains("\"upn\":42");
    }

    @Test
    void identityThatIsNotAnObjectIsADeadLetter() {
        String rec = GOOD.replace("\"identity\":{\"claim\":{\"upn\":\"alice@contoso.com\"}}", "\"identity\":\"alice\"");
        ParseResult r = ParseResult.of(rec);
        assertThat(r.deadLetters)
                .singleElement()
                .satisfies(d -> assertThat(d.detail).startsWith("identity: expected an object"));
    }

    @Test
    void httpStatusAsDigitsIsAccepted() {
        ParseResult r = ParseResult.of(GOOD.replace("\"httpStatusCode\":200", "\"httpStatusCode\":\"404\""));
        assertThat(r.records.get(0).httpStatusCode).isEqualTo(404);
    }

    @Test
    void httpStatusAsAWholeFloatingPointNumberIsAccepted() {
        // Elasticsearch indexes 403.0 into the integration's long field (coercion), and Elastic's rule counts the
        // record: as a dead letter it would lose a read, and the history with it.
        ParseResult r = ParseResult.of(GOOD.replace("\"httpStatusCode\":200", "\"httpStatusCode\":403.0"));
        assertThat(r.deadLetters).as("no dead letter for 403.0").isEmpty();
        assertThat(r.records.get(0).httpStatusCode).isEqualTo(403);
        ParseResult fraction = ParseResult.of(GOOD.replace("\"httpStatusCode\":200", "\"httpStatusCode\":403.5"));
        assertThat(fraction.deadLetters)
                .as("403.5 is no status")
                .singleElement()
                .satisfies(d -> assertThat(d.detail).contains("HTTP status code"));
    }

    @Test
    void missingTimeIsADeadLetter() {
        ParseResult r = ParseResult.of(GOOD.replace("\"time\":\"2026-11-02T08:14:03.1234567Z\",", ""));
        assertThat(r.deadLetters)
                .singleElement()
                .satisfies(d -> assertThat(d.reason).isEqualTo("bad_time"));
    }

    @Test
    void timeWithoutZoneIsReadAsUtcAsElasticDoes() {
        ParseResult r = ParseResult.of(GOOD.replace("2026-11-02T08:14:03.1234567Z", "2026-11-02T08:14:03"));
        assertThat(r.deadLetters)
                .as("Elastic's Azure pipeline reads a zoneless time as UTC")
                .isEmpty();
        assertThat(r.records.get(0).ruleTime)
                .isEqualTo(Instant.parse("2026-11-02T08:14:03Z").toEpochMilli());
    }

    @Test
    void usTimeFormsAreReadAsElasticDoes() {
        for (String[] c : new String[][] {
            {"11/2/2026 8:14:03 AM", "2026-11-02T08:14:03Z"}, {"11/02/2026 08:14:03 pm", "2026-11-02T20:14:03Z"},
            {"11/2/2026 9:14:03 AM +01:00", "2026-11-02T08:14:03Z"}, {"11/2/2026 20:14:03", "2026-11-02T20:14:03Z"}
        }) {
            ParseResult r = ParseResult.of(GOOD.replace("2026-11-02T08:14:03.1234567Z", c[0]));
            assertThat(r.deadLetters).as(c[0]).isEmpty();
            assertThat(r.records.get(0).originalTime).as(c[0]).isEqualTo(c[1]);
        }
    }

    @Test
    void timeNoFormReadsIsStillADeadLetter() {
        for (String bad : new String[] {"2026-11-02", "13/2/2026 8:14:03 AM", "11/2/2026 13:14:03 PM", "yesterday"}) {
            ParseResult r = ParseResult.of(GOOD.replace("2026-11-02T08:14:03.1234567Z", bad));
            assertThat(r.deadLetters)
                    .as(bad)
                    .singleElement()
                    .satisfies(d -> assertThat(d.reason).isEqualTo("bad_time"));
        }
    }

    @Test
    void offsetTimesAreAccepted() {
        ParseResult r = ParseResult.of(GOOD.replace("2026-11-02T08:14:03.1234567Z", "2026-11-02T09:14:03+01:00"));
        assertThat(r.records.get(0).ruleTime)
                .isEqualTo(Instant.parse("2026-11-02T08:14:03Z").toEpochMilli());
    }

    @Test
    void tooLargeMessageIsADeadLetterWithTruncatedOriginal() {
        String big = "{\"records\":[" + GOOD + "," + GOOD + "]}";
        ParseResult r = ParseResult.of(new EnvelopeParser(big.length() - 1, 50), big, 1L);
        assertThat(r.records).isEmpty();
        assertThat(r.deadLetters).singleElement().satisfies(d -> {
            assertThat(d.reason).isEqualTo("message_too_large");
            assertThat(d.original).hasSize(50).isEqualTo(big.substring(0, 50));
            assertThat(d.truncated).isTrue();
            assertThat(d.originalLength).isEqualTo(big.length());
        });
    }

    @Test
    void trailingGarbageAndNonObjectsAreDeadLetters() {
        assertThat(ParseResult.of(GOOD + " trailing").deadLetters)
                .extracting(d -> d.reason)
                .containsExactly("not_json");
        assertThat(ParseResult.of("[1,2]").deadLetters)
                .extracting(d -> d.reason)
                .containsExactly("not_an_object");
        assertThat(ParseResult.of("\"text\"").deadLetters)
                .extracting(d -> d.reason)
                .containsExactly("not_an_object");
    }

    @Test
    void blankLinesAreNotMessages() {
        ParseResult r = ParseResult.of("   ");
        assertThat(r.records).isEmpty();
        assertThat(r.deadLetters).isEmpty();
    }

    @Test
    void emptyEnvelopeYieldsNothing() {
        ParseResult r = ParseResult.of("{\"records\":[]}");
        assertThat(r.records).isEmpty();
        assertThat(r.deadLetters).isEmpty();
    }

    @Test
    void resourceIdIsMatchedInAnyCase() {
        ParseResult r = ParseResult.of(GOOD.replace(KV, KV.toLowerCase()));
        assertThat(r.records).hasSize(1);
        assertThat(r.records.get(0).vaultName).isEqualTo("kv-one");
    }

    /** An upper-cased ß is two letters: an index found in an upper-cased copy would cut the name short. */
    @Test
    void vaultNameIsRightWhateverCharactersComeBeforeIt() {
        assertThat(AzureRecordReader.vaultName(
                        "/SUBSCRIPTIONS/1/RESOURCEGROUPS/STRAßE-ßß/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV-ONE"))
                .isEqualTo("KV-ONE");
        assertThat(AzureRecordReader.vaultName(
                        "/subscriptions/1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv" + "/secrets/s"))
                .as("a deeper id")
                .isEqualTo("kv");
        assertThat(AzureRecordReader.vaultName("/subscriptions/1/providers/Microsoft.Web/sites/x"))
                .isNull();
        assertThat(AzureRecordReader.vaultName("/providers/Microsoft.KeyVault/vaults/"))
                .isEmpty();
        ParseResult r = ParseResult.of(GOOD.replace("/RESOURCEGROUPS/", "/RESOURCEGROUPS/STRAßE-"));
        assertThat(r.records).as("a record whose resource group has an ß").hasSize(1);
        assertThat(r.records.get(0).vaultName).isEqualTo("KV-ONE");
    }

    @Test
    void originIdentifiesTheRecordInsideItsMessage() {
        ParseResult r = ParseResult.of("{\"records\":[" + GOOD + "," + GOOD + "]}");
        assertThat(r.records).extracting(a -> a.origin).containsExactly("test#0", "test#1");
    }
}
