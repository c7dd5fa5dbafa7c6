package io.kvwatch.model;

/**
 * One Event Hubs message as it arrives: the JSON text (an envelope, a single record or an ECS document), the ingest
 * timestamp when the transport has one (the Kafka record timestamp, i.e. the Event Hubs enqueued time), and where it
 * came from, for dead letters.
 */
public class RawMessage {

    /** Marks a message read from a file, which has no ingest timestamp of its own. */
    public static final long NO_TIMESTAMP = Long.MIN_VALUE;

    public String payload;
    public long ingestTimestamp = NO_TIMESTAMP;
    public String origin;

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
