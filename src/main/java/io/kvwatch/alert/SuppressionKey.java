package io.kvwatch.alert;

import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.RecordField;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The fields alerts are suppressed by, as the user names them, with the ECS names the alert reports them under. */
public enum SuppressionKey {
    UPN("upn", RecordField.UPN),
    OBJECT_ID("object-id", RecordField.OBJECT_ID),
    VAULT("vault", RecordField.RESOURCE_NAME),
    APPID("appid", RecordField.APPID),
    SOURCE_IP("source-ip", RecordField.SOURCE_IP),
    OPERATION("operation", RecordField.EVENT_ACTION);

    private final String setting;
    private final RecordField field;

    SuppressionKey(String setting, RecordField field) {
        this.setting = setting;
        this.field = field;
    }

    public String ecsField() {
        return field.path();
    }

    public String valueOf(AuditRecord r) {
        String v = field.text(r);
        return v == null ? "" : v;
    }

    /** Parses a comma-separated list such as {@code upn,vault}; empty for a blank list. */
    public static List<SuppressionKey> parseList(String text) {
        List<SuppressionKey> keys = new ArrayList<>();
        if (text == null || text.isBlank()) {
            return keys;
        }
        for (String part : text.split(",")) {
            String name = part.trim().toLowerCase(Locale.ROOT);
            SuppressionKey found = null;
            for (SuppressionKey k : values()) {
                if (k.setting.equals(name)) {
                    found = k;
                }
            }
            if (found == null) {
                List<String> known = new ArrayList<>();
                for (SuppressionKey k : values()) {
                    known.add(k.setting);
                }
                throw new IllegalArgumentException("Unknown suppression field '" + part.trim() + "'; known: " + known);
            }
            if (!keys.contains(found)) {
                keys.add(found);
            }
        }
        return keys;
    }
}
