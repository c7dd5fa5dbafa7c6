package io.kvwatch.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.List;

/** Reads alert documents back for assertions. */
public final class AlertFields {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private AlertFields() {}

    public static JsonNode parse(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new AssertionError("not a JSON document: " + json, e);
        }
    }

    /** The alert as the oracle's read: (upn, properties.id, rule time). */
    public static AuditStreamGenerator.Read asRead(String json) {
        JsonNode doc = parse(json);
        return new AuditStreamGenerator.Read(
                doc.get("kibana.alert.new_terms").get(0).asText(),
                doc.get("kibana.alert.new_terms").get(1).asText(),
                Instant.parse(doc.get("event.ingested").asText()).toEpochMilli());
    }

    public static List<AuditStreamGenerator.Read> asReads(List<String> alerts) {
        return alerts.stream().map(AlertFields::asRead).toList();
    }
}
