package io.kvwatch.model;

/** What the detector found: a record whose term had not been seen within the history window before it. */
public class Detection {

    public AuditRecord record;
    /** The term's previous sighting in epoch millis, or {@link #NEVER} when none is known. */
    public long previousSeen = NEVER;
    /** True when the record arrived behind the watermark and was decided on what was known then. */
    public boolean late;

    public static final long NEVER = Long.MIN_VALUE;

    /**
     * Alert suppression (see {@code alert.AlertSuppressor}): how many later alerts with the same suppression terms
     * this alert stands for, or -1 when suppression is off.
     */
    public long suppressedCount = -1;
    /** The suppression terms: ECS field names and their values, index by index. */
    public String[] suppressionFields;
    public String[] suppressionValues;
    /** Event time of the first and the last alert this one stands for. */
    public long suppressionStart;
    public long suppressionEnd;

    public Detection() {}

    public Detection(AuditRecord record, long previousSeen, boolean late) {
        this.record = record;
        this.previousSeen = previousSeen;
        this.late = late;
    }
}
