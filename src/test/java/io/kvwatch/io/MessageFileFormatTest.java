package io.kvwatch.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvwatch.model.RawMessage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.reader.BulkFormat;
import org.apache.flink.connector.file.src.util.RecordAndPosition;
import org.apache.flink.core.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compressed files, read by the format itself: whole ones decompressed, a damaged one named in its failure. */
class MessageFileFormatTest {

    @TempDir
    java.nio.file.Path dir;

    @Test
    void aGzipFileIsReadLineByLine() throws Exception {
        java.nio.file.Path file = Files.write(dir.resolve("PT1H.json.gz"), gzip("{\"a\":1}\n\n{\"b\":2}\n"));
        List<String> origins = new ArrayList<>();
        BulkFormat.Reader<RawMessage> reader = reader(file);
        for (BulkFormat.RecordIterator<RawMessage> batch; (batch = reader.readBatch()) != null; ) {
            for (RecordAndPosition<RawMessage> r; (r = batch.next()) != null; ) {
                origins.add(r.getRecord().origin);
            }
        }
        reader.close();
        assertThat(origins)
                .as("two messages, line numbers of the decompressed text")
                .containsExactly("file:" + file + ":1", "file:" + file + ":3");
    }

    @Test
    void aTruncatedGzipFileFailsNamingTheFile() throws Exception {
        byte[] whole = gzip("{\"a\":1}\n".repeat(10_000));
        java.nio.file.Path file = Files.write(dir.resolve("PT1H.json.gz"), Arrays.copyOf(whole, whole.length / 2));
        BulkFormat.Reader<RawMessage> reader = reader(file);
        assertThatThrownBy(() -> {
                    while (reader.readBatch() != null) {
                        // read to the damage
                    }
                })
                .as("the failure's own message names the file (a local run shows only the deepest cause)")
                .isInstanceOf(IOException.class)
                .hasMessageContaining("file:" + file + ":")
                .hasMessageContaining("Unexpected end of ZLIB input stream")
                .hasNoCause();
        reader.close();
    }

    private static BulkFormat.Reader<RawMessage> reader(java.nio.file.Path file) throws IOException {
        long length = Files.size(file);
        FileSourceSplit split = new FileSourceSplit("0", new Path(file.toUri()), 0, length, 0, length);
        return new MessageFileFormat(4 << 20).createReader(new Configuration(), split);
    }

    private static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return bytes.toByteArray();
    }
}
