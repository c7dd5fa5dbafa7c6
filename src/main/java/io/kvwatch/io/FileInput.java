package io.kvwatch.io;

import io.kvwatch.config.JobOptions;
import io.kvwatch.model.RawMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.connector.file.src.enumerate.NonSplittingRecursiveEnumerator;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * NDJSON files of Event Hubs messages, one message per line: a file or a directory of files (at any depth, as Azure's
 * storage archive nests them: {@code y=/m=/d=/h=/m=/PT1H.json}), read once. Files carry no ingest timestamp, so event
 * time comes from each record's own time fields. Lines are read as bytes and decoded as Kafka records are (see
 * {@link MessageLines}); a message's origin is {@code file:PATH:LINE}.
 *
 * <p>Every regular file under the directory is read, including those whose names start with {@code .} or {@code _},
 * which Flink's file source skips by default: a file the user put there must not vanish silently. One that holds no
 * messages (a {@code _SUCCESS} marker, an editor's swap file) shows up as dead letters, not as missing alerts.
 */
public final class FileInput implements MessageInput {

    /** The sample bundled with the job, read when no input is given. */
    public static final String BUNDLED_SAMPLE = "/samples/keyvault-audit-sample.ndjson";

    /** The parser's default message size limit, for inputs built without settings (tests). */
    private static final long DEFAULT_MAX_MESSAGE_BYTES =
            JobOptions.MAX_MESSAGE_SIZE.defaultValue().getBytes();

    private final String path;
    private final long maxMessageBytes;

    private FileInput(String path, long maxMessageBytes) {
        this.path = path;
        this.maxMessageBytes = maxMessageBytes;
    }

    /** Reads a file or directory through Flink's file source. */
    public static FileInput of(String path) {
        return of(path, DEFAULT_MAX_MESSAGE_BYTES);
    }

    /** @param maxMessageBytes the parser's limit: of a longer line only enough for its dead letter is kept */
    public static FileInput of(String path, long maxMessageBytes) {
        return new FileInput(path, maxMessageBytes);
    }

    /** Reads the sample bundled in the job's classpath. */
    public static FileInput bundledSample() {
        return new FileInput(null, DEFAULT_MAX_MESSAGE_BYTES);
    }

    @Override
    public DataStream<RawMessage> open(StreamExecutionEnvironment env) {
        if (path == null) {
            return env.fromData(readBundledSample(), TypeInformation.of(RawMessage.class))
                    .uid("bundled-sample-source")
                    .name("Bundled sample");
        }
        FileSource<RawMessage> source = FileSource.forBulkFileFormat(
                        new MessageFileFormat(maxMessageBytes), new Path(path))
                .setFileEnumerator(() -> new NonSplittingRecursiveEnumerator(file -> true))
                .build();
        return env.fromSource(source, WatermarkStrategy.noWatermarks(), "Files " + path)
                .uid("file-source");
    }

    @Override
    public boolean stampsIngestTime() {
        return false;
    }

    @Override
    public boolean bounded() {
        return true;
    }

    static List<RawMessage> readBundledSample() {
        List<RawMessage> messages = new ArrayList<>();
        try (InputStream in = FileInput.class.getResourceAsStream(BUNDLED_SAMPLE)) {
            if (in == null) {
                throw new IllegalStateException("The bundled sample " + BUNDLED_SAMPLE + " is missing from the jar");
            }
            MessageLines lines = new MessageLines(in, DEFAULT_MAX_MESSAGE_BYTES);
            while (lines.next()) {
                messages.add(lines.message("sample:" + lines.lineNumber()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return messages;
    }
}
