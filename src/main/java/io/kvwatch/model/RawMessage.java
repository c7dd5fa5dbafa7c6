package io.kvwatch.model;

import java.nio.charset.StandardCharsets;

/**
 * One Event Hubs message as it arrives: the JSON (an envelope, a single record or an ECS document) as the transport
 * delivered it, either as UTF-8 bytes (Kafka) or as text (a line of a file), the ingest timestamp when the transport
 * has one (the Kafka record timestamp, i.e. the Event Hubs enqueued time), and where it came from, for dead letters.
 *
 * <p>Only passed between chained operators (source to parser), never kept in state.
 */
public class RawMessage {

    /** Marks a message read from a file, which has no ingest timestamp of its own. */
    public static final long NO_TIMESTAMP = Long.MIN_VALUE;

    /** Marks a message whose size in bytes the transport did not tell (a line of a file). */
    public static final int UNKNOWN_SIZE = -1;

    /** The text, when the transport decoded it; null for bytes not yet decoded, or for a Kafka tombstone. */
    public String payload;

    /**
     * The bytes as the transport delivered them, when {@link #payload} is null: the parser reads them as UTF-8 without
     * making a {@code String} of the whole message (see {@link #text()} for when one is needed).
     */
    public byte[] bytes;

    public long ingestTimestamp = NO_TIMESTAMP;
    public String origin;
    /** The size in bytes as the transport delivered it (Kafka), so that the parser can refuse a large one unread. */
    public int sizeBytes = UNKNOWN_SIZE;
    /** The bytes were not valid UTF-8; {@link #text()} shows them decoded with replacement characters. */
    public boolean notUtf8;

    public RawMessage() {}

    public RawMessage(String payload, long ingestTimestamp, String origin) {
        this.payload = payload;
        this.ingestTimestamp = ingestTimestamp;
        this.origin = origin;
    }

    /**
     * A message of UTF-8 bytes (a Kafka record's value), checked once: invalid bytes are marked {@link #notUtf8}, for
     * the parser to refuse, never replaced silently.
     */
    public static RawMessage ofBytes(byte[] bytes, long ingestTimestamp, String origin) {
        RawMessage m = new RawMessage(null, ingestTimestamp, origin);
        m.bytes = bytes;
        m.sizeBytes = bytes.length;
        m.notUtf8 = !Utf8.isValid(bytes);
        return m;
    }

    /**
     * The message as text: {@link #payload}, or the bytes decoded (U+FFFD for each invalid sequence), once; null for
     * a message without either. The parser needs it only for dead letters and for messages it reads as a tree.
     */
    public String text() {
        if (payload == null && bytes != null) {
            payload = new String(bytes, StandardCharsets.UTF_8);
        }
        return payload;
    }

    public boolean hasIngestTimestamp() {
        return ingestTimestamp != NO_TIMESTAMP;
    }
}
