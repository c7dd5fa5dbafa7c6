package io.kvwatch.alert;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.Detection;
import io.kvwatch.model.RawMessage;
import io.kvwatch.model.RecordField;
import io.kvwatch.parse.EnvelopeParser;
import io.kvwatch.parse.ParseResult;
import io.kvwatch.testing.AlertFields;
import io.kvwatch.testing.AuditStreamGenerator;
import io.kvwatch.testing.CollectingOutputs;
import io.kvwatch.testing.ElasticAzureIntegration;
import io.kvwatch.testing.IpLiterals;
import io.kvwatch.testing.LoopbackMiniCluster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every alert the job can produce is a document Elasticsearch indexes into Elastic's security alert index: each leaf
 * field has the type that ECS and the alert index mappings give it ({@code src/test/resources/elastic/alert-field-types.tsv},
 * with the versions used), and no field is missing from that table. The alerts are made from every record of the
 * shapes file, of generated traffic and of the odd values real records carry, each as a first sighting, a late
 * re-alert and a suppression summary; and the job itself is run over the same input, with and without suppression.
 */
class AlertFieldTypesTest {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(LoopbackMiniCluster.withSlots(1));

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final EnvelopeParser PARSER = new EnvelopeParser(4 << 20, 16384);
    private static final Instant NOW = Instant.parse("2026-11-02T09:00:00Z");

    static Map<String, String> types;

    @BeforeAll
    static void loadTable() throws IOException {
        types = new LinkedHashMap<>();
        for (String line : resource("/elastic/alert-field-types.tsv")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                String[] cols = line.split("\t");
                types.put(cols[0], cols[1]);
            }
        }
        assertThat(types).as("the field table").hasSizeGreaterThan(40);
    }

    @Test
    void everyAlertFieldHasItsElasticType() throws IOException {
        List<AuditRecord> records = new ArrayList<>();
        for (String line : resource("/samples/keyvault-auditevent-shapes.ndjson")) {
            records.addAll(ParseResult.of(PARSER, new RawMessage(line, RawMessage.NO_TIMESTAMP, "shapes")).records);
        }
        AuditStreamGenerator.Stream generated = AuditStreamGenerator.generate(
                new AuditStreamGenerator.Profile().days(4).readsPerDay(250).seed(3));
        for (String line : generated.lines()) {
            records.addAll(ParseResult.of(PARSER, new RawMessage(line, 1_790_000_000_000L, "generated")).records);
        }
        for (String message : oddMessages()) {
            records.addAll(ParseResult.of(PARSER, new RawMessage(message, 5L, "odd")).records);
        }
        assertThat(records).as("records to alert on").hasSizeGreaterThan(1000);

        Map<String, Integer> seen = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (AuditRecord r : records) {
            for (Alert alert : alerts(r)) {
                check("", AlertFields.parse(alert.json), seen, problems);
            }
        }
        assertThat(problems)
                .as("fields whose value Elasticsearch would refuse, or that the table does not know")
                .isEmpty();
        assertThat(new TreeSet<>(types.keySet()))
                .as("every field of the table occurs in some alert (the table is not stale)")
                .isEqualTo(new TreeSet<>(seen.keySet()));
    }

    @Test
    void theCheckRejectsWhatElasticsearchWouldRefuse() {
        ObjectNode bad = MAPPER.createObjectNode();
        bad.put("source.ip", "<Redacted>");
        bad.put("source.port", "443");
        bad.put("@timestamp", "yesterday");
        bad.put("event.action", 5);
        bad.put("kibana.alert.something_new", "x");
        bad.putObject("source").put("ip", "198.51.100.7:443");
        List<String> problems = new ArrayList<>();
        check("", bad, new LinkedHashMap<>(), problems);
        assertThat(problems).as("each bad field is named").hasSize(6);
    }

    @Test
    void theJobsOwnAlertsHaveTheirElasticTypes(@TempDir Path dir) throws Exception {
        List<String> lines = new ArrayList<>(resource("/samples/keyvault-auditevent-shapes.ndjson"));
        lines.addAll(oddMessages());
        lines.addAll(AuditStreamGenerator.generate(new AuditStreamGenerator.Profile()
                        .days(16)
                        .readsPerDay(40)
                        .seed(8))
                .lines());
        Path input = dir.resolve("in.ndjson");
        Files.write(input, lines, StandardCharsets.UTF_8);
        List<String> alerts = new ArrayList<>(CollectingOutputs.runJob(input, Map.of("parallelism", "1"), null)
                .alerts());
        int plain = alerts.size();
        alerts.addAll(CollectingOutputs.runJob(
                        input,
                        Map.of(
                                "parallelism",
                                "1",
                                "suppression-fields",
                                "vault,source-ip",
                                "suppression-duration",
                                "1h"),
                        null)
                .alerts());
        assertThat(plain).as("alerts of the job without suppression").isGreaterThan(100);
        assertThat(alerts.size() - plain)
                .as("alerts of the job with suppression")
                .isGreaterThan(10);

        Map<String, Integer> seen = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (String alert : alerts) {
            check("", AlertFields.parse(alert), seen, problems);
        }
        assertThat(problems)
                .as("fields of the job's alerts that Elasticsearch would refuse or the table does not know")
                .isEmpty();
        assertThat(seen)
                .as("the job's alerts carry the caller in each of its forms")
                .containsKeys("source.ip", "source.port", "source.address", "kibana.alert.suppression.docs_count");
    }

    /** Every caller form, time form, resource and properties form the parser accepts, raw, ECS and dotted ECS. */
    private static List<String> oddMessages() {
        List<String> out = new ArrayList<>();
        String[] callers = {
            "<Redacted>",
            "198.51.100.7:50432",
            "2001:db8::7",
            "[2001:db8::7]:443",
            "[2001:db8::7]",
            "::ffff:198.51.100.7",
            "",
            "10.0.0.1:99999",
            "300.1.1.1",
            "01.2.3.4",
            "fe80::1%eth0",
            "kv-client.contoso.com",
            "1.2.3.4:0",
            "2001:db8::7:443",
            "AzureResourceManager"
        };
        String[] times = {
            "2026-11-02T08:14:03.1234567Z",
            "2026-11-02T08:14:03",
            "11/2/2026 8:14:03 AM",
            "11/2/2026 9:14:03 AM +01:00",
            "2026-11-02T09:14:03.5+01:00"
        };
        String[] resources = {
            "/SUBSCRIPTIONS/0B1F6471-1BF0-4DDA-AEC3-CB9272F09590/RESOURCEGROUPS/SEC/PROVIDERS/MICROSOFT.KEYVAULT/MANAGEDHSMS/HSM-PAY",
            "/SUBSCRIPTIONS/0B1F6471-1BF0-4DDA-AEC3-CB9272F09590/RESOURCEGROUPS/SEC/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV-1"
        };
        int i = 0;
        for (String caller : callers) {
            for (String time : times) {
                ObjectNode raw = MAPPER.createObjectNode();
                raw.put("time", time)
                        .put("category", "AuditEvent")
                        .put("operationName", "SecretGet")
                        .put("resultType", "Success")
                        .put("callerIpAddress", caller)
                        .put("correlationId", "c-" + i);
                raw.put(i % 3 == 0 ? "ResourceId" : "resourceId", resources[i % 2]);
                raw.putObject("identity")
                        .putObject("claim")
                        .put(
                                i % 2 == 0 ? "upn" : "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn",
                                "u" + i + "@contoso.com");
                ObjectNode props = MAPPER.createObjectNode()
                        .put("id", "https://kv-1.vault.azure.net/secrets/s" + i)
                        .put("httpStatusCode", i % 4 == 0 ? 403 : 200);
                if (i % 5 == 0) {
                    raw.put("properties", props.toString());
                } else {
                    raw.set("properties", props);
                }
                ObjectNode ecs = ElasticAzureIntegration.toEcs(raw, Instant.parse("2026-11-02T08:20:00Z"));
                out.add(raw.toString());
                out.add(ecs.toString());
                out.add(ElasticAzureIntegration.dotted(ecs).toString());
                i++;
            }
        }
        return out;
    }

    private static List<Alert> alerts(AuditRecord r) {
        Detection first = new Detection(r, Detection.NEVER, false);
        Detection again = new Detection(r, 1_780_000_000_000L, true);
        List<RecordField> every = SuppressionKey.parseList(String.join(",", RecordField.userNames()));
        SuppressionWindow summary = new SuppressionWindow(
                new Detection(r, Detection.NEVER, false),
                every.stream().map(RecordField::path).toArray(String[]::new),
                every.stream().map(k -> SuppressionKey.valueOf(k, r)).toArray(String[]::new),
                r.ruleTime);
        summary.suppressedCount = 3;
        summary.end = r.ruleTime + 60_000;
        return List.of(
                AlertDocument.of(first, NOW, Duration.ofDays(14)),
                AlertDocument.of(again, NOW, Duration.ofDays(14)),
                AlertDocument.of(summary, NOW, Duration.ofDays(14)));
    }

    /** Walks the document: dotted top-level keys and nested objects make one path; array elements share their path. */
    private static void check(String path, JsonNode node, Map<String, Integer> seen, List<String> problems) {
        if (node.isObject() && !types.containsKey(path)) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                check(path.isEmpty() ? e.getKey() : path + "." + e.getKey(), e.getValue(), seen, problems);
            }
            return;
        }
        if (node.isArray()) {
            for (JsonNode element : node) {
                check(path, element, seen, problems);
            }
            return;
        }
        String type = types.get(path);
        if (type == null) {
            problems.add(path + ": not in the field table");
            return;
        }
        seen.merge(path, 1, Integer::sum);
        if (!node.isNull() && !fits(type, node)) {
            problems.add(path + ": " + node + " is not a valid " + type);
        }
    }

    private static boolean fits(String type, JsonNode v) {
        return switch (type) {
            case "keyword" -> v.isTextual();
            case "ip" -> v.isTextual() && IpLiterals.isIp(v.textValue());
            case "long" -> v.isIntegralNumber() && v.canConvertToLong();
            case "float" -> v.isNumber();
            case "boolean" -> v.isBoolean();
            case "date" -> v.isTextual() && isIsoInstant(v.textValue());
            default -> throw new AssertionError("unknown type in the table: " + type);
        };
    }

    private static boolean isIsoInstant(String s) {
        try {
            Instant.parse(s);
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    private static List<String> resource(String name) throws IOException {
        try (InputStream in = AlertFieldTypesTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }
}
