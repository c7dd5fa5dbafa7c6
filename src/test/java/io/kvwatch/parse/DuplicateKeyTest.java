package io.kvwatch.parse;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvwatch.model.RawMessage;
import org.junit.jupiter.api.Test;

/**
 * A key given twice in a message is refused as {@code duplicate_key}, on the streaming and the tree path alike (for
 * file and Kafka input: both reach this parser), as Elasticsearch refuses such a document; before, the last value
 * won, and a second {@code records} array made the first array's records vanish without a trace.
 */
class DuplicateKeyTest {

    private static final EnvelopeParser STREAMING = new EnvelopeParser(4 << 20, 16384, true);
    private static final EnvelopeParser TREE = new EnvelopeParser(4 << 20, 16384, false);

    static final String GOOD = EnvelopeParserTest.GOOD;
    static final String OTHER = EnvelopeParserTest.record(
            "\"2026-11-02T09:00:00Z\"", "\"bob@contoso.com\"", "\"https://kv-one.vault.azure.net/secrets/b\"");

    @Test
    void aSecondRecordsArrayIsADeadLetterNotASilentLoss() {
        assertDuplicateKey("{\"records\":[" + GOOD + "],\"records\":[" + OTHER + "]}", "records");
    }

    @Test
    void aFieldTwiceInARecordIsADeadLetter() {
        String twice = GOOD.replace(
                "\"operationName\":\"SecretGet\",", "\"operationName\":\"SecretGet\",\"operationName\":\"VaultGet\",");
        assertDuplicateKey("{\"records\":[" + OTHER + "," + twice + "]}", "operationName");
    }

    @Test
    void aSkippedFieldTwiceDeepInsideARecordIsADeadLetterToo() {
        String twice = GOOD.replace("\"httpStatusCode\":200}", "\"httpStatusCode\":200,\"pad\":{\"x\":1,\"x\":2}}");
        assertDuplicateKey("{\"records\":[" + twice + "]}", "x");
    }

    @Test
    void aSingleRecordWithAFieldTwiceIsADeadLetter() {
        String twice = GOOD.replace(
                "\"upn\":\"alice@contoso.com\"}", "\"upn\":\"alice@contoso.com\",\"upn\":\"mallory@contoso.com\"}");
        assertDuplicateKey(twice, "upn");
    }

    @Test
    void anEcsFieldGivenNestedAndDottedIsADeadLetter() {
        // Elasticsearch indexes both values, and Elastic's new-terms rule sees both UPNs: keeping the first one found
        // would silently drop mallory's read.
        String ecs = "{\"@timestamp\":\"2026-11-02T08:14:03.123Z\",\"event\":{\"dataset\":\"azure.platformlogs\","
                + "\"action\":\"SecretGet\",\"outcome\":\"success\"},\"azure\":{\"platformlogs\":{\"identity\":"
                + "{\"claim\":{\"upn\":\"alice@contoso.com\"}},\"properties\":{\"id\":\"https://kv-one.vault.azure.net/"
                + "secrets/a\"}}},\"azure.platformlogs.identity.claim.upn\":\"mallory@contoso.com\"}";
        assertDuplicateKey(ecs, "azure.platformlogs.identity.claim.upn");
        String split = ecs.replace(
                "\"azure.platformlogs.identity.claim.upn\":\"mallory@contoso.com\"",
                "\"azure.platformlogs.identity.claim.appid\":\"app-1\"");
        ParseResult r = ParseResult.of(split);
        assertThat(r.deadLetters)
                .as("one object split between nested and dotted keys is fine")
                .isEmpty();
        assertThat(r.records)
                .singleElement()
                .satisfies(rec -> assertThat(rec.appId).isEqualTo("app-1"));
    }

    @Test
    void malformedJsonIsStillNotJson() {
        for (EnvelopeParser parser : new EnvelopeParser[] {STREAMING, TREE}) {
            ParseResult r =
                    ParseResult.of(parser, new RawMessage("{\"records\":[" + GOOD, RawMessage.NO_TIMESTAMP, "t"));
            assertThat(r.deadLetters)
                    .as("a cut message")
                    .singleElement()
                    .satisfies(d -> assertThat(d.reason).isEqualTo("not_json"));
        }
    }

    private static void assertDuplicateKey(String message, String key) {
        for (EnvelopeParser parser : new EnvelopeParser[] {STREAMING, TREE}) {
            ParseResult r =
                    ParseResult.of(parser, new RawMessage(message, RawMessage.NO_TIMESTAMP, "file:/in.ndjson:3"));
            assertThat(r.records)
                    .as("no record of a message with a key twice is counted")
                    .isEmpty();
            assertThat(r.deadLetters)
                    .as("one dead letter for the message")
                    .singleElement()
                    .satisfies(d -> {
                        assertThat(d.reason).isEqualTo(DeadLetterReason.DUPLICATE_KEY.code());
                        assertThat(d.detail).as("names the key").contains("'" + key + "'");
                        assertThat(d.origin).isEqualTo("file:/in.ndjson:3");
                        assertThat(d.original).as("the whole message is kept").isEqualTo(message);
                    });
        }
    }
}
