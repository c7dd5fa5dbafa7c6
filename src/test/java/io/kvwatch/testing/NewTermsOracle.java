package io.kvwatch.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The rule's semantics written the plain way, independently of the job: sort every qualifying read of a term by
 * time; a read alerts when there is no earlier read, or the previous one is more than the window before it.
 */
public final class NewTermsOracle {

    private NewTermsOracle() {}

    public static List<AuditStreamGenerator.Read> expectedAlerts(
            List<AuditStreamGenerator.Read> reads, Duration window) {
        Map<List<String>, List<AuditStreamGenerator.Read>> byTerm = new HashMap<>();
        for (AuditStreamGenerator.Read r : reads) {
            byTerm.computeIfAbsent(List.of(r.upn(), r.objectId()), k -> new ArrayList<>())
                    .add(r);
        }
        List<AuditStreamGenerator.Read> alerts = new ArrayList<>();
        for (List<AuditStreamGenerator.Read> term : byTerm.values()) {
            term.sort(Comparator.comparingLong(AuditStreamGenerator.Read::time));
            long previous = Long.MIN_VALUE;
            for (AuditStreamGenerator.Read r : term) {
                if (previous == Long.MIN_VALUE || r.time() - previous > window.toMillis()) {
                    alerts.add(r);
                }
                previous = r.time();
            }
        }
        return alerts;
    }
}
