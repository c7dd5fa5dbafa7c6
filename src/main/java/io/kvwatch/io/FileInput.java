package io.kvwatch.io;

import io.kvwatch.model.RawMessage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.connector.file.src.reader.TextLineInputFormat;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * NDJSON files of Event Hubs messages, one message per line: a file or a directory of files, read once. Files carry
 * no ingest timestamp, so event time comes from each record's own time fields.
 */
public final class FileInput implements MessageInput {

    /** The sample bundled with the job, read when no input is given. */
    public static final String BUNDLED_SAMPLE = "/samples/keyvault-audit-sample.ndjson";

    private final String path;

    private FileInput(String path) {
        this.path = path;
    }

    /** Reads a file or directory through Flink's file source. */
    public static FileInput of(String path) {
        return new FileInput(path);
    }

    /** Reads the sample bundled in the job's classpath. */
    public static FileInput bundledSample() {
        return new FileInput(null);
    }

    @Override
    public DataStream<RawMessage> open(StreamExecutionEnvironment env) {
        if (path == null) {
            return env.fromData(readBundledSample(), TypeInformation.of(RawMessage.class))
                    .uid("bundled-sample-source").name("Bundled sample");
        }
        FileSource<String> source =
                FileSource.forRecordStreamFormat(new TextLineInputFormat(), new Path(path)).build();
        String origin = "file:" + path;
        return env.fromSource(source, WatermarkStrategy.noWatermarks(), "Files " + path)
                .uid("file-source")
                .map(line -> new RawMessage(line, RawMessage.NO_TIMESTAMP, origin))
                .uid("file-lines").name("Lines to messages");
    }

    @Override
    public boolean stampsIngestTime() {
        return false;
    }

    static List<RawMessage> readBundledSample() {
        List<RawMessage> messages = new ArrayList<>();
        try (InputStream in = FileInput.class.getResourceAsStream(BUNDLED_SAMPLE)) {
            if (in == null) {
                throw new IllegalStateException("The bundled sample " + BUNDLED_SAMPLE + " is missing from the jar");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            int n = 0;
            while ((line = reader.readLine()) != null) {
                n++;
                messages.add(new RawMessage(line, RawMessage.NO_TIMESTAMP, "sample:" + n));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return messages;
    }
}
