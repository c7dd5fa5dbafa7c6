package io.kvwatch.io;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.kvwatch.testing.AlertFields;
import io.kvwatch.testing.CollectingOutputs;
import io.kvwatch.testing.LoopbackMiniCluster;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.zip.GZIPOutputStream;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A directory of files through the whole job: a byte order mark costs nothing, invalid UTF-8 and a key given twice
 * are dead letters, hidden and underscore files are read, gzip files are read decompressed, and every origin names
 * the file and the line.
 */
class FileInputTest {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(LoopbackMiniCluster.withSlots(2));

    @TempDir
    static Path dir;

    static Path archive;
    static Path hour;
    static Path gzipped;
    static CollectingOutputs out;

    @BeforeAll
    static void runOverANestedDirectory() throws Exception {
        archive = dir.resolve("archive");
        hour = archive.resolve("resourceId=/SUBSCRIPTIONS/S/RESOURCEGROUPS/G/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV-ONE"
                + "/y=2026/m=11/d=02/h=08/m=00/PT1H.json");
        Files.createDirectories(hour.getParent());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.write(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}); // as PowerShell's Out-File writes it
        bytes.write(line(envelope(record("alice@contoso.com", "a"), record("bob@contoso.com", "b"))));
        String[] mangled = record("bad##upn@contoso.com", "c").split("##");
        bytes.write(mangled[0].getBytes(StandardCharsets.UTF_8));
        bytes.write(new byte[] {(byte) 0xFF, (byte) 0xFE}); // not UTF-8: "bad\xFF\xFEupn@contoso.com"
        bytes.write(line(mangled[1]));
        bytes.write(line(""));
        bytes.write(line("{\"records\":[" + record("carol@contoso.com", "d") + "],\"records\":[]}"));
        bytes.write(line("{\"records\":["
                + record("dave@contoso.com", "e").replace("\"category\"", "\"operationName\":\"VaultGet\",\"category\"")
                + "]}"));
        Files.write(hour, bytes.toByteArray());
        Files.write(archive.resolve("_underscore.ndjson"), line(record("erin@contoso.com", "f")));
        Files.write(archive.resolve(".hidden.ndjson"), line(record("frank@contoso.com", "g")));
        gzipped = hour.resolveSibling("PT1H.json.gz"); // an archive compressed before it was copied
        try (OutputStream gz = new GZIPOutputStream(Files.newOutputStream(gzipped))) {
            gz.write(line(record("gina@contoso.com", "h")));
            gz.write(line(envelope(record("hank@contoso.com", "i"))));
        }

        out = CollectingOutputs.runJob(archive, Map.of("parallelism", "2"), null);
    }

    @Test
    void aByteOrderMarkCostsNothing() {
        assertThat(upns())
                .as("both records of the first line, behind the mark, alert")
                .contains("alice@contoso.com", "bob@contoso.com");
        assertThat(deadLetters())
                .as("no not_json for the first line")
                .noneMatch(d -> d.get("origin").asText().endsWith(":1"));
    }

    @Test
    void invalidUtf8IsANotUtf8DeadLetterNotAnAlertForAMangledName() {
        assertThat(upns()).as("no alert for a name with replacement characters").noneMatch(u -> u.contains("\uFFFD"));
        assertThat(deadLetter(2).get("reason").asText()).isEqualTo("not_utf8");
    }

    @Test
    void aKeyGivenTwiceIsADuplicateKeyDeadLetter() {
        assertThat(upns())
                .as("neither the first records array nor a record with a field twice alerts")
                .doesNotContain("carol@contoso.com", "dave@contoso.com");
        assertThat(deadLetter(4).get("reason").asText())
                .as("a second records array")
                .isEqualTo("duplicate_key");
        assertThat(deadLetter(5).get("reason").asText())
                .as("operationName twice")
                .isEqualTo("duplicate_key");
    }

    @Test
    void hiddenAndUnderscoreFilesAreRead() {
        assertThat(upns())
                .as("files whose names start with _ or . are read, not skipped")
                .contains("erin@contoso.com", "frank@contoso.com");
        assertThat(origins())
                .as("a single record without envelope has no record index")
                .contains(
                        "file:" + archive.resolve("_underscore.ndjson") + ":1",
                        "file:" + archive.resolve(".hidden.ndjson") + ":1");
    }

    @Test
    void gzipFilesAreReadDecompressed() {
        assertThat(upns())
                .as("the records of a .gz file alert, as those of the plain file")
                .contains("gina@contoso.com", "hank@contoso.com");
        assertThat(origins())
                .as("origins name the .gz file and its decompressed lines")
                .contains("file:" + gzipped + ":1", "file:" + gzipped + ":2#0");
        assertThat(deadLetters())
                .as("no dead letter for the compressed bytes")
                .noneMatch(d -> d.get("origin").asText().startsWith("file:" + gzipped));
    }

    @Test
    void originsNameTheFileInsideTheDirectoryAndTheLine() {
        assertThat(origins())
                .as("file:PATH:LINE#RECORD of each alert")
                .contains("file:" + hour + ":1#0", "file:" + hour + ":1#1");
        assertThat(deadLetters())
                .as("dead letters: the file and line, no blank line counted away")
                .extracting(d -> d.get("origin").asText())
                .containsExactlyInAnyOrder("file:" + hour + ":2", "file:" + hour + ":4", "file:" + hour + ":5");
        assertThat(out.alerts()).as("nothing else alerts").hasSize(6);
    }

    private static List<String> upns() {
        return out.alerts().stream().map(AlertFields::asRead).map(r -> r.upn()).toList();
    }

    private static List<String> origins() {
        return out.alerts().stream()
                .map(a -> AlertFields.parse(a).get("kvwatch.origin").asText())
                .toList();
    }

    private static List<JsonNode> deadLetters() {
        return out.deadLetters().stream().map(AlertFields::parse).collect(Collectors.toList());
    }

    private static JsonNode deadLetter(int line) {
        List<JsonNode> at = deadLetters().stream()
                .filter(d -> d.get("origin").asText().equals("file:" + hour + ":" + line))
                .toList();
        assertThat(at)
                .as("one dead letter for line %d; all: %s", line, out.deadLetters())
                .hasSize(1);
        return at.get(0);
    }

    private static String envelope(String... records) {
        return "{\"records\":[" + String.join(",", records) + "]}";
    }

    private static String record(String upn, String object) {
        return "{\"time\":\"2026-11-02T08:14:03.1234567Z\",\"category\":\"AuditEvent\",\"resourceId\":\"/SUBSCRIPTIONS/S"
                + "/RESOURCEGROUPS/G/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV-ONE\",\"operationName\":\"SecretGet\","
                + "\"resultType\":\"Success\",\"identity\":{\"claim\":{\"upn\":\"" + upn
                + "\"}},\"properties\":{\"id\":"
                + "\"https://kv-one.vault.azure.net/secrets/" + object + "\",\"httpStatusCode\":200}}";
    }

    private static byte[] line(String text) {
        return (text + "\n").getBytes(StandardCharsets.UTF_8);
    }
}
