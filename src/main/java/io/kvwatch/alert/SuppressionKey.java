package io.kvwatch.alert;

import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.RecordField;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The fields alerts are suppressed by: record fields named by their short names ({@link RecordField#userName()}),
 * reported in the alert under their ECS paths.
 */
public final class SuppressionKey {

    private SuppressionKey() {}

    /** The field's value on the record; empty when the record has none, so that all records without it group together. */
    public static String valueOf(RecordField field, AuditRecord r) {
        String v = field.text(r);
        return v == null ? "" : v;
    }

    /** Parses a comma-separated list such as {@code upn,vault}; empty for a blank list. */
    public static List<RecordField> parseList(String text) {
        List<RecordField> keys = new ArrayList<>();
        if (text == null || text.isBlank()) {
            return keys;
        }
        for (String part : text.split(",")) {
            RecordField found = RecordField.byUserName(part.trim().toLowerCase(Locale.ROOT));
            if (found == null) {
                throw new IllegalArgumentException(
                        "Unknown suppression field '" + part.trim() + "'; known: " + RecordField.userNames());
            }
            if (!keys.contains(found)) {
                keys.add(found);
            }
        }
        return keys;
    }
}
