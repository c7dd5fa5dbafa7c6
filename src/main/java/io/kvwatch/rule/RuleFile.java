package io.kvwatch.rule;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import io.kvwatch.model.RecordField;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a rule in the TOML format of Elastic's detection-rules repository into the {@link DetectionRule} the job runs.
 * The job follows what the file says about what counts, what a term is, how far back "new" looks and what an alert
 * says; anything in the file that would change the rule in a way the job cannot follow is refused, naming it, so that
 * the job never runs a rule other than the one written.
 *
 * <p>Read: {@code [rule]} {@code rule_id}, {@code name}, {@code severity}, {@code risk_score}, {@code query} (KQL, see
 * {@link Kql}), {@code language} ({@code kuery}), {@code type} ({@code new_terms}), {@code timestamp_override}
 * ({@code event.ingested}, the job's clock), {@code description}, {@code note}, {@code references};
 * {@code [rule.new_terms]} and its {@code history_window_start}; {@code [[rule.threat]]}. Keys that only describe
 * the rule or its scheduling in Kibana ({@code author}, {@code from}, {@code index}, {@code tags}, ...) are accepted
 * and ignored; {@code [metadata]} and {@code [transform]} too.
 */
public final class RuleFile {

    private static final TomlMapper TOML = new TomlMapper();

    /** Keys of {@code [rule]} the job follows. */
    private static final Set<String> USED = Set.of(
            "rule_id",
            "name",
            "severity",
            "risk_score",
            "query",
            "language",
            "type",
            "timestamp_override",
            "new_terms",
            "threat",
            "description",
            "note",
            "references");

    /** Keys of {@code [rule]} that describe the rule or schedule it in Kibana and change nothing the job decides. */
    private static final Set<String> IGNORED = Set.of(
            "author",
            "false_positives",
            "setup",
            "license",
            "tags",
            "from",
            "index",
            "interval",
            "max_signals",
            "version",
            "related_integrations",
            "required_fields",
            "investigation_fields",
            "timeline_id",
            "timeline_title");

    private static final Set<String> TOP_LEVEL = Set.of("metadata", "rule", "transform");
    private static final Set<String> SEVERITIES = Set.of("low", "medium", "high", "critical");
    private static final Pattern HISTORY_WINDOW = Pattern.compile("now-([1-9][0-9]{0,5})([dhm])");

    private RuleFile() {}

    public static DetectionRule load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("Cannot read the rule file " + file + ": " + e.getMessage(), e);
        }
        return parse(text, "Rule file " + file);
    }

    /** @param source how messages name the file, e.g. {@code Rule file rules/kv.toml} */
    public static DetectionRule parse(String text, String source) {
        JsonNode root;
        try {
            root = TOML.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(source + " is not TOML: " + e.getOriginalMessage(), e);
        }
        try {
            return read(root, source);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    private static DetectionRule read(JsonNode root, String source) {
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!TOP_LEVEL.contains(key)) {
                throw new IllegalArgumentException("unknown table or key '" + key + "'; a rule file has " + TOP_LEVEL);
            }
        }
        JsonNode rule = root.get("rule");
        if (rule == null || !rule.isObject()) {
            throw new IllegalArgumentException("no [rule] table");
        }
        checkKeys(rule);

        String type = text(rule, "type");
        if (!type.equals("new_terms")) {
            throw new IllegalArgumentException(
                    "rule.type '" + type + "' is not supported: the job runs new_terms" + " rules");
        }
        String language = text(rule, "language");
        if (!language.equals("kuery")) {
            throw new IllegalArgumentException("rule.language '" + language + "' is not supported: the job reads KQL"
                    + " queries (language = \"kuery\")");
        }
        String timestampOverride = optionalText(rule, "timestamp_override");
        if (!"event.ingested".equals(timestampOverride)) {
            throw new IllegalArgumentException("rule.timestamp_override is "
                    + (timestampOverride == null
                            ? "missing (Elastic would then use @timestamp)"
                            : "'" + timestampOverride + "'")
                    + ": the job's clock is event.ingested (the ingest time), so the rule must say"
                    + " timestamp_override = \"event.ingested\"");
        }
        String severity = text(rule, "severity");
        if (!SEVERITIES.contains(severity)) {
            throw new IllegalArgumentException("rule.severity '" + severity + "' is not one of " + SEVERITIES);
        }
        JsonNode risk = rule.get("risk_score");
        if (risk == null || !risk.isIntegralNumber() || risk.asLong() < 0 || risk.asLong() > 100) {
            throw new IllegalArgumentException("rule.risk_score must be a whole number from 0 to 100, not "
                    + (risk == null ? "missing" : risk.toString()));
        }

        RecordQuery query;
        try {
            query = RecordQuery.compile(text(rule, "query"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("rule.query: " + e.getMessage(), e);
        }
        JsonNode newTerms = rule.get("new_terms");
        if (newTerms == null || !newTerms.isObject()) {
            throw new IllegalArgumentException("no [rule.new_terms] table");
        }
        List<RecordField> termFields = termFields(newTerms);
        String windowStart = historyWindowStart(newTerms);

        return new DetectionRule(
                source,
                text(rule, "rule_id"),
                text(rule, "name"),
                type,
                severity,
                risk.asInt(),
                optionalText(rule, "description"),
                optionalText(rule, "note"),
                texts(rule, "references", "rule.references"),
                threats(rule.get("threat")),
                query.requiringPresent(termFields),
                termFields,
                windowStart,
                historyWindow(windowStart));
    }

    private static void checkKeys(JsonNode rule) {
        for (Iterator<String> it = rule.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (USED.contains(key) || IGNORED.contains(key)) {
                continue;
            }
            String hint = switch (key) {
                case "exceptions_list" -> "give the job an exceptions file instead (--exceptions)";
                case "alert_suppression" -> "use --suppression-fields and --suppression-duration instead";
                default -> "the job cannot follow it, and it may change what counts or what an alert says";
            };
            throw new IllegalArgumentException("rule." + key + " is not supported: " + hint);
        }
    }

    /** The new-terms fields, which must be the job's term: its state is keyed by exactly these two. */
    private static List<RecordField> termFields(JsonNode newTerms) {
        String field = text(newTerms, "field", "rule.new_terms.field");
        if (!field.equals("new_terms_fields")) {
            throw new IllegalArgumentException(
                    "rule.new_terms.field is '" + field + "', expected \"new_terms_fields\"");
        }
        List<String> names = texts(newTerms, "value", "rule.new_terms.value");
        List<RecordField> fields = new ArrayList<>();
        for (String name : names) {
            fields.add(RecordField.byPath(name));
        }
        if (names.size() != KeyVaultRetrievalRule.TERM_FIELDS.size()
                || fields.contains(null)
                || !new HashSet<>(fields).equals(new HashSet<>(KeyVaultRetrievalRule.TERM_FIELDS))) {
            throw new IllegalArgumentException("rule.new_terms.value " + names + " is not supported: the job keys"
                    + " its state by exactly "
                    + KeyVaultRetrievalRule.TERM_FIELDS.stream()
                            .map(RecordField::path)
                            .toList()
                    + " (in either order)");
        }
        return List.copyOf(fields);
    }

    private static String historyWindowStart(JsonNode newTerms) {
        JsonNode starts = newTerms.get("history_window_start");
        if (starts == null
                || !starts.isArray()
                || starts.size() != 1
                || !starts.get(0).isObject()) {
            throw new IllegalArgumentException("expected one [[rule.new_terms.history_window_start]] table");
        }
        JsonNode start = starts.get(0);
        String field = text(start, "field", "rule.new_terms.history_window_start.field");
        if (!field.equals("history_window_start")) {
            throw new IllegalArgumentException(
                    "rule.new_terms.history_window_start.field is '" + field + "', expected \"history_window_start\"");
        }
        return text(start, "value", "rule.new_terms.history_window_start.value");
    }

    private static Duration historyWindow(String start) {
        Matcher m = HISTORY_WINDOW.matcher(start);
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "history window '" + start + "' is not supported: expected now-<N>d," + " now-<N>h or now-<N>m");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "d" -> Duration.ofDays(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofMinutes(n);
        };
    }

    private static List<DetectionRule.Threat> threats(JsonNode threat) {
        if (threat == null) {
            return List.of();
        }
        if (!threat.isArray()) {
            throw new IllegalArgumentException("rule.threat must be an array of tables ([[rule.threat]])");
        }
        List<DetectionRule.Threat> out = new ArrayList<>();
        for (JsonNode t : threat) {
            List<DetectionRule.Technique> techniques = new ArrayList<>();
            for (JsonNode technique : array(t, "technique", "rule.threat.technique")) {
                List<DetectionRule.Ref> subtechniques = new ArrayList<>();
                for (JsonNode sub : array(technique, "subtechnique", "rule.threat.technique.subtechnique")) {
                    subtechniques.add(ref(sub, "rule.threat.technique.subtechnique"));
                }
                techniques.add(new DetectionRule.Technique(
                        ref(technique, "rule.threat.technique"), List.copyOf(subtechniques)));
            }
            JsonNode tactic = t.get("tactic");
            if (tactic == null || !tactic.isObject()) {
                throw new IllegalArgumentException("a [[rule.threat]] has no [rule.threat.tactic]");
            }
            out.add(new DetectionRule.Threat(
                    text(t, "framework", "rule.threat.framework"),
                    ref(tactic, "rule.threat.tactic"),
                    List.copyOf(techniques)));
        }
        return List.copyOf(out);
    }

    private static DetectionRule.Ref ref(JsonNode node, String where) {
        return new DetectionRule.Ref(
                text(node, "id", where + ".id"),
                text(node, "name", where + ".name"),
                text(node, "reference", where + ".reference"));
    }

    private static List<JsonNode> array(JsonNode node, String key, String where) {
        JsonNode v = node.get(key);
        if (v == null) {
            return List.of();
        }
        if (!v.isArray()) {
            throw new IllegalArgumentException(where + " must be an array of tables");
        }
        List<JsonNode> out = new ArrayList<>();
        v.forEach(out::add);
        return out;
    }

    private static String text(JsonNode rule, String key) {
        return text(rule, key, "rule." + key);
    }

    private static String text(JsonNode node, String key, String where) {
        JsonNode v = node.get(key);
        if (v == null) {
            throw new IllegalArgumentException(where + " is missing");
        }
        if (!v.isTextual() || v.asText().isBlank()) {
            throw new IllegalArgumentException(where + " must be a non-empty string");
        }
        return v.asText();
    }

    private static String optionalText(JsonNode rule, String key) {
        return rule.has(key) ? text(rule, key) : null;
    }

    private static List<String> texts(JsonNode node, String key, String where) {
        JsonNode v = node.get(key);
        if (v == null) {
            return List.of();
        }
        if (!v.isArray()) {
            throw new IllegalArgumentException(where + " must be an array of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode item : v) {
            if (!item.isTextual()) {
                throw new IllegalArgumentException(where + " must be an array of strings");
            }
            out.add(item.asText());
        }
        return List.copyOf(out);
    }
}
