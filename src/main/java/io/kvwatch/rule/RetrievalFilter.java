package io.kvwatch.rule;

import io.kvwatch.model.AuditRecord;
import java.io.Serializable;

/**
 * Which Key Vault audit records count for the rule: a successful read operation (as Elastic maps success) with a
 * user principal and an object id.
 *
 * <p>Key Vault writes {@code resultType: Success} even when it refused the request (HTTP 403/404), and Elastic maps
 * {@code event.outcome} from it, so refused attempts count by default: the rule is also about unauthorised tries.
 * {@code require2xx} narrows it to requests that were actually served.
 */
public final class RetrievalFilter implements Serializable {

    private static final long serialVersionUID = 1L;

    private final boolean require2xx;

    public RetrievalFilter(boolean require2xx) {
        this.require2xx = require2xx;
    }

    public boolean counts(AuditRecord r) {
        return r.outcomeSuccess
                && r.operation != null
                && KeyVaultRetrievalRule.READ_OPERATIONS.contains(r.operation)
                && r.upn != null && !r.upn.isBlank()
                && r.objectId != null && !r.objectId.isBlank()
                && (!require2xx || (r.httpStatusCode >= 200 && r.httpStatusCode < 300));
    }
}
