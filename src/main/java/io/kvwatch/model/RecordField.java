package io.kvwatch.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The ECS name of each field of {@link AuditRecord}: the one mapping from the paths a rule, a suppression setting or an
 * alert names (those of Elastic's Azure integration) to what the job holds of a record.
 *
 * <p>The parser only yields Key Vault audit records, which Elastic's integration files under the dataset
 * {@code azure.platformlogs}, so {@code event.dataset} has that value on every record. The record keeps the outcome
 * as success or not, so {@code event.outcome} is {@code "success"} or {@code "failure"}, as the alert writes it.
 *
 * <p>Six fields also have a short name, the one users write in {@code --suppression-fields} and in the exceptions file
 * ({@link #userName()}): one vocabulary for every setting that names a record field.
 */
public enum RecordField {
    EVENT_DATASET("event.dataset", Type.KEYWORD),
    EVENT_OUTCOME("event.outcome", Type.KEYWORD),
    EVENT_ACTION("event.action", Type.KEYWORD, "operation"),
    OPERATION_NAME("azure.platformlogs.operation_name", Type.KEYWORD),
    UPN("azure.platformlogs.identity.claim.upn", Type.KEYWORD, "upn"),
    APPID("azure.platformlogs.identity.claim.appid", Type.KEYWORD, "appid"),
    OBJECT_ID("azure.platformlogs.properties.id", Type.KEYWORD, "object-id"),
    REQUEST_URI("azure.platformlogs.properties.requestUri", Type.KEYWORD),
    CLIENT_INFO("azure.platformlogs.properties.clientInfo", Type.KEYWORD),
    HTTP_STATUS_CODE("azure.platformlogs.properties.httpStatusCode", Type.LONG),
    RESULT_SIGNATURE("azure.platformlogs.result_signature", Type.KEYWORD),
    CORRELATION_ID("azure.correlation_id", Type.KEYWORD),
    RESOURCE_NAME("azure.resource.name", Type.KEYWORD, "vault"),
    RESOURCE_ID("azure.resource.id", Type.KEYWORD),
    SOURCE_IP("source.ip", Type.IP, "source-ip");

    /** The dataset of every record the parser yields. */
    public static final String DATASET = "azure.platformlogs";

    /** How a field's values compare, as Elasticsearch maps the field. */
    public enum Type {
        /** Exact, case-sensitive string comparison. */
        KEYWORD,
        /** A whole number; 0 on the record means the record has none. */
        LONG,
        /** An IPv4 or IPv6 address; a value that is not one means the record has none. */
        IP
    }

    private final String path;
    private final Type type;
    private final String userName;

    RecordField(String path, Type type) {
        this(path, type, null);
    }

    RecordField(String path, Type type, String userName) {
        this.path = path;
        this.type = type;
        this.userName = userName;
    }

    public String path() {
        return path;
    }

    public Type type() {
        return type;
    }

    /** The short name settings use ({@code upn}, {@code vault}, ...); null for a field settings do not name. */
    public String userName() {
        return userName;
    }

    /** Whether every record has the same value: a condition on it is decided once, when the rule is read. */
    public boolean isConstant() {
        return this == EVENT_DATASET;
    }

    /** The field's value as text; null when the record has none. A switch, not a function per field: it is on the hot path. */
    public String text(AuditRecord r) {
        return switch (this) {
            case EVENT_DATASET -> DATASET;
            case EVENT_OUTCOME -> r.outcomeSuccess ? "success" : "failure";
            case EVENT_ACTION, OPERATION_NAME -> r.operation;
            case UPN -> r.upn;
            case APPID -> r.appId;
            case OBJECT_ID -> r.objectId;
            case REQUEST_URI -> r.requestUri;
            case CLIENT_INFO -> r.clientInfo;
            case HTTP_STATUS_CODE -> r.httpStatusCode == 0 ? null : Integer.toString(r.httpStatusCode);
            case RESULT_SIGNATURE -> r.resultSignature;
            case CORRELATION_ID -> r.correlationId;
            case RESOURCE_NAME -> r.vaultName;
            case RESOURCE_ID -> r.resourceId;
            case SOURCE_IP -> r.sourceIp;
        };
    }

    /** The value of a {@link Type#LONG} field; 0 when the record has none. */
    public long number(AuditRecord r) {
        if (this != HTTP_STATUS_CODE) {
            throw new IllegalStateException(path + " is not a number");
        }
        return r.httpStatusCode;
    }

    /** The field of an ECS path; null when the record holds no such field. */
    public static RecordField byPath(String path) {
        for (RecordField f : values()) {
            if (f.path.equals(path)) {
                return f;
            }
        }
        return null;
    }

    /** The field of a short name ({@link #userName()}); null when no field has it. */
    public static RecordField byUserName(String name) {
        for (RecordField f : values()) {
            if (f.userName != null && f.userName.equals(name)) {
                return f;
            }
        }
        return null;
    }

    /** Every short name, for messages. */
    public static List<String> userNames() {
        List<String> out = new ArrayList<>();
        for (RecordField f : values()) {
            if (f.userName != null) {
                out.add(f.userName);
            }
        }
        return out;
    }

    /** Every path the record holds, for messages. */
    public static List<String> paths() {
        List<String> out = new ArrayList<>();
        for (RecordField f : values()) {
            out.add(f.path);
        }
        return out;
    }
}
