package io.kvwatch.parse;

import static io.kvwatch.parse.JsonFields.asObject;
import static io.kvwatch.parse.JsonFields.asText;
import static io.kvwatch.parse.JsonFields.find;
import static io.kvwatch.parse.JsonFields.httpStatus;

import com.fasterxml.jackson.databind.JsonNode;
import io.kvwatch.model.AuditRecord;
import java.time.Instant;

/**
 * Reads a document already shaped by Elastic's Azure integration (ECS plus {@code azure.platformlogs.*}), with fields
 * as nested objects or dotted keys.
 */
final class EcsDocumentReader {

    static final String DATASET = "azure.platformlogs";

    private EcsDocumentReader() {}

    /** An ECS document is recognised by the fields Elastic adds; a raw Azure record has none of them. */
    static boolean looksLikeEcs(JsonNode doc) {
        return doc.has("@timestamp") || doc.has("event") || doc.has("data_stream") || doc.has("ecs")
                || doc.has("event.dataset") || doc.has("data_stream.dataset");
    }

    static boolean isPlatformLog(JsonNode doc) throws RejectedRecordException {
        return DATASET.equals(asText(find(doc, "event.dataset"), "event.dataset"))
                || DATASET.equals(asText(find(doc, "data_stream.dataset"), "data_stream.dataset"));
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
        r.ruleTime = ingested != null ? ingested.toEpochMilli() : Timestamps.ruleTime(ingestTimestamp, timestamp.toEpochMilli());

        String action = asText(find(doc, "event.action"), "event.action");
        r.operation = action != null ? action : asText(find(doc, "azure.platformlogs.operation_name"), "azure.platformlogs.operation_name");
        r.outcomeSuccess = "success".equalsIgnoreCase(asText(find(doc, "event.outcome"), "event.outcome"));
        r.resultSignature = asText(find(doc, "azure.platformlogs.result_signature"), "azure.platformlogs.result_signature");
        r.sourceIp = asText(find(doc, "source.ip"), "source.ip");
        String correlation = asText(find(doc, "azure.correlation_id"), "azure.correlation_id");
        r.correlationId = correlation != null ? correlation
                : asText(find(doc, "azure.platformlogs.correlation_id"), "azure.platformlogs.correlation_id");
        r.resourceId = asText(find(doc, "azure.resource.id"), "azure.resource.id");
        r.vaultName = asText(find(doc, "azure.resource.name"), "azure.resource.name");
        if (r.vaultName == null) {
            r.vaultName = AzureRecordReader.vaultName(r.resourceId);
        }

        String upn = asText(find(doc, "azure.platformlogs.identity.claim.upn"), "azure.platformlogs.identity.claim.upn");
        if (upn == null || upn.isBlank()) {
            // The claim URI has dots of its own, so it can only be read as a key of the claim object.
            JsonNode claim = asObject(find(doc, "azure.platformlogs.identity.claim"), "azure.platformlogs.identity.claim");
            String longUpn = claim == null ? null
                    : asText(claim.get(AzureRecordReader.UPN_CLAIM_URI), "azure.platformlogs.identity.claim[" + AzureRecordReader.UPN_CLAIM_URI + "]");
            upn = longUpn != null ? longUpn : upn;
        }
        r.upn = upn;
        r.appId = asText(find(doc, "azure.platformlogs.identity.claim.appid"), "azure.platformlogs.identity.claim.appid");

        r.objectId = asText(find(doc, "azure.platformlogs.properties.id"), "azure.platformlogs.properties.id");
        r.requestUri = asText(find(doc, "azure.platformlogs.properties.requestUri"), "azure.platformlogs.properties.requestUri");
        r.clientInfo = asText(find(doc, "azure.platformlogs.properties.clientInfo"), "azure.platformlogs.properties.clientInfo");
        r.httpStatusCode = httpStatus(find(doc, "azure.platformlogs.properties.httpStatusCode"), "azure.platformlogs.properties.httpStatusCode");
        return r;
    }
}
