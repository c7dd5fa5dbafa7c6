package io.kvwatch.model;

/**
 * What the detector found: a record whose term had not been seen within the history window before it.
 *
 * <p>Only what the detector decides: it is the detector's state (alerts waiting for the watermark, {@code pending-alerts}),
 * so a field added here changes that state's format. Alerting features keep their own types (suppression:
 * {@code alert.SuppressionWindow}). Serialised by Flink's POJO serializer, whose snapshot names every field: release
 * 0.1.0's Detection also held suppression fields, which a restore reads and drops.
 */
public class Detection {

    public AuditRecord record;
    /** The term's previous sighting in epoch millis, or {@link #NEVER} when none is known. */
    public long previousSeen = NEVER;
    /** True when the record arrived behind the watermark and was decided on what was known then. */
    public boolean late;

    public static final long NEVER = Long.MIN_VALUE;

    public Detection() {}

    public Detection(AuditRecord record, long previousSeen, boolean late) {
        this.record = record;
        this.previousSeen = previousSeen;
        this.late = late;
    }
}
