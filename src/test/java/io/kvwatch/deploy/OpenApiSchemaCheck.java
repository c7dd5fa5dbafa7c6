package io.kvwatch.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Checks a Kubernetes resource against a CRD's structural openAPIV3Schema the way the API server prunes and validates
 * it: field names (an unknown field is dropped silently by the server, which is how a misspelt setting vanishes),
 * JSON types, enums and required fields. Formats, patterns and CEL rules are not checked.
 */
final class OpenApiSchemaCheck {

    private OpenApiSchemaCheck() {}

    /** Every violation, as {@code path: what}; empty when the value conforms. */
    static List<String> violations(JsonNode schema, JsonNode value) {
        List<String> out = new ArrayList<>();
        // Every resource has these; CRD schemas leave them out and the API server checks them itself.
        ObjectNode body = value.deepCopy();
        body.remove(List.of("apiVersion", "kind", "metadata"));
        check(schema, body, "", out);
        return out;
    }

    private static void check(JsonNode schema, JsonNode value, String path, List<String> out) {
        if (schema == null || schema.isMissingNode()) {
            return;
        }
        if (schema.path("x-kubernetes-int-or-string").asBoolean(false)) {
            if (!value.isIntegralNumber() && !value.isTextual()) {
                out.add(path + ": expected an integer or a string, found " + value.getNodeType());
            }
            return;
        }
        String type = schema.path("type").asText("");
        switch (type) {
            case "object" -> checkObject(schema, value, path, out);
            case "array" -> {
                if (!value.isArray()) {
                    out.add(path + ": expected an array, found " + value.getNodeType());
                    return;
                }
                for (int i = 0; i < value.size(); i++) {
                    check(schema.path("items"), value.get(i), path + "[" + i + "]", out);
                }
            }
            case "string" -> {
                if (!value.isTextual()) {
                    out.add(path + ": expected a string, found " + value.getNodeType() + " " + value);
                }
            }
            case "integer" -> {
                if (!value.isIntegralNumber()) {
                    out.add(path + ": expected an integer, found " + value.getNodeType() + " " + value);
                }
            }
            case "number" -> {
                if (!value.isNumber()) {
                    out.add(path + ": expected a number, found " + value.getNodeType() + " " + value);
                }
            }
            case "boolean" -> {
                if (!value.isBoolean()) {
                    out.add(path + ": expected a boolean, found " + value.getNodeType() + " " + value);
                }
            }
            default -> {
                if (schema.has("properties")) {
                    checkObject(schema, value, path, out);
                }
            }
        }
        JsonNode allowed = schema.path("enum");
        if (allowed.isArray() && !allowed.isEmpty()) {
            boolean listed = false;
            for (JsonNode candidate : allowed) {
                listed |= candidate.equals(value);
            }
            if (!listed) {
                out.add(path + ": " + value + " is not one of " + allowed);
            }
        }
    }

    private static void checkObject(JsonNode schema, JsonNode value, String path, List<String> out) {
        if (!value.isObject()) {
            out.add(path + ": expected an object, found " + value.getNodeType());
            return;
        }
        JsonNode properties = schema.path("properties");
        JsonNode additional = schema.path("additionalProperties");
        boolean preserveUnknown =
                schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
        for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String fieldPath = path + "." + field.getKey();
            if (properties.has(field.getKey())) {
                check(properties.get(field.getKey()), field.getValue(), fieldPath, out);
            } else if (additional.isObject()) {
                check(additional, field.getValue(), fieldPath, out);
            } else if (!preserveUnknown && !additional.asBoolean(false)) {
                out.add(fieldPath + ": unknown field (the API server would drop it)");
            }
        }
        for (JsonNode required : schema.path("required")) {
            if (!value.has(required.asText())) {
                out.add(path + "." + required.asText() + ": required field missing");
            }
        }
    }
}
