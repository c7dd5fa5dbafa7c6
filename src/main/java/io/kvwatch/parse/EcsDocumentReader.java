package io.kvwatch.parse;

import static io.kvwatch.parse.JsonFields.asObject;
import static io.kvwatch.parse.JsonFields.asText;
import static io.kvwatch.parse.JsonFields.find;
import static io.kvwatch.parse.JsonFields.httpStatus;

import com.fasterxml.jackson.databind.JsonNode;
import io.kvwatch.model.AuditRecord;
import java.time.Instant;
import java.util.Set;

/**
 * Reads a document already shaped by Elastic's Azure integration (ECS plus {@code azure.platformlogs.*}), with fields
 * as nested objects or dotted keys.
 */
final class EcsDocumentReader {

    static final String DATASET = "azure.platformlogs";
    private static final String CLAIM = "azure.platformlogs.identity.claim.";

    private EcsDocumentReader() {}

    /**
     * The top-level keys Elastic adds to a document, nested or dotted; a raw Azure record has none of them. Both the
     * tree path ({@link #looksLikeEcs}) and the streaming path ({@link StreamingEnvelopeReader}) recognise ECS by these.
     */
    static final Set<String> MARKER_KEYS =
            Set.of("@timestamp", "event", "data_stream", "ecs", "event.dataset", "data_stream.dataset");

    /** An ECS document is recognised by the fields Elastic adds ({@link #MARKER_KEYS}). */
    static boolean looksLikeEcs(JsonNode doc) {
        for (String key : MARKER_KEYS) {
            if (doc.has(key)) {
                return true;
            }
        }
        return false;
    }

    static boolean isPlatformLog(JsonNode doc) throws RejectedRecordException {
        return (DATASET.equals(asText(find(doc, "event.dataset"), "event.dataset"))
                        || DATASET.equals(asText(find(doc, "data_stream.dataset"), "data_stream.dataset")))
                && isAuditEvent(doc);
    }

    /** The same test as for a raw record ({@link AzureRecordReader#isKeyVaultAudit}), on the category Elastic keeps. */
    static boolean isAuditEvent(JsonNode doc) throws RejectedRecordException {
        return AzureRecordReader.isKeyVaultAudit(
                asText(find(doc, "azure.platformlogs.category"), "azure.platformlogs.category"));
    }

    /**
     * The rule's clock for an ECS document is {@code event.ingested} (Elastic's timestamp override), else
     * {@code @timestamp}; the transport's timestamp only when the document has neither.
     */
    static AuditRecord read(JsonNode doc, long ingestTimestamp) throws RejectedRecordException {
        Instant timestamp = Timestamps.parse(find(doc, "@timestamp"), "@timestamp");
        Instant ingested = Timestamps.parse(find(doc, "event.ingested"), "event.ingested");
        if (timestamp == null && ingested == null) {
            throw new RejectedRecordException(DeadLetterReason.BAD_TIME, "@timestamp and event.ingested: both missing");
        }
        AuditRecord r = new AuditRecord();
        r.shape = "ecs";
        r.originalTime = (timestamp != null ? timestamp : ingested).toString();
        r.ruleTime = ingested != null
                ? ingested.toEpochMilli()
                : Timestamps.ruleTime(ingestTimestamp, timestamp.toEpochMilli());

        String action = asText(find(doc, "event.action"), "event.action");
        r.operation = action != null
                ? action
                : asText(find(doc, "azure.platformlogs.operation_name"), "azure.platformlogs.operation_name");
        r.outcomeSuccess = "success".equalsIgnoreCase(asText(find(doc, "event.outcome"), "event.outcome"));
        r.resultSignature =
                asText(find(doc, "azure.platformlogs.result_signature"), "azure.platformlogs.result_signature");
        CallerAddress.fromEcs(
                asText(find(doc, "source.ip"), "source.ip"),
                port(find(doc, "source.port")),
                asText(find(doc, "source.address"), "source.address"),
                r);
        String correlation = asText(find(doc, "azure.correlation_id"), "azure.correlation_id");
        r.correlationId = correlation != null
                ? correlation
                : asText(find(doc, "azure.platformlogs.correlation_id"), "azure.platformlogs.correlation_id");
        r.resourceId = asText(find(doc, "azure.resource.id"), "azure.resource.id");
        if (r.resourceId == null) {
            // Elastic's pipeline parses only the schema's spelling: the other one stays under azure.platformlogs.
            r.resourceId = asText(find(doc, "azure.platformlogs.ResourceId"), "azure.platformlogs.ResourceId");
        }
        r.vaultName = asText(find(doc, "azure.resource.name"), "azure.resource.name");
        if (r.vaultName == null) {
            r.vaultName = AzureRecordReader.vaultName(r.resourceId);
        }

        // The containers are type-checked as in a raw record, so that a record and its ECS form are rejected alike.
        asObject(find(doc, "azure.platformlogs.identity"), "azure.platformlogs.identity");
        asObject(find(doc, "azure.platformlogs.identity.claim"), "azure.platformlogs.identity.claim");
        String upn = asText(find(doc, CLAIM + "upn"), CLAIM + "upn");
        if (upn == null || upn.isBlank()) {
            // The claim URI has dots of its own; find tries every split of the path, so the claim is found as a key of
            // a nested claim object and as one fully dotted key alike.
            String longUpn =
                    asText(find(doc, CLAIM + AzureRecordReader.UPN_CLAIM_URI), CLAIM + AzureRecordReader.UPN_CLAIM_URI);
            upn = longUpn != null ? longUpn : upn;
        }
        r.upn = upn;
        r.appId = asText(find(doc, CLAIM + "appid"), CLAIM + "appid");

        JsonNode properties = find(doc, "azure.platformlogs.properties");
        if (properties != null && !properties.isObject() && !properties.isNull()) {
            // A string holding the properties (or something Elastic's pipeline could not parse): read as a raw
            // record's.
            JsonNode parsed = JsonFields.properties(properties, "azure.platformlogs.properties");
            r.objectId = JsonFields.text(parsed, "id", "azure.platformlogs.properties.id");
            r.requestUri = JsonFields.text(parsed, "requestUri", "azure.platformlogs.properties.requestUri");
            r.clientInfo = JsonFields.text(parsed, "clientInfo", "azure.platformlogs.properties.clientInfo");
            r.httpStatusCode = httpStatus(
                    parsed == null ? null : parsed.get("httpStatusCode"),
                    "azure.platformlogs.properties.httpStatusCode");
            return r;
        }
        r.objectId = asText(find(doc, "azure.platformlogs.properties.id"), "azure.platformlogs.properties.id");
        r.requestUri = asText(
                find(doc, "azure.platformlogs.properties.requestUri"), "azure.platformlogs.properties.requestUri");
        r.clientInfo = asText(
                find(doc, "azure.platformlogs.properties.clientInfo"), "azure.platformlogs.properties.clientInfo");
        r.httpStatusCode = httpStatus(
                find(doc, "azure.platformlogs.properties.httpStatusCode"),
                "azure.platformlogs.properties.httpStatusCode");
        return r;
    }

    /** {@code source.port}: a number, or digits in a string as exporters write it; 0 when absent or not a port. */
    private static int port(JsonNode node) {
        if (node == null) {
            return 0;
        }
        long v = node.isIntegralNumber()
                ? node.asLong()
                : node.isTextual() && node.textValue().matches("[0-9]{1,5}") ? Long.parseLong(node.textValue()) : 0;
        return v >= 1 && v <= 65535 ? (int) v : 0;
    }
}
