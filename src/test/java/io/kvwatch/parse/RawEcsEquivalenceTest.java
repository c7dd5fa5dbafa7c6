package io.kvwatch.parse;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kvwatch.alert.AlertDocument;
import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.DeadLetter;
import io.kvwatch.model.Detection;
import io.kvwatch.model.RawMessage;
import io.kvwatch.rule.DetectionRule;
import io.kvwatch.rule.RetrievalFilter;
import io.kvwatch.testing.AlertFields;
import io.kvwatch.testing.AuditStreamGenerator;
import io.kvwatch.testing.ElasticAzureIntegration;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * One decision for one record, whatever its shape: a raw Key Vault record, the ECS document Elastic's Azure
 * integration makes of it ({@link ElasticAzureIntegration}) and the same document with every key dotted give the same
 * outcome (record, ignored, or dead letter with its reason), the same counting decision, the same term, the same
 * alert document and the same alert id. Checked on every record of the shapes file, on generated traffic and on
 * thousands of mutations of them (caller forms, time forms, Managed HSM, {@code ResourceId}, {@code properties} as a
 * string, the long UPN claim, outcomes, categories, operations, missing fields).
 */
class RawEcsEquivalenceTest {

    private static final String RULE_ID = DetectionRule.bundled().ruleId();

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final EnvelopeParser PARSER = new EnvelopeParser(4 << 20, 16384);
    private static final RetrievalFilter RULE = new RetrievalFilter(false);
    private static final Instant NOW = Instant.parse("2026-11-02T09:00:00Z");
    private static final String UPN_CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn";

    @Test
    void everyRawRecordOfTheShapesFile() throws IOException {
        List<ObjectNode> records = rawRecords(resource("/samples/keyvault-auditevent-shapes.ndjson"));
        assertThat(records).as("the raw records of the shapes file").hasSizeGreaterThanOrEqualTo(12);
        int counted = 0;
        for (ObjectNode r : records) {
            counted += assertSameDecision(r, 1_790_000_000_000L);
            assertSameDecision(r, RawMessage.NO_TIMESTAMP);
        }
        assertThat(counted)
                .as("the qualifying records of the shapes file, raw lines only")
                .isEqualTo(7);
    }

    @Test
    void generatedAndMutatedRecords() throws IOException {
        List<ObjectNode> base = new ArrayList<>(rawRecords(resource("/samples/keyvault-auditevent-shapes.ndjson")));
        base.addAll(rawRecords(AuditStreamGenerator.generate(new AuditStreamGenerator.Profile()
                        .days(3)
                        .readsPerDay(200)
                        .seed(17))
                .lines()));
        Random random = new Random(2026);
        int counted = 0;
        int checked = 0;
        for (ObjectNode r : base) {
            counted += assertSameDecision(r, random.nextBoolean() ? 1_790_000_000_000L : RawMessage.NO_TIMESTAMP);
            checked++;
        }
        for (int i = 0; i < 6000; i++) {
            ObjectNode r = base.get(random.nextInt(base.size())).deepCopy();
            int n = 1 + random.nextInt(3);
            for (int k = 0; k < n; k++) {
                mutate(r, random);
            }
            counted += assertSameDecision(r, random.nextBoolean() ? 1_790_000_000_000L : RawMessage.NO_TIMESTAMP);
            checked++;
        }
        assertThat(checked).as("records checked in three shapes").isGreaterThan(6500);
        assertThat(counted)
                .as("qualifying records among them: the property is not vacuous")
                .isGreaterThan(2000);
    }

    @Test
    void theCasesOfTheIssueCountInEveryShape() {
        String vault =
                "/SUBSCRIPTIONS/0B1F6471-1BF0-4DDA-AEC3-CB9272F09590/RESOURCEGROUPS/SEC/PROVIDERS/MICROSOFT.KEYVAULT/";
        List<Consumer<ObjectNode>> cases = List.of(
                r -> r.put("resourceId", vault + "MANAGEDHSMS/HSM-PAYMENTS"),
                r -> r.set("ResourceId", r.remove("resourceId")),
                r -> r.put("properties", r.get("properties").toString()),
                r -> r.put("time", "2026-11-02T08:14:03.1234567"),
                r -> r.put("time", "11/2/2026 8:14:03 AM"),
                r -> ((ObjectNode) r.at("/identity/claim"))
                        .set(UPN_CLAIM, ((ObjectNode) r.at("/identity/claim")).remove("upn")),
                r -> r.put("callerIpAddress", "<Redacted>"),
                r -> r.put("callerIpAddress", "198.51.100.7:50432"),
                r -> r.put("callerIpAddress", "[2001:db8::7]:443"));
        for (Consumer<ObjectNode> c : cases) {
            ObjectNode r = keyVaultRead();
            c.accept(r);
            assertThat(assertSameDecision(r, 1_790_000_000_000L))
                    .as("counts: %s", r)
                    .isEqualTo(1);
        }
        ObjectNode hsm = keyVaultRead();
        hsm.put("resourceId", vault + "MANAGEDHSMS/HSM-PAYMENTS");
        assertThat(ParseResult.of(hsm.toString()).records.get(0).vaultName)
                .as("a Managed HSM pool's name")
                .isEqualTo("HSM-PAYMENTS");
        ObjectNode dotted = ElasticAzureIntegration.dotted(ElasticAzureIntegration.toEcs(hsm, null));
        assertThat(dotted.has("azure.platformlogs.identity.claim.upn")).isTrue();
        ObjectNode arm = keyVaultRead();
        cases.get(5).accept(arm);
        assertThat(ElasticAzureIntegration.dotted(ElasticAzureIntegration.toEcs(arm, null))
                        .has("azure.platformlogs.identity.claim." + UPN_CLAIM))
                .as("the dotted document carries the long claim as one key")
                .isTrue();
    }

    @Test
    void theSameRecordGetsOneAlertIdWhateverItsShapeAndIngestTime() {
        ObjectNode raw = keyVaultRead();
        AuditRecord fromRaw = ParseResult.of(PARSER, raw.toString(), 1_790_000_000_000L)
                .records
                .get(0);
        AuditRecord fromEcs = ParseResult.of(
                        PARSER,
                        ElasticAzureIntegration.toEcs(raw, Instant.ofEpochMilli(1_790_000_090_000L))
                                .toString(),
                        5L)
                .records
                .get(0);
        assertThat(fromEcs.ruleTime).as("the rule times differ").isNotEqualTo(fromRaw.ruleTime);
        assertThat(AlertDocument.alertId(RULE_ID, fromEcs))
                .as("one event, one id")
                .isEqualTo(AlertDocument.alertId(RULE_ID, fromRaw));
    }

    /** Parses the record raw, as nested ECS and as dotted ECS; returns 1 if it counts, after asserting all agree. */
    private static int assertSameDecision(ObjectNode raw, long ingestTimestamp) {
        List<String> expected = describe(raw.toString(), ingestTimestamp);
        ObjectNode ecs = ElasticAzureIntegration.toEcs(
                raw, ingestTimestamp == RawMessage.NO_TIMESTAMP ? null : Instant.ofEpochMilli(ingestTimestamp));
        if (ecs == null) {
            // No time Elastic reads: Elastic would index it on the agent's clock; the job dead-letters it (or ignores
            // it as another category) in every shape.
            assertThat(expected)
                    .as("a record without a readable time, raw: %s", raw)
                    .isIn(List.of("ignored"), List.of("dead letter bad_time"));
            return 0;
        }
        // The ECS documents are read on another transport timestamp: event.ingested must be what decides.
        assertThat(describe(ecs.toString(), 42L))
                .as("nested ECS of %s\n%s", raw, ecs)
                .isEqualTo(expected);
        ObjectNode dotted = ElasticAzureIntegration.dotted(ecs);
        assertThat(describe(dotted.toString(), 42L))
                .as("dotted ECS of %s\n%s", raw, dotted)
                .isEqualTo(expected);
        return expected.size() == 1 && expected.get(0).startsWith("record counts ") ? 1 : 0;
    }

    /** What one message yields, with each record's counting decision, term, alert document and alert id. */
    private static List<String> describe(String message, long ingestTimestamp) {
        ParseResult r = ParseResult.of(PARSER, message, ingestTimestamp);
        List<String> out = new ArrayList<>();
        for (AuditRecord a : r.records) {
            JsonNode alert = AlertFields.parse(
                    AlertDocument.of(new Detection(a, Detection.NEVER, false), NOW, Duration.ofDays(14)).json);
            ((ObjectNode) alert).remove(List.of("kvwatch.origin", "kvwatch.input_shape"));
            out.add("record " + (RULE.counts(a) ? "counts " + a.upn + " " + a.objectId : "does not count") + " id "
                    + AlertDocument.alertId(RULE_ID, a) + " alert " + alert);
        }
        for (DeadLetter d : r.deadLetters) {
            out.add("dead letter " + d.reason);
        }
        for (int i = 0; i < r.ignored; i++) {
            out.add("ignored");
        }
        return out;
    }

    private static final String[] CALLERS = {
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
        "[::1]:8080",
        "1:2:3:4:5:6:7:8:9",
        "[1.2.3.4]:80"
    };
    private static final String[] OPERATIONS = {
        "SecretGet",
        "KeyGet",
        "VaultGet",
        "SecretList",
        "CertificateGet",
        "SecretSet",
        "KeyDelete",
        "secretget",
        "KeyListVersions"
    };

    private static void mutate(ObjectNode r, Random random) {
        ObjectNode claim = r.at("/identity/claim") instanceof ObjectNode c ? c : null;
        ObjectNode props = r.get("properties") instanceof ObjectNode p ? p : null;
        switch (random.nextInt(17)) {
            case 0 -> r.put("callerIpAddress", CALLERS[random.nextInt(CALLERS.length)]);
            case 1 -> r.put("time", otherTimeForm(r.path("time").asText(), random));
            case 2 -> replaceInResourceId(r, "/VAULTS/", "/MANAGEDHSMS/");
            case 3 -> {
                if (r.has("resourceId")) {
                    r.set("ResourceId", r.remove("resourceId"));
                }
            }
            case 4 -> r.remove(random.nextBoolean() ? "resourceId" : "callerIpAddress");
            case 5 -> {
                if (props != null) {
                    r.put("properties", random.nextInt(4) == 0 ? "not json" : props.toString());
                }
            }
            case 6 -> {
                if (claim != null && claim.has("upn")) {
                    claim.set(UPN_CLAIM, claim.remove("upn"));
                }
            }
            case 7 -> {
                if (claim != null) {
                    claim.put("upn", random.nextBoolean() ? "" : " ");
                    claim.put(UPN_CLAIM, "zoë.o'neil@contoso.com");
                }
            }
            case 8 -> {
                if (claim != null) {
                    claim.remove(random.nextBoolean() ? "upn" : "appid");
                }
            }
            case 9 -> {
                String[] v = {"Failure", "SUCCESS", "Succeeded", null};
                String pick = v[random.nextInt(v.length)];
                if (pick == null) {
                    r.remove("resultType");
                } else {
                    r.put("resultType", pick);
                }
            }
            case 10 -> {
                String[] v = {"auditevent", "AppServiceHTTPLogs", null};
                String pick = v[random.nextInt(v.length)];
                if (pick == null) {
                    r.remove("category");
                } else {
                    r.put("category", pick);
                }
            }
            case 11 -> r.put("operationName", OPERATIONS[random.nextInt(OPERATIONS.length)]);
            case 12 -> {
                if (props != null) {
                    switch (random.nextInt(3)) {
                        case 0 -> props.put("httpStatusCode", "200");
                        case 1 -> props.remove("httpStatusCode");
                        default -> props.put("httpStatusCode", 404);
                    }
                }
            }
            case 13 -> {
                if (props != null) {
                    props.remove("id");
                }
            }
            case 14 -> {
                if (r.path("resourceId").isTextual()) {
                    r.put("resourceId", r.get("resourceId").textValue().toLowerCase(Locale.ROOT));
                }
            }
            case 15 -> {
                if (random.nextBoolean()) {
                    r.remove("correlationId");
                } else {
                    r.put("correlationId", "");
                }
            }
            default -> {
                if (claim != null && claim.has("upn")) {
                    claim.put("upn", "Zoë.O'Neil+kv@contoso.com");
                }
            }
        }
    }

    private static String otherTimeForm(String time, Random random) {
        Instant t;
        try {
            t = Instant.parse(time);
        } catch (RuntimeException notAnInstant) {
            return time;
        }
        return switch (random.nextInt(7)) {
            case 0 -> time.substring(0, time.length() - 1); // zoneless, read as UTC
            case 1 ->
                DateTimeFormatter.ofPattern("M/d/uuuu h:mm:ss a", Locale.US)
                        .withZone(ZoneOffset.UTC)
                        .format(t);
            case 2 ->
                DateTimeFormatter.ofPattern("M/d/uuuu h:mm:ss a XXX", Locale.US)
                        .withZone(ZoneOffset.ofHours(2))
                        .format(t);
            case 3 ->
                DateTimeFormatter.ofPattern("MM/dd/uuuu HH:mm:ss", Locale.US)
                        .withZone(ZoneOffset.UTC)
                        .format(t);
            case 4 ->
                DateTimeFormatter.ISO_OFFSET_DATE_TIME
                        .withZone(ZoneOffset.ofHoursMinutes(-5, -30))
                        .format(t);
            case 5 -> "2026-13-01T00:00:00Z";
            default -> "last Tuesday";
        };
    }

    private static void replaceInResourceId(ObjectNode r, String from, String to) {
        if (r.path("resourceId").isTextual()) {
            r.put("resourceId", r.get("resourceId").textValue().replace(from, to));
        }
    }

    private static ObjectNode keyVaultRead() {
        try {
            return (ObjectNode)
                    MAPPER.readTree(
                            "{\"time\":\"2026-11-02T08:14:03.1234567Z\",\"category\":\"AuditEvent\","
                                    + "\"resourceId\":\"/SUBSCRIPTIONS/0B1F6471-1BF0-4DDA-AEC3-CB9272F09590/RESOURCEGROUPS/SEC/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV-PAY\","
                                    + "\"operationName\":\"SecretGet\",\"resultType\":\"Success\",\"resultSignature\":\"OK\",\"durationMs\":\"12\","
                                    + "\"callerIpAddress\":\"198.51.100.23\",\"correlationId\":\"c-1\",\"identity\":{\"claim\":{\"upn\":\"alice@contoso.com\","
                                    + "\"appid\":\"04b07795-8ddb-461a-bbee-02f9e1bf7b46\"}},\"properties\":{\"id\":\"https://kv-pay.vault.azure.net/secrets/s1\","
                                    + "\"httpStatusCode\":200,\"requestUri\":\"https://kv-pay.vault.azure.net/secrets/s1?api-version=7.5\",\"clientInfo\":\"x\"}}");
        } catch (JsonProcessingException e) {
            throw new AssertionError(e);
        }
    }

    /** The raw records (not ECS documents) of the well-formed messages among the lines, each on its own. */
    private static List<ObjectNode> rawRecords(List<String> lines) {
        List<ObjectNode> out = new ArrayList<>();
        for (String line : lines) {
            JsonNode root;
            try {
                root = MAPPER.readTree(line);
            } catch (JsonProcessingException malformed) {
                continue;
            }
            JsonNode records = root.has("records")
                    ? root.get("records")
                    : MAPPER.createArrayNode().add(root);
            if (!records.isArray()) {
                continue;
            }
            for (JsonNode r : records) {
                if (r instanceof ObjectNode o && !o.has("@timestamp") && !o.has("event")) {
                    out.add(o);
                }
            }
        }
        return out;
    }

    private static List<String> resource(String name) throws IOException {
        try (InputStream in = RawEcsEquivalenceTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }
}
