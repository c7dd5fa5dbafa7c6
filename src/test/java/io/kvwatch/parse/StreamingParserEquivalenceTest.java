package io.kvwatch.parse;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvwatch.model.RawMessage;
import io.kvwatch.testing.AuditStreamGenerator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The streaming fast path must give exactly what the tree path gives: the same records with the same fields, the same
 * dead letters (reason, detail, index, original text) and the same ignored records, in the same order. Checked on
 * the shapes file, the bundled sample, a generated stream, and thousands of mutations of them (fields of other types,
 * repeated fields, cut text, odd times).
 */
class StreamingParserEquivalenceTest {

    private static final EnvelopeParser STREAMING = new EnvelopeParser(4 << 20, 16384, true);
    private static final EnvelopeParser TREE = new EnvelopeParser(4 << 20, 16384, false);

    @Test
    void sameResultsOnEveryShapeAndOnGeneratedTraffic() throws IOException {
        List<String> messages = corpus();
        for (String m : messages) {
            assertSame(m, 1_790_000_000_000L);
            assertSame(m, RawMessage.NO_TIMESTAMP);
        }
    }

    @Test
    void sameResultsOnMutatedMessages() throws IOException {
        List<String> messages = corpus();
        Random random = new Random(11);
        for (int i = 0; i < 4000; i++) {
            String mutated = mutate(messages, random);
            assertSame(mutated, random.nextBoolean() ? 1_790_000_000_000L : RawMessage.NO_TIMESTAMP);
        }
    }

    private static final String[] REPLACEMENTS = {
        "42",
        "null",
        "true",
        "{}",
        "[]",
        "\"\"",
        "\" \"",
        "\"2026-02-30T00:00:00Z\"",
        "\"2026-11-02T08:14:03.1234567890Z\"",
        "\"2026-11-02T08:14:03.Z\"",
        "\"2026-11-02T24:00:00Z\"",
        "\"2026-11-02t08:14:03Z\"",
        "\"0999-11-02T08:14:03Z\"",
        "\"2026-11-02T08:14:60Z\"",
        "\"404\"",
        "3000000000",
        "-1",
        "2.5",
        "\"AUDITEVENT\"",
        "{\"upn\":\"x@y\"}",
        "\"11/2/2026 8:14:03 AM\"",
        "\"2026-11-02T08:14:03.1234567\"",
        "\"11/2/2026 9:14:03 PM +01:00\"",
        "\"<Redacted>\"",
        "\"[2001:db8::7]:443\"",
        "\"198.51.100.7:50432\"",
        "\"{\\\"id\\\":\\\"https://kv.vault.azure.net/secrets/s\\\"}\"",
        "\"/SUBSCRIPTIONS/S/RESOURCEGROUPS/G/PROVIDERS/MICROSOFT.KEYVAULT/MANAGEDHSMS/HSM\""
    };

    /** One of the corpus's messages with a random change: a value of another type, a repeated field, cut text... */
    static String mutate(List<String> messages, Random random) {
        String m = messages.get(random.nextInt(messages.size()));
        return switch (random.nextInt(5)) {
            case 4 ->
                m.replaceFirst(
                        "\"resourceId\"",
                        random.nextBoolean() ? "\"ResourceId\"" : "\"ResourceId\":null,\"resourceId\"");
            case 0 -> replaceAValue(m, REPLACEMENTS[random.nextInt(REPLACEMENTS.length)], random);
            case 1 -> m.substring(0, random.nextInt(m.length() + 1));
            case 2 -> repeatAField(m, random);
            default -> m + (random.nextBoolean() ? " " : " x");
        };
    }

    @Test
    void bothPathsTellEcsFromRawByTheSameKeys() throws IOException {
        String raw = corpus().get(0);
        long t = 1_790_000_000_000L;
        List<String> asRaw = describe(TREE, raw, t);
        assertThat(asRaw)
                .as("the first shape is raw records")
                .isNotEmpty()
                .allMatch(line -> line.startsWith("record "));
        for (String key : EcsDocumentReader.MARKER_KEYS) {
            String marked = raw.replace("\"category\": ", "\"" + key + "\": null, \"category\": ");
            assertSame(marked, t);
            assertThat(describe(TREE, marked, t))
                    .as("a raw record with the key %s is read as ECS (no dataset: ignored)", key)
                    .isNotEmpty()
                    .allMatch(line -> line.equals("ignored"));
            for (String nearMiss :
                    List.of(key.toUpperCase(Locale.ROOT), key + "_", "azure." + key, key.replace('.', '_'))) {
                if (EcsDocumentReader.MARKER_KEYS.contains(nearMiss)) {
                    continue;
                }
                String notMarked = raw.replace("\"category\": ", "\"" + nearMiss + "\": null, \"category\": ");
                assertSame(notMarked, t);
                assertThat(describe(TREE, notMarked, t))
                        .as("the key %s is no ECS marker", nearMiss)
                        .isEqualTo(asRaw);
            }
        }
        // Keys renamed at random, to marker keys and near misses, in every shape (ECS documents lose their markers).
        List<String> messages = corpus();
        List<String> names = new ArrayList<>(EcsDocumentReader.MARKER_KEYS);
        names.addAll(List.of("Event", "timestamp", "data_stream_dataset", "ecs.version", "category", "time"));
        Random random = new Random(13);
        for (int i = 0; i < 2000; i++) {
            assertSame(
                    renameAKey(
                            messages.get(random.nextInt(messages.size())),
                            names.get(random.nextInt(names.size())),
                            random),
                    t);
        }
    }

    /** Renames a randomly chosen {@code "key":} to {@code "name":}. */
    private static String renameAKey(String m, String name, Random random) {
        List<Integer> colons = new ArrayList<>();
        for (int i = m.indexOf("\":"); i >= 0; i = m.indexOf("\":", i + 1)) {
            colons.add(i);
        }
        if (colons.isEmpty()) {
            return m;
        }
        int end = colons.get(random.nextInt(colons.size()));
        int start = m.lastIndexOf('"', end - 1);
        return start < 0 ? m : m.substring(0, start + 1) + name + m.substring(end);
    }

    static List<String> corpus() throws IOException {
        List<String> messages = new ArrayList<>();
        for (String resource :
                List.of("/samples/keyvault-auditevent-shapes.ndjson", "/samples/keyvault-audit-sample.ndjson")) {
            try (InputStream in = StreamingParserEquivalenceTest.class.getResourceAsStream(resource)) {
                messages.addAll(new String(in.readAllBytes(), StandardCharsets.UTF_8)
                        .lines()
                        .toList());
            }
        }
        messages.addAll(AuditStreamGenerator.generate(new AuditStreamGenerator.Profile()
                        .days(3)
                        .readsPerDay(100)
                        .padRecords(true)
                        .maxRecordsPerEnvelope(5))
                .lines());
        return messages;
    }

    /** Replaces the value after a randomly chosen {@code "key":} with {@code replacement}. */
    private static String replaceAValue(String m, String replacement, Random random) {
        List<Integer> colons = new ArrayList<>();
        for (int i = m.indexOf("\":"); i >= 0; i = m.indexOf("\":", i + 1)) {
            colons.add(i + 2);
        }
        if (colons.isEmpty()) {
            return m;
        }
        int at = colons.get(random.nextInt(colons.size()));
        while (at < m.length() && m.charAt(at) == ' ') {
            at++;
        }
        int end = endOfValue(m, at);
        return end < 0 ? m : m.substring(0, at) + replacement + m.substring(end);
    }

    /** Writes a randomly chosen {@code "key":value} twice, with the second value changed. */
    private static String repeatAField(String m, Random random) {
        int key = m.indexOf("\"", random.nextInt(Math.max(1, m.length())));
        int colon = key < 0 ? -1 : m.indexOf("\":", key + 1);
        if (colon < 0
                || m.lastIndexOf('"', colon - 1) != key
                        && m.substring(key + 1, colon).contains("\"")) {
            return m;
        }
        int at = colon + 2;
        int end = endOfValue(m, at);
        if (end < 0) {
            return m;
        }
        String field = m.substring(key, end);
        return m.substring(0, end) + "," + field.substring(0, colon + 2 - key) + "\"other\"" + m.substring(end);
    }

    private static int endOfValue(String m, int at) {
        if (at >= m.length()) {
            return -1;
        }
        char c = m.charAt(at);
        if (c == '"') {
            for (int i = at + 1; i < m.length(); i++) {
                if (m.charAt(i) == '\\') {
                    i++;
                } else if (m.charAt(i) == '"') {
                    return i + 1;
                }
            }
            return -1;
        }
        if (c == '{' || c == '[') {
            int depth = 0;
            boolean inString = false;
            for (int i = at; i < m.length(); i++) {
                char x = m.charAt(i);
                if (inString) {
                    if (x == '\\') {
                        i++;
                    } else if (x == '"') {
                        inString = false;
                    }
                } else if (x == '"') {
                    inString = true;
                } else if (x == '{' || x == '[') {
                    depth++;
                } else if ((x == '}' || x == ']') && --depth == 0) {
                    return i + 1;
                }
            }
            return -1;
        }
        int i = at;
        while (i < m.length() && ",}]".indexOf(m.charAt(i)) < 0) {
            i++;
        }
        return i;
    }

    private static void assertSame(String message, long ingestTimestamp) {
        assertThat(describe(STREAMING, message, ingestTimestamp))
                .as(
                        "streaming and tree parse of %s",
                        message.length() > 300 ? message.substring(0, 300) + "..." : message)
                .isEqualTo(describe(TREE, message, ingestTimestamp));
    }

    private static List<String> describe(EnvelopeParser parser, String message, long ingestTimestamp) {
        return ParseOutcomes.describe(parser, new RawMessage(message, ingestTimestamp, "t"));
    }
}
