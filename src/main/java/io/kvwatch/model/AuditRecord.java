package io.kvwatch.model;

import org.apache.flink.api.common.typeinfo.TypeInfo;

/**
 * A Key Vault audit record reduced to what the rule decides on and what an analyst triages with. Built by the parser
 * from either the raw Azure Monitor shape or Elastic's ECS shape, so everything downstream sees one form.
 *
 * <p>Serialised by {@link AuditRecordSerializer} (named here with {@code @TypeInfo}), never by Kryo.
 */
@TypeInfo(AuditRecordSerializer.Factory.class)
public class AuditRecord {

    /** The rule's clock in epoch millis: the ingest timestamp (see {@code parse.EnvelopeParser}). */
    public long ruleTime;
    /** The record's own time ({@code time}, or {@code @timestamp} for ECS), ISO-8601 at full precision. */
    public String originalTime;

    public String operation;
    public boolean outcomeSuccess;
    /** {@code properties.httpStatusCode}; 0 when the record has none. */
    public int httpStatusCode;

    public String resultSignature;

    public String upn;
    public String appId;
    public String objectId;

    public String vaultName;
    public String resourceId;
    /** {@code source.ip}: the caller's IP literal only (Elastic maps it as {@code ip}); null when there is none. */
    public String sourceIp;
    /** {@code source.port}, from a caller written {@code IP:port} or {@code [IPv6]:port}; 0 when there is none. */
    public int sourcePort;
    /** {@code source.address}: a caller value that is not an IP literal (Azure writes {@code <Redacted>}). */
    public String sourceAddress;

    public String requestUri;
    public String clientInfo;
    public String correlationId;

    /** Where the record came from (topic, partition and offset, or the input file), for tracing an alert back. */
    public String origin;
    /** "azure" for the raw Azure Monitor shape, "ecs" for documents shaped by Elastic's Azure integration. */
    public String shape;

    /** The 128-bit term key of (upn, objectId); set by the rule filter for records that count. */
    public long termHi;

    public long termLo;

    public AuditRecord() {}

    @Override
    public String toString() {
        return "AuditRecord{" + operation + " by " + upn + " on " + objectId + " at " + originalTime + "}";
    }
}
