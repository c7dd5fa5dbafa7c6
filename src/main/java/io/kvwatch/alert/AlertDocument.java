package io.kvwatch.alert;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.Detection;
import io.kvwatch.model.RecordField;
import io.kvwatch.rule.DetectionRule;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;

/**
 * The alert as one JSON document shaped like an Elastic Security alert, so that it can be indexed beside Elastic's
 * own: {@code kibana.alert.*} for the alert and the rule, and the triage fields of the rule's investigation guide
 * under their ECS / {@code azure.platformlogs} names. Keys are flat dotted names, as Elastic writes its alerts.
 */
public final class AlertDocument {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private AlertDocument() {}

    /**
     * The alert id: SHA-256 (hex) of the rule id, the term and what identifies the triggering event itself: its own
     * time (to the millisecond, the precision Elastic keeps in {@code @timestamp}), operation, correlation id, request
     * URI and caller. Not the rule time: that is when the event reached the job (the Event Hubs enqueued time for a raw
     * record, {@code event.ingested} for an ECS document), so the same event read in both shapes would get two ids.
     * Replaying the same input gives the same id, so a consumer (or a compacted topic keyed by it) can drop duplicates.
     */
    public static String alertId(String ruleId, AuditRecord r) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (String part : new String[] {
            ruleId,
            r.upn,
            r.objectId,
            Long.toString(eventTime(r).toEpochMilli()),
            r.operation,
            r.correlationId,
            r.requestUri,
            r.sourceIp,
            Integer.toString(r.sourcePort),
            r.sourceAddress
        }) {
            sha.update((part == null ? "" : part).getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** The record's own time, to the millisecond: Elastic's {@code date} fields keep no more. */
    private static Instant eventTime(AuditRecord r) {
        // Every parsed record has its own time; a record built without one falls back to its rule time.
        Instant t = r.originalTime != null ? Instant.parse(r.originalTime) : Instant.ofEpochMilli(r.ruleTime);
        return t.truncatedTo(ChronoUnit.MILLIS);
    }

    /** The alert of the bundled rule with {@code historyWindow} in force. */
    public static Alert of(Detection detection, Instant now, Duration historyWindow) {
        return of(detection, now, DetectionRule.bundled().withHistoryWindow(historyWindow));
    }

    /** The alert of a suppression window of the bundled rule with {@code historyWindow} in force. */
    public static Alert of(SuppressionWindow window, Instant now, Duration historyWindow) {
        return of(window, now, DetectionRule.bundled().withHistoryWindow(historyWindow));
    }

    /** The alert of {@code rule}: the rule's fields are the rule file's, its window the one in force. */
    public static Alert of(Detection detection, Instant now, DetectionRule rule) {
        return of(detection, null, now, rule);
    }

    /** The alert that opened a suppression window, with the window's terms and count. */
    public static Alert of(SuppressionWindow window, Instant now, DetectionRule rule) {
        return of(window.detection, window, now, rule);
    }

    /** {@code suppression} is null when suppression is off. */
    private static Alert of(Detection detection, SuppressionWindow suppression, Instant now, DetectionRule rule) {
        AuditRecord r = detection.record;
        String id = alertId(rule.ruleId(), r);
        String ingested = Instant.ofEpochMilli(r.ruleTime).toString();

        ObjectNode doc = MAPPER.createObjectNode();
        doc.put("@timestamp", now.toString());
        doc.put("kibana.alert.uuid", id);
        doc.put("kibana.alert.original_time", eventTime(r).toString());
        ArrayNode newTerms = doc.putArray("kibana.alert.new_terms");
        rule.newTermsFields().forEach(f -> newTerms.add(f.text(r)));
        doc.put("kibana.alert.reason", reason(detection, rule));
        doc.put("kibana.alert.severity", rule.severity());
        doc.put("kibana.alert.risk_score", rule.riskScore());
        doc.put("kibana.alert.status", "active");
        doc.put("kibana.alert.workflow_status", "open");
        doc.put("kibana.alert.rule.rule_id", rule.ruleId());
        doc.put("kibana.alert.rule.name", rule.name());
        doc.put("kibana.alert.rule.type", rule.type());
        doc.put("kibana.alert.rule.severity", rule.severity());
        doc.put("kibana.alert.rule.risk_score", rule.riskScore());
        ArrayNode fields = doc.putArray("kibana.alert.rule.new_terms_fields");
        rule.newTermsFields().forEach(f -> fields.add(f.path()));
        doc.put("kibana.alert.rule.history_window", rule.historyWindow().toString());
        doc.set("kibana.alert.rule.threat", threat(rule));
        ArrayNode references = doc.putArray("kibana.alert.rule.references");
        rule.references().forEach(references::add);
        if (rule.description() != null) {
            doc.put("kibana.alert.rule.description", rule.description());
        }
        if (rule.note() != null) {
            doc.put("kibana.alert.rule.note", rule.note());
        }

        doc.put("event.kind", "signal");
        put(doc, RecordField.EVENT_DATASET, r);
        put(doc, RecordField.EVENT_ACTION, r);
        put(doc, RecordField.EVENT_OUTCOME, r);
        doc.put("event.ingested", ingested);
        put(doc, RecordField.UPN, r);
        put(doc, RecordField.APPID, r);
        put(doc, RecordField.OBJECT_ID, r);
        put(doc, RecordField.REQUEST_URI, r);
        put(doc, RecordField.CLIENT_INFO, r);
        if (r.httpStatusCode != 0) {
            doc.put(RecordField.HTTP_STATUS_CODE.path(), RecordField.HTTP_STATUS_CODE.number(r));
        } else {
            doc.putNull(RecordField.HTTP_STATUS_CODE.path());
        }
        put(doc, RecordField.RESULT_SIGNATURE, r);
        put(doc, RecordField.OPERATION_NAME, r);
        put(doc, RecordField.CORRELATION_ID, r);
        put(doc, RecordField.RESOURCE_NAME, r);
        put(doc, RecordField.RESOURCE_ID, r);
        // source.ip is an ip field: only an IP literal goes there (see parse.CallerAddress); source.port is a long.
        putIfPresent(doc, RecordField.SOURCE_IP.path(), RecordField.SOURCE_IP.text(r));
        if (r.sourcePort > 0) {
            doc.put("source.port", r.sourcePort);
        }
        putIfPresent(doc, "source.address", r.sourceAddress);
        doc.put("user.name", r.upn);

        if (suppression != null) {
            ArrayNode terms = doc.putArray("kibana.alert.suppression.terms");
            for (int i = 0; i < suppression.fields.length; i++) {
                terms.addObject()
                        .put("field", suppression.fields[i])
                        .putArray("value")
                        .add(suppression.values[i]);
            }
            doc.put(
                    "kibana.alert.suppression.start",
                    Instant.ofEpochMilli(suppression.start).toString());
            doc.put(
                    "kibana.alert.suppression.end",
                    Instant.ofEpochMilli(suppression.end).toString());
            doc.put("kibana.alert.suppression.docs_count", suppression.suppressedCount);
        }
        doc.put(
                "kvwatch.previous_seen",
                detection.previousSeen == Detection.NEVER
                        ? null
                        : Instant.ofEpochMilli(detection.previousSeen).toString());
        doc.put("kvwatch.late", detection.late);
        doc.put("kvwatch.origin", r.origin);
        doc.put("kvwatch.input_shape", r.shape);
        return new Alert(id, doc.toString());
    }

    /** A record field under its ECS path; JSON null when the record has none. */
    private static void put(ObjectNode doc, RecordField field, AuditRecord r) {
        doc.put(field.path(), field.text(r));
    }

    private static void putIfPresent(ObjectNode doc, String field, String value) {
        if (value != null) {
            doc.put(field, value);
        }
    }

    private static String reason(Detection d, DetectionRule rule) {
        AuditRecord r = d.record;
        String status = r.httpStatusCode != 0 ? " (HTTP " + r.httpStatusCode + ")" : "";
        String history = d.previousSeen == Detection.NEVER
                ? "no earlier read of it by this user in the previous " + rule.historyWindowText()
                : "last read by this user at " + Instant.ofEpochMilli(d.previousSeen) + ", more than "
                        + rule.historyWindowText() + " before";
        return r.operation + status + " of " + r.objectId + " in vault " + r.vaultName + " by " + r.upn + " from "
                + (r.sourceIp != null ? r.sourceIp : r.sourceAddress) + ": " + history + ".";
    }

    private static ArrayNode threat(DetectionRule rule) {
        ArrayNode threat = MAPPER.createArrayNode();
        for (DetectionRule.Threat t : rule.threats()) {
            ObjectNode entry = threat.addObject();
            entry.put("framework", t.framework());
            ref(entry.putObject("tactic"), t.tactic());
            ArrayNode techniques = entry.putArray("technique");
            for (DetectionRule.Technique technique : t.techniques()) {
                ObjectNode node = ref(techniques.addObject(), technique.technique());
                ArrayNode subtechniques = node.putArray("subtechnique");
                technique.subtechniques().forEach(sub -> ref(subtechniques.addObject(), sub));
            }
        }
        return threat;
    }

    private static ObjectNode ref(ObjectNode node, DetectionRule.Ref ref) {
        return node.put("id", ref.id()).put("name", ref.name()).put("reference", ref.reference());
    }
}
