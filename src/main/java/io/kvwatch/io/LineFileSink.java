package io.kvwatch.io;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * Writes each element's {@code toString()} as one line of a single local file: what a user running the job locally
 * expects from {@code --output alerts.ndjson}. Run it with parallelism 1.
 *
 * <p>Lines are flushed at every checkpoint and at the end of input. A fresh start truncates the file; a restart from
 * a checkpoint appends, so a failure can repeat the lines written since the last checkpoint (at-least-once). For
 * exactly-once output use a directory (Flink's file sink) or Kafka.
 */
public final class LineFileSink<T> implements Sink<T> {

    private static final long serialVersionUID = 1L;

    private final String file;

    public LineFileSink(String file) {
        this.file = file;
    }

    @Override
    public SinkWriter<T> createWriter(WriterInitContext context) throws IOException {
        Path path = Path.of(file).toAbsolutePath();
        if (path.getParent() != null) {
            Files.createDirectories(path.getParent());
        }
        boolean restored = context.getRestoredCheckpointId().isPresent();
        BufferedWriter writer = Files.newBufferedWriter(
                path,
                StandardCharsets.UTF_8,
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                restored ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
        return new SinkWriter<>() {
            @Override
            public void write(T element, Context ctx) throws IOException {
                writer.write(element.toString());
                writer.write('\n');
            }

            @Override
            public void flush(boolean endOfInput) throws IOException {
                writer.flush();
            }

            @Override
            public void close() throws IOException {
                writer.close();
            }
        };
    }
}
