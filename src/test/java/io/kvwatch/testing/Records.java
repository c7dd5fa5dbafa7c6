package io.kvwatch.testing;

import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.TermKey;
import java.time.Instant;

/** Builds counting records for detector tests. */
public final class Records {

    private Records() {}

    public static AuditRecord read(String upn, String objectId, long ruleTime) {
        AuditRecord r = new AuditRecord();
        r.upn = upn;
        r.objectId = objectId;
        r.ruleTime = ruleTime;
        r.originalTime = Instant.ofEpochMilli(ruleTime).toString();
        r.operation = "SecretGet";
        r.outcomeSuccess = true;
        r.httpStatusCode = 200;
        r.vaultName = "KV-TEST";
        r.shape = "azure";
        TermKey key = TermKey.of(upn, objectId);
        r.termHi = key.hi;
        r.termLo = key.lo;
        return r;
    }
}
