package io.kvwatch.model;

/**
 * One Event Hubs message as it arrives: the JSON text (an envelope, a single record or an ECS document), the ingest
 * timestamp when the transport has one (the Kafka record timestamp, i.e. the Event Hubs enqueued time), and where it
 * came from, for dead letters.
 */
public class RawMessage {

    /** Marks a message read from a file, which has no ingest timestamp of its own. */
    public static final long NO_TIMESTAMP = Long.MIN_VALUE;

    /** Marks a message whose size in bytes the transport did not tell (a line of a file). */
    public static final int UNKNOWN_SIZE = -1;

    /** The text; null for a Kafka record without a value (a tombstone). */
    public String payload;

    public long ingestTimestamp = NO_TIMESTAMP;
    public String origin;
    /** The size in bytes as the transport delivered it (Kafka), so that the parser can refuse a large one unread. */
    public int sizeBytes = UNKNOWN_SIZE;
    /** The bytes were not valid UTF-8; {@link #payload} holds them decoded with replacement characters. */
    public boolean notUtf8;

    public RawMessage() {}

    public RawMessage(String payload, long ingestTimestamp, String origin) {
        this.payload = payload;
        this.ingestTimestamp = ingestTimestamp;
        this.origin = origin;
    }

    public boolean hasIngestTimestamp() {
        return ingestTimestamp != NO_TIMESTAMP;
    }
}
