package io.kvwatch.parse;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvwatch.model.RawMessage;
import io.kvwatch.model.Utf8;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A Kafka value parsed from its bytes must give exactly what it gave when it was first decoded to a {@code String}
 * (strictly, invalid UTF-8 marked and shown with U+FFFD): the same records, ignored records and dead letters (reason,
 * detail, index, original text, origin), in the same order. Checked on every shape, the bundled sample, generated
 * traffic, thousands of mutated messages, odd UTF-8 (byte order marks, multi-byte characters, invalid and overlong
 * sequences, encoded surrogates, other encodings, blank values) and random byte changes.
 */
class BytePathEquivalenceTest {

    private static final long ENQUEUED = 1_790_000_000_000L;
    private static final EnvelopeParser PARSER = new EnvelopeParser(4 << 20, 16384);
    private static final EnvelopeParser TREE = new EnvelopeParser(4 << 20, 16384, false);
    /** Small enough that some corpus messages are too large: by bytes, never by characters. */
    private static final EnvelopeParser SMALL = new EnvelopeParser(2000, 300);

    @Test
    void sameResultsOnEveryShapeAndOnGeneratedTraffic() throws IOException {
        int unread = 0;
        List<String> corpus = StreamingParserEquivalenceTest.corpus();
        for (String m : corpus) {
            byte[] value = m.getBytes(StandardCharsets.UTF_8);
            assertSame(PARSER, value, ENQUEUED);
            assertSame(PARSER, value, RawMessage.NO_TIMESTAMP);
            assertSame(SMALL, value, ENQUEUED);
            RawMessage message = RawMessage.ofBytes(value, ENQUEUED, "t");
            PARSER.parse(message, new ParseOutcomes());
            if (message.payload == null) {
                unread++;
            }
        }
        assertThat(unread)
                .as("envelopes are parsed from their bytes, without a String of the whole message")
                .isGreaterThan(corpus.size() / 2);
    }

    @Test
    void sameResultsOnMutatedMessages() throws IOException {
        List<String> corpus = StreamingParserEquivalenceTest.corpus();
        Random random = new Random(17);
        for (int i = 0; i < 4000; i++) {
            String mutated = StreamingParserEquivalenceTest.mutate(corpus, random);
            assertSame(
                    PARSER,
                    mutated.getBytes(StandardCharsets.UTF_8),
                    random.nextBoolean() ? ENQUEUED : RawMessage.NO_TIMESTAMP);
        }
    }

    @Test
    void sameResultsOnRandomByteChanges() throws IOException {
        List<String> corpus = StreamingParserEquivalenceTest.corpus();
        byte[][] odd = {
            {0},
            {(byte) 0x80},
            {(byte) 0xC3},
            {(byte) 0xC3, (byte) 0xB6},
            {(byte) 0xE2, (byte) 0x82},
            {(byte) 0xE2, (byte) 0x82, (byte) 0xAC},
            {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
            {(byte) 0xF0},
            {(byte) 0xF0, (byte) 0x9F, (byte) 0x98, (byte) 0x80},
            {(byte) 0xFF},
            {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF},
            {0x1C},
            {' '},
            {'"'},
            {'\\'},
            {'{'},
            {'}'},
            {','}
        };
        Random random = new Random(19);
        for (int i = 0; i < 3000; i++) {
            byte[] value = corpus.get(random.nextInt(corpus.size())).getBytes(StandardCharsets.UTF_8);
            byte[] change = odd[random.nextInt(odd.length)];
            int at = random.nextInt(Math.min(value.length, random.nextBoolean() ? 8 : value.length) + 1);
            int removed = random.nextBoolean() ? 0 : Math.min(value.length - at, 1 + random.nextInt(3));
            byte[] changed = new byte[value.length - removed + change.length];
            System.arraycopy(value, 0, changed, 0, at);
            System.arraycopy(change, 0, changed, at, change.length);
            System.arraycopy(value, at + removed, changed, at + change.length, value.length - at - removed);
            assertSame(PARSER, changed, ENQUEUED);
        }
    }

    @Test
    void sameResultsOnOddUtf8() throws IOException {
        String envelope = StreamingParserEquivalenceTest.corpus().get(0);
        String record =
                "{\"time\":\"2026-11-02T08:14:03Z\",\"category\":\"AuditEvent\",\"operationName\":\"SecretGet\","
                        + "\"resultType\":\"Success\",\"resourceId\":\"/SUBSCRIPTIONS/S/RESOURCEGROUPS/G/PROVIDERS/"
                        + "MICROSOFT.KEYVAULT/VAULTS/KV\",\"identity\":{\"claim\":{\"upn\":\"%s\"}},"
                        + "\"properties\":{\"id\":\"https://kv.vault.azure.net/secrets/%s\",\"note\":\"%s\"}}";
        List<byte[]> values = new ArrayList<>();
        for (String text : List.of(
                "zo\u00eb@contoso.com", "\u79d8\u5bc6", "\ud83d\ude00", "\\ud83d\\ude00", "\\ud800", "a\\u0000b")) {
            String one = "{\"records\":[" + record.formatted(text, text, text) + "]}";
            values.add(one.getBytes(StandardCharsets.UTF_8));
            values.add(
                    concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, one.getBytes(StandardCharsets.UTF_8)));
            values.add(("\n\t " + one + "\r\n").getBytes(StandardCharsets.UTF_8));
            values.add(("\u001c" + one).getBytes(StandardCharsets.UTF_8));
            values.add(("\u3000" + one).getBytes(StandardCharsets.UTF_8));
            values.add(record.formatted(text, text, text).getBytes(StandardCharsets.UTF_8));
            for (Charset other : List.of(
                    StandardCharsets.UTF_16,
                    StandardCharsets.UTF_16LE,
                    StandardCharsets.UTF_16BE,
                    Charset.forName("UTF-32"),
                    StandardCharsets.ISO_8859_1)) {
                values.add(one.getBytes(other));
            }
        }
        String upn = "\"upn\":\"";
        int at = envelope.indexOf(upn) + upn.length();
        byte[] head = envelope.substring(0, at).getBytes(StandardCharsets.UTF_8);
        byte[] tail = envelope.substring(at).getBytes(StandardCharsets.UTF_8);
        for (byte[] invalid : List.of(
                new byte[] {(byte) 0x80},
                new byte[] {(byte) 0xC0, (byte) 0xAF},
                new byte[] {(byte) 0xC1, (byte) 0xBF},
                new byte[] {(byte) 0xE0, (byte) 0x80, (byte) 0xAF},
                new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                new byte[] {(byte) 0xED, (byte) 0xBF, (byte) 0xBF},
                new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0xBD, (byte) 0xED, (byte) 0xB8, (byte) 0x80},
                new byte[] {(byte) 0xF0, (byte) 0x80, (byte) 0x80, (byte) 0x80},
                new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
                new byte[] {(byte) 0xF5, (byte) 0x80, (byte) 0x80, (byte) 0x80},
                new byte[] {(byte) 0xE2, (byte) 0x28, (byte) 0xA1},
                new byte[] {(byte) 0xFF, (byte) 0xFE},
                new byte[] {(byte) 0xEF, (byte) 0xBF, (byte) 0xBF}, // U+FFFF: a noncharacter, valid UTF-8
                new byte[] {(byte) 0xF4, (byte) 0x8F, (byte) 0xBF, (byte) 0xBF})) { // U+10FFFF: valid
            values.add(concat(head, invalid, tail));
            values.add(concat(envelope.getBytes(StandardCharsets.UTF_8), invalid)); // after the JSON
            values.add(concat(head, new byte[] {(byte) 0xE2, (byte) 0x82})); // cut inside a character
        }
        for (String blank : List.of("", " ", "\r\n", "\t\u000b\f\u001c\u001f", "\u3000", "\u00a0", "\u2028 ")) {
            values.add(blank.getBytes(StandardCharsets.UTF_8));
        }
        values.add(new byte[] {'{', 0, '}', 0});
        values.add(new byte[] {0, '{', '}'});
        for (byte[] value : values) {
            assertSame(PARSER, value, ENQUEUED);
            assertSame(SMALL, value, ENQUEUED);
        }
    }

    @Test
    void repeatedKeysAreFoundAtEveryDepthAndKeysOfSiblingObjectsAreNot() throws IOException {
        String envelope = StreamingParserEquivalenceTest.corpus().get(0);
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            many.append("\"k").append(i).append("\":").append(i).append(',');
        }
        List<String> repeated = List.of(
                "\"pad\":{\"a\":{\"b\":[{\"k\":1,\"k\":2}]}}",
                "\"pad\":[[{\"x\":{}}],{\"y\":null,\"y\":null}]",
                "\"big\":{" + many + "\"k50\":1}",
                "\"pad\":1,\"pad\":1",
                "\"identity\":{\"claim\":{\"x\":{\"a\":1,\"b\":2,\"a\":3}}},\"identity\":null");
        List<String> distinct = List.of(
                "\"pad\":{\"a\":{\"k\":1},\"b\":{\"k\":1}},\"k\":[{\"k\":1},{\"k\":{\"k\":1}}]",
                "\"big\":{" + many + "\"k100\":1},\"big2\":{" + many + "\"k100\":1}",
                "\"pad\":[{\"a\":1,\"b\":2},{\"b\":2,\"a\":1}]");
        for (String pad : repeated) {
            String m = envelope.replaceFirst("\"category\"", pad + ",\"category\"");
            assertThat(parse(m))
                    .as("a key given twice in %s", pad)
                    .singleElement()
                    .asString()
                    .contains("reason=duplicate_key");
            assertSame(PARSER, m.getBytes(StandardCharsets.UTF_8), ENQUEUED);
            String atTheEnd = m.substring(0, m.lastIndexOf('}')) + ",\"x\":{\"z\":1},\"x\":2}";
            assertThat(parse(atTheEnd))
                    .as("a key given twice in the envelope")
                    .singleElement()
                    .asString()
                    .contains("reason=duplicate_key");
        }
        List<String> plain = parse(envelope);
        assertThat(plain).as("the envelope's records").isNotEmpty().allMatch(line -> line.startsWith("record "));
        for (String pad : distinct) {
            String m = envelope.replaceFirst("\"category\"", pad + ",\"category\"");
            assertThat(parse(m)).as("the same keys in sibling objects: %s", pad).isEqualTo(plain);
            assertSame(PARSER, m.getBytes(StandardCharsets.UTF_8), ENQUEUED);
        }
    }

    private static List<String> parse(String m) {
        return describe(
                PARSER,
                RawMessage.ofBytes(m.getBytes(StandardCharsets.UTF_8), ENQUEUED, "insights-logs-auditevent-2@417"));
    }

    @Test
    void utf8VerdictIsTheJdkStrictDecoders() throws CharacterCodingException {
        Random random = new Random(23);
        int invalid = 0;
        for (int i = 0; i < 200_000; i++) {
            byte[] b = new byte[random.nextInt(random.nextBoolean() ? 24 : 64)];
            boolean mostlyAscii = random.nextBoolean();
            for (int k = 0; k < b.length; k++) {
                // Bytes around the boundaries that matter; or long ASCII runs (for the loops that take 16 and 8 bytes
                // at a time) with a few such bytes anywhere in them, a character cut or whole.
                b[k] = mostlyAscii && random.nextInt(12) > 0
                        ? (byte) random.nextInt(0x80)
                        : switch (random.nextInt(6)) {
                            case 0, 1 -> (byte) random.nextInt(0x80);
                            case 2 -> (byte) (0x80 + random.nextInt(0x40));
                            default -> (byte) (0xC0 + random.nextInt(0x40));
                        };
            }
            boolean strict = decodesStrictly(b);
            invalid += strict ? 0 : 1;
            assertThat(Utf8.isValid(b)).as("Utf8.isValid of %s", hex(b)).isEqualTo(strict);
        }
        for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
            byte[] b = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
            assertThat(Utf8.isValid(b)).as("U+%04X", cp).isEqualTo(decodesStrictly(b));
        }
        assertThat(invalid).as("the random bytes include invalid ones").isGreaterThan(1000);
    }

    private static boolean decodesStrictly(byte[] b) {
        try {
            strictUtf8().decode(ByteBuffer.wrap(b));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static CharsetDecoder strictUtf8() {
        return StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
    }

    /** The message as the Kafka source made it before: decoded to a String, invalid UTF-8 marked and replaced. */
    private static RawMessage decodedAsBefore(byte[] value, long ingestTimestamp) {
        RawMessage m = new RawMessage(null, ingestTimestamp, "insights-logs-auditevent-2@417");
        m.sizeBytes = value.length;
        try {
            m.payload = strictUtf8().decode(ByteBuffer.wrap(value)).toString();
        } catch (CharacterCodingException e) {
            m.payload = new String(value, StandardCharsets.UTF_8);
            m.notUtf8 = true;
        }
        return m;
    }

    private static void assertSame(EnvelopeParser parser, byte[] value, long ingestTimestamp) {
        RawMessage before = decodedAsBefore(value, ingestTimestamp);
        RawMessage bytes = RawMessage.ofBytes(value.clone(), ingestTimestamp, "insights-logs-auditevent-2@417");
        assertThat(bytes.notUtf8).as("not UTF-8: %s", hex(value)).isEqualTo(before.notUtf8);
        List<String> expected = describe(parser, before);
        assertThat(describe(parser, bytes))
                .as("parsed from bytes and from text: %s", hex(value))
                .isEqualTo(expected);
        if (parser == PARSER) {
            assertThat(describe(TREE, decodedAsBefore(value, ingestTimestamp)))
                    .as("the tree path on the text: %s", hex(value))
                    .isEqualTo(expected);
        }
    }

    private static List<String> describe(EnvelopeParser parser, RawMessage message) {
        return ParseOutcomes.describe(parser, message);
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    private static String hex(byte[] b) {
        String text = new String(b, StandardCharsets.UTF_8);
        return b.length + " bytes: " + (text.length() > 200 ? text.substring(0, 200) + "..." : text);
    }
}
