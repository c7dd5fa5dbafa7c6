package io.kvwatch.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvwatch.model.RecordField;
import io.kvwatch.rule.DetectionRule;
import java.time.Instant;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The same-run baseline of the issue: the rule's work in a single-threaded plain-Java loop over the same message
 * text, with the same JSON library (Jackson, tree model, as one would first write it) and a {@link HashMap} of
 * last-seen times keyed by the readable term. No Flink, no serialisation, no state backend, no watermarks, no
 * out-of-order handling, no dead letters: the practical ceiling for the work itself.
 */
final class PlainLoopBaseline extends Baselines.Loop {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String UPN_CLAIM_URI = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn";
    /** The bundled rule's operations: the one condition of its query this loop evaluates on the JSON itself. */
    private static final Set<String> READ_OPERATIONS =
            DetectionRule.bundled().query().requiredValues(RecordField.EVENT_ACTION);

    private static final long WINDOW = DetectionRule.bundled().historyWindow().toMillis();

    final Map<String, Long> lastSeen;

    PlainLoopBaseline(long expectedTerms) {
        lastSeen = new HashMap<>(mapCapacity(expectedTerms));
    }

    PlainLoopBaseline(PlainLoopBaseline from) {
        lastSeen = new HashMap<>(from.lastSeen);
    }

    @Override
    void message(String text) throws Exception {
        JsonNode root = MAPPER.readTree(text);
        JsonNode list = root.get("records");
        if (list == null) {
            record(root);
        } else {
            for (JsonNode r : list) {
                record(r);
            }
        }
    }

    private void record(JsonNode r) {
        records++;
        String upn;
        String id;
        long time;
        if (r.has("@timestamp")) { // ECS
            JsonNode event = r.path("event");
            JsonNode pl = r.path("azure").path("platformlogs");
            if (!"azure.platformlogs".equals(event.path("dataset").textValue())
                    || !"success".equalsIgnoreCase(event.path("outcome").textValue())
                    || !READ_OPERATIONS.contains(event.path("action").textValue())) {
                return;
            }
            upn = pl.path("identity").path("claim").path("upn").textValue();
            id = pl.path("properties").path("id").textValue();
            time = Instant.parse(event.path("ingested").textValue()).toEpochMilli();
        } else {
            String resourceId = r.path("resourceId").textValue();
            if (!"AuditEvent".equalsIgnoreCase(r.path("category").textValue())
                    || resourceId == null
                    || !resourceId.toUpperCase(Locale.ROOT).contains("/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/")
                    || !"Success".equalsIgnoreCase(r.path("resultType").textValue())
                    || !READ_OPERATIONS.contains(r.path("operationName").textValue())) {
                return;
            }
            JsonNode claim = r.path("identity").path("claim");
            upn = claim.path("upn").textValue();
            if (upn == null) {
                upn = claim.path(UPN_CLAIM_URI).textValue();
            }
            id = r.path("properties").path("id").textValue();
            time = Instant.parse(r.path("time").textValue()).toEpochMilli();
        }
        if (upn == null || upn.isBlank() || id == null || id.isBlank()) {
            return;
        }
        Long previous = lastSeen.put(upn + '\0' + id, time);
        if (previous == null || time - previous > WINDOW) {
            alerts++;
        } else if (previous > time) {
            lastSeen.put(upn + '\0' + id, previous);
        }
    }
}
