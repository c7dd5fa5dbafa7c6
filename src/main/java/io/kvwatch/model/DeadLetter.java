package io.kvwatch.model;

/**
 * Input that could not be used, with the reason and the original text (truncated), so that an operator can see what
 * was rejected without the job ever failing on it.
 */
public class DeadLetter {

    /** A stable, machine-readable reason, e.g. {@code not_json}; see {@code parse.DeadLetterReason}. */
    public String reason;
    /** The human-readable detail: which field, what was expected. */
    public String detail;

    public String origin;
    /** Index of the record inside its envelope, or -1 when the whole message was rejected. */
    public int recordIndex = -1;
    /** The original text, cut to the configured size. */
    public String original;
    /** Length in characters of the original text before truncation. */
    public int originalLength;

    public boolean truncated;
    /** The transport's ingest timestamp in epoch millis, or {@link RawMessage#NO_TIMESTAMP}. */
    public long ingestTimestamp = RawMessage.NO_TIMESTAMP;

    public DeadLetter() {}
}
