package io.kvwatch.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * Generates a realistic multi-week stream of Event Hubs messages carrying Key Vault audit records, together with the
 * qualifying reads it contains, so that the alerts the rule must raise can be computed independently of the job (see
 * {@link NewTermsOracle}).
 *
 * <p>Users and objects are drawn from Zipf distributions (a few hot pairs, a long tail); envelopes hold several
 * records; messages leave in time order but shuffled within a bounded disorder; the stream is salted with every
 * non-qualifying and malformed shape the samples describe, and with the 14-day boundary cases.
 */
public final class AuditStreamGenerator {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String UPN_CLAIM_URI = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn";
    private static final String[] READS = {
        "SecretGet",
        "KeyGet",
        "CertificateGet",
        "SecretGetDeleted",
        "KeyGetDeleted",
        "CertificatePolicyGet",
        "SecretListVersions",
        "KeyListVersions"
    };

    /** A qualifying read as the rule sees it: the term and the rule time (epoch millis). */
    public record Read(String upn, String objectId, long time) {}

    /** The generated stream: NDJSON lines in arrival order, and every qualifying read among them. */
    public record Stream(List<String> lines, List<Read> reads, int garbageLines, int badRecords) {
        public void writeTo(Path file) throws IOException {
            Files.write(file, lines, StandardCharsets.UTF_8);
        }
    }

    public static final class Profile {
        long seed = 42;
        Instant start = Instant.parse("2026-09-01T00:00:00Z");
        int days = 35;
        int users = 30;
        int objects = 80;
        int readsPerDay = 400;
        int maxRecordsPerEnvelope = 8;
        Duration maxDisorder = Duration.ofSeconds(20);
        double noiseShare = 0.15;
        int garbageLines = 6;
        boolean boundaryCases = true;
        boolean padRecords = false;

        public Profile seed(long v) {
            seed = v;
            return this;
        }

        public Profile start(Instant v) {
            start = v;
            return this;
        }

        public Profile days(int v) {
            days = v;
            return this;
        }

        public Profile users(int v) {
            users = v;
            return this;
        }

        public Profile objects(int v) {
            objects = v;
            return this;
        }

        public Profile readsPerDay(int v) {
            readsPerDay = v;
            return this;
        }

        public Profile maxRecordsPerEnvelope(int v) {
            maxRecordsPerEnvelope = v;
            return this;
        }

        public Profile maxDisorder(Duration v) {
            maxDisorder = v;
            return this;
        }

        public Profile noiseShare(double v) {
            noiseShare = v;
            return this;
        }

        public Profile garbageLines(int v) {
            garbageLines = v;
            return this;
        }

        public Profile boundaryCases(boolean v) {
            boundaryCases = v;
            return this;
        }

        public Profile padRecords(boolean v) {
            padRecords = v;
            return this;
        }
    }

    private final Profile p;
    private final Random random;
    private final Zipf userDist;
    private final Zipf objectDist;

    public AuditStreamGenerator(Profile profile) {
        this.p = profile;
        this.random = new Random(profile.seed);
        this.userDist = new Zipf(profile.users, 1.1);
        this.objectDist = new Zipf(profile.objects, 1.0);
    }

    public static Stream generate(Profile profile) {
        return new AuditStreamGenerator(profile).generate();
    }

    private record Timed(long time, ObjectNode record, Read read) {}

    Stream generate() {
        List<Timed> events = new ArrayList<>();
        long startMs = p.start.toEpochMilli();
        long spanMs = Duration.ofDays(p.days).toMillis();
        int total = p.readsPerDay * p.days;
        for (int i = 0; i < total; i++) {
            long t = startMs + (long) (random.nextDouble() * spanMs);
            String upn = user(userDist.sample(random.nextDouble()));
            String id = object(objectDist.sample(random.nextDouble()));
            events.add(qualifying(t, upn, id, random.nextInt(10) == 0));
            if (random.nextDouble() < p.noiseShare) {
                events.add(new Timed(t + random.nextInt(5000), noise(t, upn, id), null));
            }
        }
        if (p.boundaryCases) {
            addBoundaryCases(events, startMs);
        }
        events.sort(Comparator.comparingLong(Timed::time));

        // Messages leave in time order, but each event may be held back by up to maxDisorder: that is the disorder a
        // consumer sees when Azure Monitor batches and several partitions interleave.
        long disorder = p.maxDisorder.toMillis();
        List<long[]> order = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            long delay = disorder == 0 ? 0 : (long) (random.nextDouble() * disorder);
            order.add(new long[] {events.get(i).time() + delay, i});
        }
        order.sort(Comparator.<long[]>comparingLong(a -> a[0]).thenComparingLong(a -> a[1]));

        List<String> lines = new ArrayList<>();
        List<Read> reads = new ArrayList<>();
        int badRecords = 0;
        int k = 0;
        while (k < order.size()) {
            int n = 1 + random.nextInt(p.maxRecordsPerEnvelope);
            ArrayNode records = MAPPER.createArrayNode();
            for (int j = 0; j < n && k < order.size(); j++, k++) {
                Timed e = events.get((int) order.get(k)[1]);
                records.add(e.record());
                if (e.read() != null) {
                    reads.add(e.read());
                }
            }
            if (random.nextInt(40) == 0) {
                // a record without a parseable time beside good ones: dead-lettered alone
                records.add(MAPPER.createObjectNode()
                        .put("time", "yesterday")
                        .put("category", "AuditEvent")
                        .put("resourceId", resourceId("kv-broken"))
                        .put("operationName", "SecretGet"));
                badRecords++;
            }
            if (records.size() == 1 && random.nextInt(4) == 0) {
                lines.add(records.get(0).toString()); // a single record without envelope
            } else {
                lines.add(MAPPER.createObjectNode().set("records", records).toString());
            }
        }
        for (int g = 0; g < p.garbageLines; g++) {
            int at = random.nextInt(lines.size() + 1);
            lines.add(
                    at, g % 2 == 0 ? "{\"records\":[{\"time\":\"2026-09-02T00:00:00Z\"" : "{\"records\":{\"oops\":1}}");
        }
        return new Stream(lines, reads, p.garbageLines, badRecords);
    }

    /** The exact cases of the rule's boundary: a term seen at t0, t0+14d−5s and t0+14d+5s, and repeats on the dot. */
    private void addBoundaryCases(List<Timed> events, long startMs) {
        long day = Duration.ofDays(1).toMillis();
        long window = Duration.ofDays(14).toMillis();
        long t0 = startMs + 2 * day + 3_600_000;
        String upn = "boundary.tester@contoso.com";
        String id = "https://kv-boundary.vault.azure.net/secrets/edge-case";
        events.add(qualifying(t0, upn, id, false));
        events.add(qualifying(t0 + window - 5_000, upn, id, false));
        events.add(qualifying(t0 + window + 5_000, upn, id, false));
        // exactly 14 days apart: still within the window, no alert
        String id2 = "https://kv-boundary.vault.azure.net/secrets/exactly-fourteen-days";
        events.add(qualifying(t0, upn, id2, false));
        events.add(qualifying(t0 + window, upn, id2, false));
        // one millisecond more than 14 days: alerts again
        String id3 = "https://kv-boundary.vault.azure.net/secrets/just-over";
        events.add(qualifying(t0, upn, id3, false));
        events.add(qualifying(t0 + window + 1, upn, id3, false));
        // two reads in the same millisecond: one alert
        String id4 = "https://kv-boundary.vault.azure.net/secrets/same-instant";
        events.add(qualifying(t0 + day, upn, id4, false));
        events.add(qualifying(t0 + day, upn, id4, false));
    }

    private Timed qualifying(long t, String upn, String id, boolean controlPlane) {
        ObjectNode r = baseRecord(t, vaultOf(id));
        ObjectNode claim = r.putObject("identity").putObject("claim");
        if (controlPlane) {
            // ARM calls carry the long claim URI; the object is the vault itself
            id = "https://" + vaultOf(id) + ".vault.azure.net/";
            r.put("operationName", "VaultGet");
            claim.put(UPN_CLAIM_URI, upn).put("appid", "18a26e1c-6f0b-4a0a-8d6e-2d3b1c0e9f7a");
        } else {
            r.put("operationName", READS[random.nextInt(READS.length)]);
            claim.put("oid", "6f1c4b0e-2a7d-4c55-9d0e-3b1f7a9c2e41")
                    .put("appid", "04b07795-8ddb-461a-bbee-02f9e1bf7b46")
                    .put("upn", upn)
                    .put("unique_name", upn);
        }
        int status = random.nextInt(25) == 0 ? 403 : 200;
        r.put("resultSignature", status == 200 ? "OK" : "Forbidden");
        ObjectNode props = r.putObject("properties");
        props.put("clientInfo", "azsdk-java-security-keyvault/4.8.0")
                .put("httpStatusCode", status)
                .put("requestUri", id + "?api-version=7.5")
                .put("isRbacAuthorized", true)
                .put("tlsVersion", "TLS1_3")
                .put("id", id);
        if (p.padRecords) {
            props.put("padding", "x".repeat(600)); // real records carry more claims and properties: ~1.5 KB each
        }
        if (!controlPlane && random.nextInt(12) == 0) {
            return new Timed(t, ecs(t, upn, id, status), new Read(upn, id, t));
        }
        return new Timed(t, r, new Read(upn, id, t));
    }

    /** A record that must not count: a write, a list without an object id, an app-only token, or another category. */
    private ObjectNode noise(long t, String upn, String id) {
        ObjectNode r = baseRecord(t, vaultOf(id));
        switch (random.nextInt(5)) {
            case 0 -> {
                r.put("operationName", "SecretSet");
                r.putObject("identity").putObject("claim").put("upn", upn);
                r.putObject("properties").put("id", id).put("httpStatusCode", 200);
            }
            case 1 -> {
                r.put("operationName", "SecretList");
                r.putObject("identity").putObject("claim").put("upn", upn);
                r.putObject("properties")
                        .put("httpStatusCode", 200)
                        .put("requestUri", "https://" + vaultOf(id) + ".vault.azure.net/secrets");
            }
            case 2 -> {
                r.put("operationName", "SecretGet");
                r.putObject("identity")
                        .putObject("claim")
                        .put("appid", "7c9e6679-7425-40de-944b-e07fc1f90ae7")
                        .put("idtyp", "app");
                r.putObject("properties").put("id", id).put("httpStatusCode", 200);
            }
            case 3 -> {
                r.put("operationName", "SecretGet").put("resultType", "Failure");
                r.putObject("identity").putObject("claim").put("upn", upn);
                r.putObject("properties").put("id", id).put("httpStatusCode", 500);
            }
            default -> {
                r.put("category", "AppServiceHTTPLogs")
                        .put("operationName", "Microsoft.Web/sites/log")
                        .put(
                                "resourceId",
                                "/SUBSCRIPTIONS/0B1F6471/RESOURCEGROUPS/WEB/PROVIDERS/MICROSOFT.WEB/SITES/SHOP");
                r.putObject("properties").put("CsMethod", "GET").put("ScStatus", 200);
            }
        }
        return r;
    }

    private ObjectNode baseRecord(long t, String vault) {
        ObjectNode r = MAPPER.createObjectNode();
        r.put("time", azureTime(t));
        r.put("category", "AuditEvent");
        r.put("resourceId", resourceId(vault));
        r.put("operationVersion", "7.5");
        r.put("resultType", "Success");
        r.put("durationMs", Integer.toString(5 + random.nextInt(200)));
        r.put("callerIpAddress", "198.51.100." + (1 + random.nextInt(250)));
        r.put("correlationId", new java.util.UUID(random.nextLong(), random.nextLong()).toString());
        return r;
    }

    private ObjectNode ecs(long t, String upn, String id, int status) {
        ObjectNode d = MAPPER.createObjectNode();
        String ts = Instant.ofEpochMilli(t).toString();
        d.put("@timestamp", Instant.ofEpochMilli(t - 1500).toString());
        d.putObject("event")
                .put("dataset", "azure.platformlogs")
                .put("action", "SecretGet")
                .put("outcome", "success")
                .put("kind", "event")
                .put("ingested", ts);
        ObjectNode pl = d.putObject("azure").putObject("platformlogs");
        pl.put("category", "AuditEvent").put("operation_name", "SecretGet").put("result_type", "Success");
        pl.putObject("identity")
                .putObject("claim")
                .put("upn", upn)
                .put("appid", "04b07795-8ddb-461a-bbee-02f9e1bf7b46");
        pl.putObject("properties").put("id", id).put("httpStatusCode", status).put("clientInfo", "AzureCLI/2.66.0");
        ((ObjectNode) d.get("azure"))
                .putObject("resource")
                .put("name", vaultOf(id).toUpperCase());
        d.putObject("source").put("ip", "198.51.100.77");
        d.putObject("data_stream").put("dataset", "azure.platformlogs");
        return d;
    }

    /** A time as Azure writes it: UTC with seven fractional digits. */
    public static String azureTime(long t) {
        String iso = Instant.ofEpochMilli(t).toString(); // ...T08:14:03.120Z or ...T08:14:03Z
        String base = iso.substring(0, 19);
        String millis = iso.length() > 20 ? iso.substring(20, iso.length() - 1) : "";
        return base + "." + (millis + "0000000").substring(0, 7) + "Z"; // Azure writes seven fractional digits
    }

    private static String resourceId(String vault) {
        return "/SUBSCRIPTIONS/0B1F6471-1BF0-4DDA-AEC3-CB9272F09590/RESOURCEGROUPS/SEC-PLATFORM/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/"
                + vault.toUpperCase();
    }

    private static String user(int i) {
        return "user" + i + "@contoso.com";
    }

    private static String object(int i) {
        String[] kinds = {"secrets", "keys", "certificates"};
        return "https://kv-team" + (i % 7) + ".vault.azure.net/" + kinds[i % 3] + "/object-" + i;
    }

    private static String vaultOf(String id) {
        String host = id.substring("https://".length(), id.indexOf('.'));
        return host;
    }

    /** The shapes file, whose lines end the bundled sample after the generated ones. */
    public static final Path SHAPES = Path.of("src/test/resources/samples/keyvault-auditevent-shapes.ndjson");

    /** The generated part of the bundled sample, {@code src/main/resources/samples/keyvault-audit-sample.ndjson}. */
    public static Profile bundledSample() {
        return new Profile()
                .seed(7)
                .start(Instant.parse("2026-10-05T00:00:00Z"))
                .days(24)
                .users(10)
                .objects(24)
                .readsPerDay(25)
                .maxRecordsPerEnvelope(6)
                .garbageLines(3);
    }

    /**
     * Writes the bundled sample (the generated lines, then the shapes file's): {@code mvn -q test-compile exec:exec ...}
     * is not needed; run from an IDE or jshell.
     */
    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "src/main/resources/samples/keyvault-audit-sample.ndjson");
        Stream s = generate(bundledSample());
        s.writeTo(out);
        Files.write(
                out,
                Files.readAllLines(SHAPES, StandardCharsets.UTF_8),
                StandardCharsets.UTF_8,
                StandardOpenOption.APPEND);
        System.out.println(s.lines().size() + " messages and the shapes file's, "
                + s.reads().size() + " qualifying reads, "
                + NewTermsOracle.expectedAlerts(s.reads(), Duration.ofDays(14)).size() + " expected alerts -> " + out);
    }
}
