package io.kvwatch.parse;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;

/** Typed reads of optional JSON fields: absent and null are the same, a value of the wrong type rejects the record. */
final class JsonFields {

    private JsonFields() {}

    /** The field's string value, or null when it is absent or null. */
    static String text(JsonNode parent, String field, String path) throws RejectedRecordException {
        return asText(parent == null ? null : parent.get(field), path);
    }

    static String asText(JsonNode node, String path) throws RejectedRecordException {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw wrongType(path, "a string", node);
        }
        return node.textValue();
    }

    /** The field's object, or null when it is absent or null. */
    static JsonNode object(JsonNode parent, String field, String path) throws RejectedRecordException {
        JsonNode node = parent == null ? null : parent.get(field);
        return asObject(node, path);
    }

    static JsonNode asObject(JsonNode node, String path) throws RejectedRecordException {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw wrongType(path, "an object", node);
        }
        return node;
    }

    private static final ObjectMapper MAPPER =
            new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /**
     * A record's {@code properties}: an object, or a string holding one (some exporters write it so; Elastic's pipeline
     * parses it). A string that is not a JSON object is what Elastic's pipeline leaves unparsed: the record has no
     * readable properties (and so no {@code properties.id}), which is not a reason to reject it. Null when absent.
     */
    static JsonNode properties(JsonNode node, String path) throws RejectedRecordException {
        if (node != null && node.isTextual()) {
            try {
                JsonNode parsed = MAPPER.readTree(node.textValue());
                return parsed != null && parsed.isObject() ? parsed : null;
            } catch (JsonProcessingException notJson) {
                return null;
            }
        }
        return asObject(node, path);
    }

    /**
     * An HTTP status: a whole number (also written 403.0), or a string of digits as some exporters write it; 0 when
     * absent.
     */
    static int httpStatus(JsonNode node, String path) throws RejectedRecordException {
        if (node == null || node.isNull()) {
            return 0;
        }
        if (node.isIntegralNumber() && node.canConvertToInt()) {
            return node.intValue();
        }
        if (node.isFloatingPointNumber()
                && node.canConvertToInt()
                && node.doubleValue() == Math.rint(node.doubleValue())) {
            return node
                    .intValue(); // 403.0: Elasticsearch coerces it into its long field, and the rule counts the record
        }
        if (node.isTextual()) {
            String s = node.textValue().trim();
            if (!s.isEmpty() && s.length() <= 3 && s.chars().allMatch(Character::isDigit)) {
                return Integer.parseInt(s);
            }
        }
        throw wrongType(path, "an HTTP status code", node);
    }

    /**
     * Looks a dotted path up in an ECS document, where any part of the path may be written as nested objects or as
     * one key with dots ({@code {"azure":{"platformlogs.properties":{"id":...}}}}): Elastic accepts both.
     */
    static JsonNode find(JsonNode node, String dottedPath) throws RejectedRecordException {
        List<JsonNode> found = new ArrayList<>(1);
        find(node, dottedPath.split("\\."), 0, found);
        if (found.size() > 1 && found.stream().anyMatch(n -> !n.isObject())) {
            // Elasticsearch would index every one of the values, and Elastic's rule would see them all; taking the
            // first would be a guess, as for a key given twice. An object split over both forms is merged, and fine.
            throw new RejectedRecordException(
                    DeadLetterReason.DUPLICATE_KEY,
                    "'" + dottedPath + "' is given " + found.size()
                            + " times, nested and dotted: which value counts would be a guess");
        }
        return found.isEmpty() ? null : found.get(0);
    }

    private static void find(JsonNode node, String[] parts, int from, List<JsonNode> found) {
        if (node == null || !node.isObject()) {
            return;
        }
        StringBuilder key = new StringBuilder();
        for (int i = from; i < parts.length; i++) {
            if (i > from) {
                key.append('.');
            }
            key.append(parts[i]);
            JsonNode child = node.get(key.toString());
            if (child != null) {
                if (i == parts.length - 1) {
                    found.add(child);
                } else {
                    find(child, parts, i + 1, found);
                }
            }
        }
    }

    static RejectedRecordException wrongType(String path, String expected, JsonNode found) {
        return new RejectedRecordException(
                DeadLetterReason.WRONG_FIELD_TYPE,
                path + ": expected " + expected + " but found "
                        + found.getNodeType().name().toLowerCase());
    }
}
