package io.kvwatch.io;

import io.kvwatch.model.RawMessage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads the lines of an NDJSON file as raw bytes and turns each into a {@link RawMessage} with the same care as a
 * Kafka record (see {@link KafkaMessageDeserializer}): invalid UTF-8 is marked, not replaced silently, so that the
 * parser dead-letters it as {@code not_utf8} instead of counting a mangled name; a UTF-8 byte order mark at the start
 * of a line (the start of a file, or of a file concatenated into another) is dropped; the byte size travels along,
 * so that the parser refuses an oversized line without parsing it.
 *
 * <p>A line ends at {@code \n}; a {@code \r} before it is dropped. Of a line longer than the parser's message size
 * limit only the first bytes are kept (enough for the dead letter that refuses it), so one huge line cannot exhaust
 * the heap.
 */
final class MessageLines {

    private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

    private final InputStream in;
    private final int maxKept;
    private final byte[] buffer = new byte[64 * 1024];
    private int position;
    private int limit;

    private byte[] line = new byte[1024];
    private int kept;
    private long length;
    private byte lastByte;
    private long lineNumber;
    private CharsetDecoder strictUtf8;

    /** @param maxMessageBytes the parser's limit: longer lines are kept only in part */
    MessageLines(InputStream in, long maxMessageBytes) {
        this.in = in;
        this.maxKept = (int) Math.min(Integer.MAX_VALUE - 16, maxMessageBytes + BOM.length);
    }

    /** The number of the line last read, from 1; 0 before the first. */
    long lineNumber() {
        return lineNumber;
    }

    /** Moves to the next line; false at the end of the input. */
    boolean next() throws IOException {
        kept = 0;
        length = 0;
        boolean any = false;
        while (true) {
            if (position == limit) {
                int n = in.read(buffer, 0, buffer.length);
                position = 0;
                limit = Math.max(n, 0);
                if (n <= 0) {
                    if (!any) {
                        return false;
                    }
                    break; // the last line has no newline
                }
            }
            any = true;
            int start = position;
            while (position < limit && buffer[position] != '\n') {
                position++;
            }
            append(start, position - start);
            if (position < limit) {
                position++; // the newline
                break;
            }
        }
        lineNumber++;
        if (length > 0 && lastByte == '\r') {
            length--;
            kept = (int) Math.min(kept, length);
        }
        return true;
    }

    /** Whether the current line is empty (after dropping a {@code \r}). */
    boolean isEmpty() {
        return length == 0;
    }

    /** The current line as a message from {@code origin}. */
    RawMessage message(String origin) {
        int from = kept >= BOM.length && Arrays.equals(line, 0, BOM.length, BOM, 0, BOM.length) ? BOM.length : 0;
        RawMessage message = new RawMessage(null, RawMessage.NO_TIMESTAMP, origin);
        message.sizeBytes = (int) Math.min(Integer.MAX_VALUE, length - from);
        if (kept < length) {
            // Cut at maxKept, possibly inside a character: only a dead letter will show it.
            message.payload = new String(line, from, kept - from, StandardCharsets.UTF_8);
            return message;
        }
        if (strictUtf8 == null) {
            strictUtf8 = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
        }
        try {
            message.payload = strictUtf8
                    .reset()
                    .decode(ByteBuffer.wrap(line, from, kept - from))
                    .toString();
        } catch (CharacterCodingException e) {
            message.payload = new String(line, from, kept - from, StandardCharsets.UTF_8); // U+FFFD for each
            message.notUtf8 = true;
        }
        return message;
    }

    private void append(int start, int n) {
        if (n == 0) {
            return;
        }
        length += n;
        lastByte = buffer[start + n - 1];
        int room = maxKept - kept;
        int copy = Math.min(n, room);
        if (copy <= 0) {
            return;
        }
        if (kept + copy > line.length) {
            line = Arrays.copyOf(line, (int) Math.min(maxKept, Math.max(2L * line.length, kept + copy)));
        }
        System.arraycopy(buffer, start, line, kept, copy);
        kept += copy;
    }
}
