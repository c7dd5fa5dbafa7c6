package io.kvwatch.alert;

import io.kvwatch.model.Detection;

/**
 * A window of alert suppression (see {@link AlertSuppressor}): the alert that opened it and how many later alerts with
 * the same suppression terms it stands for. The suppressor's state and what it passes on, so that suppression owns
 * its format and the detector's {@link Detection} holds only what the detector decides.
 *
 * <p>A POJO, serialised by Flink's POJO serializer, whose snapshot names every field: a field added or dropped later
 * is migrated when a savepoint is restored.
 */
public class SuppressionWindow {

    /** The alert that opened the window; it goes out again, with the count, when the window closes. */
    public Detection detection;
    /** The suppression terms: ECS field names and their values, index by index. */
    public String[] fields;

    public String[] values;
    /** Event time of the first and the last alert this one stands for. */
    public long start;

    public long end;
    /** How many later alerts with the same terms this one stands for. */
    public long suppressedCount;

    public SuppressionWindow() {}

    public SuppressionWindow(Detection detection, String[] fields, String[] values, long start) {
        this.detection = detection;
        this.fields = fields;
        this.values = values;
        this.start = start;
        this.end = start;
    }
}
