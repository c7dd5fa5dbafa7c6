package io.kvwatch.alert;

import io.kvwatch.model.AuditRecord;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/** The fields alerts are suppressed by, as the user names them, with the ECS names the alert reports them under. */
public enum SuppressionKey {
    UPN("upn", "azure.platformlogs.identity.claim.upn", r -> r.upn),
    OBJECT_ID("object-id", "azure.platformlogs.properties.id", r -> r.objectId),
    VAULT("vault", "azure.resource.name", r -> r.vaultName),
    APPID("appid", "azure.platformlogs.identity.claim.appid", r -> r.appId),
    SOURCE_IP("source-ip", "source.ip", r -> r.sourceIp),
    OPERATION("operation", "event.action", r -> r.operation);

    private final String setting;
    private final String ecsField;
    private final SerializableGetter getter;

    SuppressionKey(String setting, String ecsField, SerializableGetter getter) {
        this.setting = setting;
        this.ecsField = ecsField;
        this.getter = getter;
    }

    interface SerializableGetter extends Function<AuditRecord, String>, Serializable {}

    public String ecsField() {
        return ecsField;
    }

    public String valueOf(AuditRecord r) {
        String v = getter.apply(r);
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
