package io.kvwatch.rule;

import io.kvwatch.model.AuditRecord;
import java.io.Serializable;

/**
 * Which Key Vault audit records count for the rule: those its query matches and that have every new-terms field (as
 * in Elastic, a document without one has no term). For the bundled rule, a successful read operation (as Elastic maps
 * success) with a user principal and an object id.
 *
 * <p>Key Vault writes {@code resultType: Success} even when it refused the request (HTTP 403/404), and Elastic maps
 * {@code event.outcome} from it, so refused attempts count by default: the rule is also about unauthorised tries.
 * {@code require2xx} narrows it to requests that were actually served.
 */
public final class RetrievalFilter implements Serializable {

    private static final long serialVersionUID = 1L;

    private final RecordQuery counts;
    private final boolean require2xx;

    /** The bundled rule's filter. */
    public RetrievalFilter(boolean require2xx) {
        this(DetectionRule.bundled(), require2xx);
    }

    public RetrievalFilter(DetectionRule rule, boolean require2xx) {
        this.counts = rule.query();
        this.require2xx = require2xx;
    }

    public boolean counts(AuditRecord r) {
        return counts.matches(r) && (!require2xx || (r.httpStatusCode >= 200 && r.httpStatusCode < 300));
    }
}
