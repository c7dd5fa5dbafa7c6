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

    private static final String VAULTS_SEGMENT = "/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/";

    private AzureRecordReader() {}

    /** Whether the record is a Key Vault audit record; anything else in the hub is ignored, not rejected. */
    static boolean isKeyVaultAudit(JsonNode record) throws RejectedRecordException {
        return isKeyVaultAudit(text(record, "category", "category"), text(record, "resourceId", "resourceId"));
    }

    static boolean isKeyVaultAudit(String category, String resourceId) {
        return "AuditEvent".equalsIgnoreCase(category)
                && resourceId != null
                && vaultsSegment(resourceId) >= 0;
    }

    /**
     * Where {@code /providers/Microsoft.KeyVault/vaults/} starts in the resource id, in any case; -1 if nowhere.
     * Compared in place, char by char: an upper-cased copy can be longer than the original (German ß becomes SS),
     * so an index found in it would point elsewhere in the original.
     */
    static int vaultsSegment(String resourceId) {
        int last = resourceId.length() - VAULTS_SEGMENT.length();
        for (int i = 0; i <= last; i++) {
            if (resourceId.charAt(i) == '/'
                    && resourceId.regionMatches(true, i, VAULTS_SEGMENT, 0, VAULTS_SEGMENT.length())) {
                return i;
            }
        }
        return -1;
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
        r.sourceIp = text(record, "callerIpAddress", "callerIpAddress");
        r.correlationId = text(record, "correlationId", "correlationId");
        String resourceId = text(record, "resourceId", "resourceId");

        JsonNode claim = object(object(record, "identity", "identity"), "claim", "identity.claim");
        String upn = text(claim, "upn", "identity.claim.upn");
        // The long claim is only read (and type-checked) when the short one is missing or blank.
        String longUpn = upn != null && !upn.isBlank() ? null
                : text(claim, UPN_CLAIM_URI, "identity.claim[" + UPN_CLAIM_URI + "]");
        r.appId = text(claim, "appid", "identity.claim.appid");

        JsonNode properties = object(record, "properties", "properties");
        r.objectId = text(properties, "id", "properties.id");
        r.requestUri = text(properties, "requestUri", "properties.requestUri");
        r.clientInfo = text(properties, "clientInfo", "properties.clientInfo");
        r.httpStatusCode = httpStatus(properties == null ? null : properties.get("httpStatusCode"), "properties.httpStatusCode");
        complete(r, resultType, resourceId, upn, longUpn);
        return r;
    }

    /** What every reader of the raw shape derives the same way from the fields it read (see StreamingEnvelopeReader). */
    static void complete(AuditRecord r, String resultType, String resourceId, String upn, String longUpn) {
        r.shape = "azure";
        r.outcomeSuccess = "Success".equalsIgnoreCase(resultType);
        r.resourceId = resourceId;
        r.vaultName = vaultName(resourceId);
        r.upn = upn != null && !upn.isBlank() ? upn : longUpn;
    }

    /** The vault's name is the resource id's last segment: {@code .../VAULTS/KV-PAYMENTS-PROD}. */
    static String vaultName(String resourceId) {
        if (resourceId == null) {
            return null;
        }
        int at = vaultsSegment(resourceId);
        if (at < 0) {
            return null;
        }
        String rest = resourceId.substring(at + VAULTS_SEGMENT.length());
        int slash = rest.indexOf('/');
        return slash < 0 ? rest : rest.substring(0, slash);
    }
}
