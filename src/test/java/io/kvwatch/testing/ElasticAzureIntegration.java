package io.kvwatch.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.time.temporal.ChronoUnit;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What Elastic's Azure integration makes of a raw Key Vault record, written for the tests from the documented
 * behaviour of its {@code azure.platformlogs} ingest pipeline (package {@code azure}, data stream
 * {@code platformlogs}: {@code default.yml} and {@code azure-shared-pipeline.yml}, ECS 8.11.0), independently of the
 * job's parser, so that the job can be checked to decide a record and its ECS form alike.
 *
 * <p>Applied: the record under {@code azure.platformlogs}; {@code time} to {@code @timestamp} (ISO-8601 with or
 * without a zone, {@code M/d/yyyy h:mm:ss a [XXX]}, {@code M/d/yyyy H:mm:ss}; no zone is UTC; milliseconds kept) and
 * removed; {@code resourceId} to {@code azure.resource.id} with {@code azure.subscription_id}, {@code .group},
 * {@code .provider} and {@code .name} taken from it; {@code callerIpAddress} to {@code source.ip} when it is an IP
 * (split first when written {@code IP:port} or {@code [IPv6]:port}, the port to {@code source.port}), else to
 * {@code source.address}; {@code resultType} to {@code .result_type} and, when success or failure, lower-cased to
 * {@code event.outcome}; {@code operationName} to {@code .operation_name} and {@code event.action};
 * {@code resultSignature} to {@code .result_signature}; {@code correlationId} to {@code azure.correlation_id};
 * {@code durationMs} to {@code event.duration} (nanoseconds); {@code properties} given as a JSON string parsed;
 * {@code identity.claim.*} kept as it is, claim URIs included. {@code ResourceId} (capital R) is not one of the
 * pipeline's renames and stays under {@code azure.platformlogs}.
 */
public final class ElasticAzureIntegration {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ElasticAzureIntegration() {}

    /**
     * The ECS document (nested objects) for a raw record, with {@code event.ingested} = {@code ingested}; null when
     * the record's time is not one the pipeline reads (it would index the document on the agent's clock; the job
     * dead-letters such a record in every shape instead).
     */
    public static ObjectNode toEcs(JsonNode raw, Instant ingested) {
        ObjectNode pl = raw.deepCopy();
        ObjectNode doc = MAPPER.createObjectNode();
        JsonNode time = pl.remove("time");
        Instant timestamp = time != null && time.isTextual() ? parseTime(time.textValue()) : null;
        if (timestamp == null) {
            return null;
        }
        doc.put("@timestamp", timestamp.truncatedTo(ChronoUnit.MILLIS).toString());
        doc.putObject("ecs").put("version", "8.11.0");
        doc.putObject("cloud").put("provider", "azure");
        doc.putObject("data_stream")
                .put("type", "logs")
                .put("dataset", "azure.platformlogs")
                .put("namespace", "default");
        ObjectNode event = doc.putObject("event");
        event.put("dataset", "azure.platformlogs").put("kind", "event");
        event.put("ingested", (ingested != null ? ingested : timestamp).toString());
        ObjectNode azure = doc.putObject("azure");

        JsonNode properties = pl.get("properties");
        if (properties != null && properties.isTextual()) {
            try {
                JsonNode parsed = MAPPER.readTree(properties.textValue());
                if (parsed != null && parsed.isObject()) {
                    pl.set("properties", parsed);
                }
            } catch (JsonProcessingException leftAsItIs) {
                // the json processor fails; the string stays
            }
        }
        JsonNode resourceId = pl.remove("resourceId");
        if (resourceId != null && resourceId.isTextual()) {
            ObjectNode resource = azure.putObject("resource");
            resource.put("id", resourceId.textValue());
            Matcher m = RESOURCE_ID.matcher(resourceId.textValue());
            if (m.lookingAt()) {
                azure.put("subscription_id", m.group(1));
                resource.put("group", m.group(2)).put("provider", m.group(3)).put("name", m.group(4));
            }
        }
        JsonNode caller = pl.remove("callerIpAddress");
        if (caller != null && caller.isTextual()) {
            source(caller.textValue(), doc);
        }
        JsonNode resultType = pl.remove("resultType");
        if (resultType != null) {
            pl.set("result_type", resultType);
            if (resultType.isTextual()
                    && List.of("success", "failure")
                            .contains(resultType.textValue().toLowerCase(Locale.ROOT))) {
                event.put("outcome", resultType.textValue().toLowerCase(Locale.ROOT));
            }
        }
        JsonNode operation = pl.remove("operationName");
        if (operation != null) {
            pl.set("operation_name", operation);
            event.set("action", operation);
        }
        rename(pl, "resultSignature", pl, "result_signature");
        rename(pl, "resultDescription", pl, "result_description");
        rename(pl, "correlationId", azure, "correlation_id");
        JsonNode duration = pl.remove("durationMs");
        if (duration != null && duration.isTextual() && duration.textValue().matches("[0-9]{1,9}")) {
            event.put("duration", Long.parseLong(duration.textValue()) * 1_000_000L);
        }
        JsonNode level = pl.remove("level");
        if (level != null) {
            doc.putObject("log").set("level", level);
        }
        azure.set("platformlogs", pl);
        return doc;
    }

    /** The same document with every key flattened to its dotted path, as exports and {@code fields} responses write it. */
    public static ObjectNode dotted(JsonNode nested) {
        ObjectNode out = MAPPER.createObjectNode();
        flatten("", nested, out);
        return out;
    }

    private static void flatten(String prefix, JsonNode node, ObjectNode out) {
        if (node.isObject() && (prefix.isEmpty() || node.size() > 0)) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), out);
            }
        } else {
            out.set(prefix, node);
        }
    }

    // /subscriptions/{id}/resourceGroups/{group}/providers/{namespace}/{type}/{name}[/...], in any case, as the
    // shared pipeline's grok takes it apart.
    private static final Pattern RESOURCE_ID =
            Pattern.compile("(?i)/subscriptions/([^/]+)/resourcegroups/([^/]+)/providers/([^/]+/[^/]+)/([^/]+)");

    private static void source(String caller, ObjectNode doc) {
        String ip = caller;
        Integer port = null;
        Matcher bracketed = Pattern.compile("\\[([^\\]]+)\\](?::([0-9]+))?").matcher(caller);
        Matcher v4port = Pattern.compile("([0-9.]+):([0-9]+)").matcher(caller);
        if (bracketed.matches()) {
            ip = bracketed.group(1);
            port = bracketed.group(2) == null
                    ? null
                    : Integer.valueOf(bracketed.group(2).length() > 5 ? "-1" : bracketed.group(2));
        } else if (v4port.matches()) {
            ip = v4port.group(1);
            port = v4port.group(2).length() > 5 ? -1 : Integer.valueOf(v4port.group(2));
        }
        boolean portOk = port == null || (port >= 1 && port <= 65535);
        if (portOk && IpLiterals.isIp(ip)) {
            ObjectNode source = doc.putObject("source").put("ip", ip);
            if (port != null) {
                source.put("port", port);
            }
        } else {
            doc.putObject("source").put("address", caller);
        }
    }

    private static void rename(ObjectNode from, String field, ObjectNode to, String target) {
        JsonNode v = from.remove(field);
        if (v != null) {
            to.set(target, v);
        }
    }

    // The forms the pipeline's date processors read (its pipeline tests list them); without an offset, UTC.
    private static final List<DateTimeFormatter> LOCAL_FORMS =
            List.of(DateTimeFormatter.ISO_LOCAL_DATE_TIME, us("M/d/uuuu h:mm:ss a"), us("M/d/uuuu H:mm:ss"));

    private static DateTimeFormatter us(String pattern) {
        return new DateTimeFormatterBuilder()
                .parseCaseInsensitive()
                .appendPattern(pattern)
                .toFormatter(Locale.US)
                .withResolverStyle(ResolverStyle.STRICT);
    }

    static Instant parseTime(String text) {
        try {
            return OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME)
                    .toInstant();
        } catch (DateTimeParseException e) {
            // next form
        }
        try {
            return OffsetDateTime.parse(text, us("M/d/uuuu h:mm:ss a XXX")).toInstant();
        } catch (DateTimeParseException e) {
            // next form
        }
        for (DateTimeFormatter f : LOCAL_FORMS) {
            try {
                return LocalDateTime.parse(text, f).toInstant(ZoneOffset.UTC);
            } catch (DateTimeParseException e) {
                // next form
            }
        }
        return null;
    }
}
