package io.kvwatch.rule;

import io.kvwatch.model.RecordField;
import java.io.Serializable;
import java.time.Duration;
import java.util.List;

/**
 * The rule as the job runs it, read from a detection-rules file ({@link RuleFile}) when the job is submitted: what
 * counts (the query), what is a term (the new-terms fields), how far back "new" looks (the history window), and what
 * an alert says about the rule. Serializable: it travels with the job, so tasks never read the file.
 *
 * @param source where the rule was read from, for messages
 * @param note the file's investigation guide, null when it has none
 * @param query the file's query, compiled, and requiring a value in each new-terms field (as Elastic does: a
 *     document without one has no term)
 * @param historyWindowStart the window as the file states it ({@code now-14d}); the window in force is
 *     {@code historyWindow}, which {@code history-window} may override
 */
public record DetectionRule(
        String source,
        String ruleId,
        String name,
        String type,
        String severity,
        int riskScore,
        String description,
        String note,
        List<String> references,
        List<Threat> threats,
        RecordQuery query,
        List<RecordField> newTermsFields,
        String historyWindowStart,
        Duration historyWindow)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /** A MITRE ATT&CK tactic, technique or sub-technique. */
    public record Ref(String id, String name, String reference) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    public record Technique(Ref technique, List<Ref> subtechniques) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /** One {@code [[rule.threat]]} entry. */
    public record Threat(String framework, Ref tactic, List<Technique> techniques) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /** The rule bundled with the job: Elastic's rule as released (see {@link KeyVaultRetrievalRule}). */
    public static DetectionRule bundled() {
        return KeyVaultRetrievalRule.bundled();
    }

    /** The same rule with another history window in force (the {@code history-window} setting). */
    public DetectionRule withHistoryWindow(Duration window) {
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("The history window must be positive, not " + window);
        }
        return new DetectionRule(
                source,
                ruleId,
                name,
                type,
                severity,
                riskScore,
                description,
                note,
                references,
                threats,
                query,
                newTermsFields,
                historyWindowStart,
                window);
    }

    /** The window in words, "14 days", "12 hours" or "90 minutes", for alert reasons. */
    public String historyWindowText() {
        long seconds = historyWindow.getSeconds();
        if (seconds % 86_400 == 0) {
            return plural(seconds / 86_400, "day");
        }
        if (seconds % 3_600 == 0) {
            return plural(seconds / 3_600, "hour");
        }
        return seconds % 60 == 0 ? plural(seconds / 60, "minute") : plural(seconds, "second");
    }

    private static String plural(long n, String unit) {
        return n + " " + unit + (n == 1 ? "" : "s");
    }
}
