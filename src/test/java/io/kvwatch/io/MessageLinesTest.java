package io.kvwatch.io;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvwatch.model.RawMessage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.reader.BulkFormat;
import org.apache.flink.connector.file.src.util.CheckpointedPosition;
import org.apache.flink.connector.file.src.util.RecordAndPosition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** File lines decoded with the care of Kafka records, and the file format's positions that a restore resumes at. */
class MessageLinesTest {

    static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

    @TempDir
    Path dir;

    @Test
    void aByteOrderMarkIsDroppedAtTheStartOfTheFileAndOfAnyLine() throws IOException {
        List<RawMessage> lines = read(bytes(BOM, "{\"a\":1}\n", BOM, "{\"b\":2}\n"), 1 << 20);
        assertThat(lines)
                .extracting(m -> m.payload)
                .as("no U+FEFF before the JSON")
                .containsExactly("{\"a\":1}", "{\"b\":2}");
        assertThat(lines)
                .extracting(m -> m.sizeBytes)
                .as("sizes without the mark")
                .containsExactly(7, 7);
        assertThat(lines).noneMatch(m -> m.notUtf8);
    }

    @Test
    void invalidUtf8IsMarkedValidUtf8IsNot() throws IOException {
        List<RawMessage> lines = read(
                bytes(
                        "{\"upn\":\"bad",
                        new byte[] {(byte) 0xFF, (byte) 0xFE},
                        "upn\"}\n",
                        "{\"upn\":\"zo\u00eb@contoso.com\"}\n"),
                1 << 20);
        assertThat(lines.get(0).notUtf8)
                .as("invalid bytes are marked, for a not_utf8 dead letter")
                .isTrue();
        assertThat(lines.get(0).payload).as("shown with replacement characters").contains("bad\uFFFD\uFFFDupn");
        assertThat(lines.get(1).notUtf8).as("a valid multi-byte character").isFalse();
        assertThat(lines.get(1).payload).contains("zo\u00eb");
    }

    @Test
    void crLfLineEndsBlankLinesAndAMissingFinalNewline() throws IOException {
        MessageLines lines = new MessageLines(new ByteArrayInputStream(bytes("a\r\n\r\n\nb\rc\nlast")), 1 << 20);
        List<String> seen = new ArrayList<>();
        while (lines.next()) {
            seen.add(lines.lineNumber() + ":" + (lines.isEmpty() ? "" : lines.message("x").payload));
        }
        assertThat(seen)
                .as("numbers count blank lines; only \\r before \\n is a line end's")
                .containsExactly("1:a", "2:", "3:", "4:b\rc", "5:last");
    }

    @Test
    void anOversizedLineKeepsItsSizeButOnlyItsStart() throws IOException {
        String huge = "x".repeat(300_000); // over several read buffers
        List<RawMessage> lines = read(bytes(huge, "\n{\"after\":1}\n"), 1000);
        assertThat(lines.get(0).sizeBytes)
                .as("the true size, for message_too_large")
                .isEqualTo(300_000);
        assertThat(lines.get(0).payload.length()).as("only the start is kept").isLessThanOrEqualTo(1003);
        assertThat(lines.get(1).payload).as("the next line is whole").isEqualTo("{\"after\":1}");
    }

    @Test
    void aRestoredReaderResumesAfterTheLastLineCheckpointed() throws IOException {
        StringBuilder text = new StringBuilder();
        for (int i = 1; i <= 700; i++) {
            text.append(i % 7 == 0 ? "" : "{\"n\":" + i + "}").append('\n');
        }
        Path file = dir.resolve("in.ndjson");
        Files.writeString(file, text);
        long size = Files.size(file);
        FileSourceSplit split =
                new FileSourceSplit("0", new org.apache.flink.core.fs.Path(file.toUri()), 0, size, 0, size);
        MessageFileFormat format = new MessageFileFormat(1 << 20);

        List<String> all = new ArrayList<>();
        List<Long> positions = new ArrayList<>();
        drain(format.createReader(new Configuration(), split), all, positions);
        assertThat(all)
                .as("every non-blank line, named by file and line")
                .hasSize(600)
                .first()
                .isEqualTo("file:" + file + ":1 {\"n\":1}");

        for (int k : new int[] {0, 255, 256, 300, 599}) {
            List<String> rest = new ArrayList<>();
            FileSourceSplit restored = split.updateWithCheckpointedPosition(
                    new CheckpointedPosition(CheckpointedPosition.NO_OFFSET, positions.get(k)));
            drain(format.restoreReader(new Configuration(), restored), rest, new ArrayList<>());
            assertThat(rest)
                    .as("resumed after message %d: nothing twice, nothing lost", k)
                    .isEqualTo(all.subList(k + 1, all.size()));
        }
    }

    private static void drain(BulkFormat.Reader<RawMessage> reader, List<String> out, List<Long> positions)
            throws IOException {
        try (reader) {
            for (BulkFormat.RecordIterator<RawMessage> batch = reader.readBatch();
                    batch != null;
                    batch = reader.readBatch()) {
                for (RecordAndPosition<RawMessage> r = batch.next(); r != null; r = batch.next()) {
                    assertThat(r.getOffset()).isEqualTo(CheckpointedPosition.NO_OFFSET);
                    out.add(r.getRecord().origin + " " + r.getRecord().payload);
                    positions.add(r.getRecordSkipCount());
                }
                batch.releaseBatch();
            }
        }
    }

    private static List<RawMessage> read(byte[] input, long maxMessageBytes) throws IOException {
        MessageLines lines = new MessageLines(new ByteArrayInputStream(input), maxMessageBytes);
        List<RawMessage> messages = new ArrayList<>();
        while (lines.next()) {
            messages.add(lines.message("test:" + lines.lineNumber()));
        }
        return messages;
    }

    private static byte[] bytes(Object... parts) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object part : parts) {
            out.write(part instanceof byte[] b ? b : ((String) part).getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }
}
