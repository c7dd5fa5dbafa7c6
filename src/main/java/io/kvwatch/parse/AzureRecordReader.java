package io.kvwatch.parse;

import static io.kvwatch.parse.JsonFields.httpStatus;
import static io.kvwatch.parse.JsonFields.object;
import static io.kvwatch.parse.JsonFields.text;

import com.fasterxml.jackson.databind.JsonNode;
import io.kvwatch.model.AuditRecord;
import java.time.Instant;

/** Reads a record in the raw Azure Monitor resource-log shape, as Azure Monitor writes it to an Event Hub. */
final class AzureRecordReader {

    /**
     * Control-plane calls through Azure Resource Manager (VaultGet, ...) carry the UPN under this claim URI; data-plane
     * calls carry the short {@code upn}. Elastic's rule sees only the short one; we read both.
     */
    static final String UPN_CLAIM_URI = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn";

    private AzureRecordReader() {}

    /**
     * Whether the record is read at all; anything else in the hub is ignored, not rejected. A record is read unless it
     * names another log category than {@code AuditEvent}: the rule's query has no condition on the category or the
     * resource, so no resource is left out (Key Vault vaults and Managed HSM pools alike), and an ECS document is
     * decided by the same test ({@link EcsDocumentReader#isAuditEvent}).
     */
    static boolean isKeyVaultAudit(JsonNode record) throws RejectedRecordException {
        return isKeyVaultAudit(text(record, "category", "category"));
    }

    static boolean isKeyVaultAudit(String category) {
        return category == null || "AuditEvent".equalsIgnoreCase(category);
    }

    /** The resource id under either spelling Azure uses: {@code resourceId} (the schema's) or {@code ResourceId}. */
    static String resourceId(JsonNode record) throws RejectedRecordException {
        String id = text(record, "resourceId", "resourceId");
        return id != null ? id : text(record, "ResourceId", "ResourceId");
    }

    // The fields are read (and their types checked) in this order: the first wrong one names the dead letter.
    static AuditRecord read(JsonNode record, long ingestTimestamp) throws RejectedRecordException {
        Instant time = Timestamps.parse(record.get("time"), "time");
        if (time == null) {
            throw new RejectedRecordException(DeadLetterReason.BAD_TIME, "time: missing");
        }
        AuditRecord r = new AuditRecord();
        r.originalTime = time.toString();
        r.ruleTime = Timestamps.ruleTime(ingestTimestamp, time.toEpochMilli());

        r.operation = text(record, "operationName", "operationName");
        String resultType = text(record, "resultType", "resultType");
        r.resultSignature = text(record, "resultSignature", "resultSignature");
        String caller = text(record, "callerIpAddress", "callerIpAddress");
        r.correlationId = text(record, "correlationId", "correlationId");
        String resourceId = resourceId(record);

        JsonNode claim = object(object(record, "identity", "identity"), "claim", "identity.claim");
        String upn = text(claim, "upn", "identity.claim.upn");
        // The long claim is only read (and type-checked) when the short one is missing or blank.
        String longUpn = upn != null && !upn.isBlank()
                ? null
                : text(claim, UPN_CLAIM_URI, "identity.claim[" + UPN_CLAIM_URI + "]");
        r.appId = text(claim, "appid", "identity.claim.appid");

        JsonNode properties = JsonFields.properties(record.get("properties"), "properties");
        r.objectId = text(properties, "id", "properties.id");
        r.requestUri = text(properties, "requestUri", "properties.requestUri");
        r.clientInfo = text(properties, "clientInfo", "properties.clientInfo");
        r.httpStatusCode =
                httpStatus(properties == null ? null : properties.get("httpStatusCode"), "properties.httpStatusCode");
        complete(r, resultType, resourceId, upn, longUpn, caller);
        return r;
    }

    /** What every reader of the raw shape derives the same way from the fields it read (see StreamingEnvelopeReader). */
    static void complete(
            AuditRecord r, String resultType, String resourceId, String upn, String longUpn, String caller) {
        r.shape = "azure";
        CallerAddress.fromRaw(caller, r);
        r.outcomeSuccess = "Success".equalsIgnoreCase(resultType);
        r.resourceId = resourceId;
        r.vaultName = vaultName(resourceId);
        r.upn = upn != null && !upn.isBlank() ? upn : longUpn;
    }

    // Key Vault's two resource types: vaults and Managed HSM pools.
    private static final String[] KEY_VAULT_TYPES = {
        "/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/", "/PROVIDERS/MICROSOFT.KEYVAULT/MANAGEDHSMS/"
    };
    private static final String RESOURCE_GROUPS = "/RESOURCEGROUPS/";
    private static final String PROVIDERS = "/PROVIDERS/";

    /**
     * The resource's name: for a vault or a Managed HSM pool the segment after {@code .../VAULTS/} or
     * {@code .../MANAGEDHSMS/} ({@code KV-PAYMENTS-PROD}); for another resource, as Elastic's pipeline takes it, the
     * segment after {@code /resourceGroups/<group>/providers/<namespace>/<type>/}. Compared in place, in any case: an
     * upper-cased copy can be longer than the original (German ß becomes SS), so an index found in it would point
     * elsewhere.
     */
    static String vaultName(String resourceId) {
        if (resourceId == null) {
            return null;
        }
        for (String type : KEY_VAULT_TYPES) {
            int at = indexOfIgnoreCase(resourceId, type, 0);
            if (at >= 0) {
                return segment(resourceId, at + type.length());
            }
        }
        int group = indexOfIgnoreCase(resourceId, RESOURCE_GROUPS, 0);
        int providers = group < 0 ? -1 : indexOfIgnoreCase(resourceId, PROVIDERS, group + RESOURCE_GROUPS.length());
        int type = providers < 0 ? -1 : resourceId.indexOf('/', providers + PROVIDERS.length());
        int name = type < 0 ? -1 : resourceId.indexOf('/', type + 1);
        String n = name < 0 ? null : segment(resourceId, name + 1);
        return n == null || n.isEmpty() ? null : n;
    }

    private static String segment(String s, int from) {
        int slash = s.indexOf('/', from);
        return slash < 0 ? s.substring(from) : s.substring(from, slash);
    }

    private static int indexOfIgnoreCase(String s, String part, int from) {
        for (int i = from; i <= s.length() - part.length(); i++) {
            if (s.charAt(i) == '/' && s.regionMatches(true, i, part, 0, part.length())) {
                return i;
            }
        }
        return -1;
    }
}
