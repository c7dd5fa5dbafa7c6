package io.kvwatch.rule;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.RecordField;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Known-good access that must not alert: rule exceptions, as in Elastic. An entry names one or more fields; it matches
 * a record when every field it names matches (a field given a list matches any of its values); a record is excepted
 * when any entry matches. An excepted record neither alerts nor enters the history.
 *
 * <pre>
 * exceptions:
 *   - upn: backup-operator@contoso.com          # case-insensitive, as Entra ID treats UPNs
 *     comment: nightly backup reads every secret
 *   - appid: 04b07795-8ddb-461a-bbee-02f9e1bf7b46
 *     vault: KV-PAYMENTS-PROD                    # a vault name, or a full resource id
 *   - object-id-prefix: https://kv-edge.vault.azure.net/certificates/
 *   - source-ip: [10.20.0.0/16, 2001:db8::/32]   # addresses or CIDR blocks
 *   - operation: CertificateGet                  # exact, like the rule's operation list
 * </pre>
 *
 * <p>YAML or JSON (JSON is YAML); either a list of entries or an object with an {@code exceptions} list.
 */
public final class ExceptionList implements Serializable {

    private static final long serialVersionUID = 1L;

    // A key given twice would keep only its last value: an entry silently narrowed, or one silently dropped.
    private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build());
    // The fields an entry names, by their short names (RecordField.userName): the vocabulary of --suppression-fields.
    private static final String UPN = RecordField.UPN.userName();
    private static final String APPID = RecordField.APPID.userName();
    private static final String VAULT = RecordField.RESOURCE_NAME.userName();
    private static final String OBJECT_ID_PREFIX = RecordField.OBJECT_ID.userName() + "-prefix";
    private static final String SOURCE_IP = RecordField.SOURCE_IP.userName();
    private static final String OPERATION = RecordField.EVENT_ACTION.userName();
    private static final Set<String> FIELDS =
            new LinkedHashSet<>(List.of(UPN, APPID, VAULT, OBJECT_ID_PREFIX, SOURCE_IP, OPERATION, "comment"));

    public static final ExceptionList NONE = new ExceptionList(List.of());

    private final List<Entry> entries;

    private ExceptionList(List<Entry> entries) {
        this.entries = entries;
    }

    public static ExceptionList load(Path file) throws IOException {
        return parse(Files.readString(file), file.toString());
    }

    public static ExceptionList parse(String text, String source) {
        JsonNode root;
        try {
            root = YAML.readTree(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(
                    "Exceptions file " + source + " is not YAML or JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return NONE;
        }
        JsonNode list = root.isObject() ? root.get("exceptions") : root;
        if (list == null || list.isNull()) {
            return NONE;
        }
        if (!list.isArray()) {
            throw new IllegalArgumentException("Exceptions file " + source + ": expected a list of entries");
        }
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            entries.add(Entry.parse(list.get(i), source + " entry " + (i + 1)));
        }
        return new ExceptionList(List.copyOf(entries));
    }

    public boolean excepts(AuditRecord r) {
        for (Entry e : entries) {
            if (e.matches(r)) {
                return true;
            }
        }
        return false;
    }

    public int size() {
        return entries.size();
    }

    /** One entry; a null list means the entry does not constrain that field. */
    private record Entry(
            List<String> upns,
            List<String> appIds,
            List<String> vaults,
            List<String> objectIdPrefixes,
            List<IpRange> sources,
            List<String> operations)
            implements Serializable {

        static Entry parse(JsonNode node, String where) {
            if (!node.isObject()) {
                throw new IllegalArgumentException(where + ": expected an object of field: value");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                String key = it.next().getKey();
                if (!FIELDS.contains(key)) {
                    throw new IllegalArgumentException(
                            where + ": unknown field '" + key + "', expected one of " + FIELDS);
                }
            }
            List<String> sourceTexts = values(node, SOURCE_IP, where, false);
            Entry e = new Entry(
                    values(node, UPN, where, true),
                    values(node, APPID, where, true),
                    values(node, VAULT, where, true),
                    values(node, OBJECT_ID_PREFIX, where, true),
                    sourceTexts == null
                            ? null
                            : sourceTexts.stream().map(t -> sourceIp(t, where)).toList(),
                    values(node, OPERATION, where, false));
            if (e.upns == null
                    && e.appIds == null
                    && e.vaults == null
                    && e.objectIdPrefixes == null
                    && e.sources == null
                    && e.operations == null) {
                throw new IllegalArgumentException(where + ": names no field, so it would except every record");
            }
            return e;
        }

        private static IpRange sourceIp(String text, String where) {
            try {
                return IpRange.parse(text);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": 'source-ip' " + e.getMessage(), e);
            }
        }

        private static List<String> values(JsonNode node, String field, String where, boolean lowerCase) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) {
                return null;
            }
            if (v.isArray() && v.isEmpty()) { // would match no record: the entry would except nothing
                throw new IllegalArgumentException(
                        where + ": '" + field + "' needs a non-empty value or a list of them");
            }
            List<String> out = new ArrayList<>();
            for (JsonNode item : v.isArray() ? v : List.of(v)) {
                if (!item.isValueNode() || item.asText().isBlank()) {
                    throw new IllegalArgumentException(
                            where + ": '" + field + "' needs a non-empty value or a list of them");
                }
                out.add(
                        lowerCase
                                ? item.asText().trim().toLowerCase(Locale.ROOT)
                                : item.asText().trim());
            }
            return List.copyOf(out);
        }

        boolean matches(AuditRecord r) {
            return (upns == null || anyIgnoringCase(upns, RecordField.UPN.text(r)))
                    && (appIds == null || anyIgnoringCase(appIds, RecordField.APPID.text(r)))
                    && (vaults == null || vaultMatches(r))
                    && (objectIdPrefixes == null || objectIdMatches(r))
                    && (sources == null || sources.stream().anyMatch(s -> s.contains(RecordField.SOURCE_IP.text(r))))
                    && (operations == null || operations.contains(RecordField.EVENT_ACTION.text(r)));
        }

        private static boolean anyIgnoringCase(List<String> lowerCased, String value) {
            return value != null && lowerCased.contains(value.toLowerCase(Locale.ROOT));
        }

        private boolean vaultMatches(AuditRecord r) {
            for (String v : vaults) {
                // A vault name, or a full resource id (it has slashes).
                String actual = (v.indexOf('/') >= 0 ? RecordField.RESOURCE_ID : RecordField.RESOURCE_NAME).text(r);
                if (actual != null && actual.toLowerCase(Locale.ROOT).equals(v)) {
                    return true;
                }
            }
            return false;
        }

        private boolean objectIdMatches(AuditRecord r) {
            String objectId = RecordField.OBJECT_ID.text(r);
            if (objectId == null) {
                return false;
            }
            String id = objectId.toLowerCase(Locale.ROOT);
            return objectIdPrefixes.stream().anyMatch(id::startsWith);
        }
    }
}
