package io.kvwatch.io;

import io.kvwatch.model.RawMessage;
import java.io.IOException;
import java.net.URI;
import org.apache.flink.api.common.io.compression.InflaterInputStreamFactory;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.compression.StandardDeCompressors;
import org.apache.flink.connector.file.src.reader.BulkFormat;
import org.apache.flink.connector.file.src.util.CheckpointedPosition;
import org.apache.flink.connector.file.src.util.MutableRecordAndPosition;
import org.apache.flink.connector.file.src.util.RecordAndPosition;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.Path;

/**
 * NDJSON files for Flink's file source, one {@link RawMessage} per non-empty line, decoded by {@link MessageLines};
 * each message's origin is {@code file:PATH:LINE}, so that a dead letter names the file and line, also inside a
 * directory.
 *
 * <p>A bulk format rather than a stream format because only a bulk format's reader is told which file it reads.
 * Files are not split (a line's number needs every line before it). The checkpointed position is the number of
 * lines read ({@link CheckpointedPosition#NO_OFFSET} plus a count, as Flink's own text line format keeps it): a
 * restored reader reads the file again from its start and skips that many lines, so nothing is read twice or lost.
 */
final class MessageFileFormat implements BulkFormat<RawMessage, FileSourceSplit> {

    private static final long serialVersionUID = 1L;

    /** Lines per batch handed to the source: enough to amortise the hand-over, small enough to checkpoint promptly. */
    private static final int BATCH_LINES = 256;

    private final long maxMessageBytes;

    MessageFileFormat(long maxMessageBytes) {
        this.maxMessageBytes = maxMessageBytes;
    }

    @Override
    public Reader<RawMessage> createReader(Configuration config, FileSourceSplit split) throws IOException {
        return new LineReader(split, maxMessageBytes);
    }

    @Override
    public Reader<RawMessage> restoreReader(Configuration config, FileSourceSplit split) throws IOException {
        LineReader reader = new LineReader(split, maxMessageBytes);
        CheckpointedPosition position = split.getReaderPosition().orElse(null);
        if (position != null) {
            if (position.getOffset() != CheckpointedPosition.NO_OFFSET) {
                reader.close();
                throw new IOException("Cannot resume " + split.path() + " at byte offset " + position.getOffset()
                        + ": this format resumes by line count");
            }
            reader.skip(position.getRecordsAfterOffset());
        }
        return reader;
    }

    @Override
    public boolean isSplittable() {
        return false;
    }

    @Override
    public TypeInformation<RawMessage> getProducedType() {
        return TypeInformation.of(RawMessage.class);
    }

    /** How a file appears in an origin: its path for a local file, its URI otherwise. */
    static String displayPath(Path path) {
        URI uri = path.toUri();
        return uri.getScheme() == null || "file".equals(uri.getScheme()) ? uri.getPath() : uri.toString();
    }

    private static final class LineReader implements BulkFormat.Reader<RawMessage> {
        private final FSDataInputStream in;
        private final MessageLines lines;
        private final String origin;

        LineReader(FileSourceSplit split, long maxMessageBytes) throws IOException {
            this.in = split.path().getFileSystem().open(split.path());
            // As Flink's own file formats do: a file named *.gz, *.gzip, *.bz2, *.xz or *.deflate is read
            // decompressed, so that a compressed archive gives its records rather than a dead letter per line.
            InflaterInputStreamFactory<?> decompressor = StandardDeCompressors.getDecompressorForFileName(
                    split.path().getPath());
            this.lines = new MessageLines(decompressor == null ? in : decompressor.create(in), maxMessageBytes);
            this.origin = "file:" + displayPath(split.path()) + ":";
        }

        void skip(long count) throws IOException {
            while (lines.lineNumber() < count) {
                if (!lines.next()) {
                    throw new IOException(origin + " has fewer lines than the checkpoint had read (" + count
                            + "): the file changed since");
                }
            }
        }

        @Override
        public RecordIterator<RawMessage> readBatch() throws IOException {
            RawMessage[] messages = new RawMessage[BATCH_LINES];
            long[] lineNumbers = new long[BATCH_LINES];
            int n = 0;
            boolean more = true;
            try {
                while (n < BATCH_LINES && (more = lines.next())) {
                    if (lines.isEmpty()) {
                        continue; // a blank line is no message; its number still counts
                    }
                    lineNumbers[n] = lines.lineNumber();
                    messages[n] = lines.message(origin + lines.lineNumber());
                    n++;
                }
            } catch (IOException e) {
                // Named here, because the failure's one line is its deepest cause: "Unexpected end of ZLIB input
                // stream" alone does not say which of a thousand files is damaged.
                IOException named = new IOException(origin + (lines.lineNumber() + 1) + ": cannot be read: " + e);
                named.addSuppressed(e);
                throw named;
            }
            if (n == 0 && !more) {
                return null;
            }
            return new Batch(messages, lineNumbers, n);
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /** One batch; each message's position is the number of lines read up to and including it. */
    private static final class Batch implements BulkFormat.RecordIterator<RawMessage> {
        private final RawMessage[] messages;
        private final long[] lineNumbers;
        private final int size;
        private final MutableRecordAndPosition<RawMessage> current = new MutableRecordAndPosition<>();
        private int next;

        Batch(RawMessage[] messages, long[] lineNumbers, int size) {
            this.messages = messages;
            this.lineNumbers = lineNumbers;
            this.size = size;
        }

        @Override
        public RecordAndPosition<RawMessage> next() {
            if (next == size) {
                return null;
            }
            current.set(messages[next], CheckpointedPosition.NO_OFFSET, lineNumbers[next]);
            next++;
            return current;
        }

        @Override
        public void releaseBatch() {}
    }
}
