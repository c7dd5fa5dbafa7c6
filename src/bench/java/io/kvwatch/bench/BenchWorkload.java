package io.kvwatch.bench;

import io.kvwatch.testing.AuditStreamGenerator;
import io.kvwatch.testing.Zipf;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The benchmark's input, as Azure Monitor sends it to an Event Hub: {@code {"records":[...]}} envelopes of 1 to 50
 * Key Vault {@code AuditEvent} records of about 1.5 KB, in the shapes of {@code src/test/resources/samples} (data-plane
 * reads, refused reads, control-plane VaultGet with the long UPN claim, ECS documents, lists without an object id,
 * app-only tokens, writes, other categories, single records without an envelope).
 *
 * <p>The terms form a grid of {@code users × objects}. The preload phase reads every term once (all new), so the
 * detector holds exactly that many terms; the measured phase then draws users and objects from Zipf distributions over
 * the grid (repeats) and, for {@link #NEW_TERM_SHARE} of the counting records, an object never seen before (new).
 * Event time: the preload spans six hours; the measured phase starts a day later, 2 ms apart per record, with a few
 * seconds of disorder. Text is built from templates rather than a JSON library so that generating 10 M preload
 * records stays cheap next to the job that reads them.
 */
public final class BenchWorkload {

    static final double NEW_TERM_SHARE = 0.05;
    /** Records that do not count for the rule (writes, lists, app-only, other categories): about one in ten. */
    static final double NOISE_SHARE = 0.10;

    static final int MAX_RECORDS_PER_ENVELOPE = 50;
    static final int PRELOAD_RECORDS_PER_ENVELOPE = 50;
    static final Instant T0 = Instant.parse("2026-09-01T00:00:00Z");
    static final long PRELOAD_SPAN_MS = Duration.ofHours(6).toMillis();
    static final long MEASURE_START_MS = T0.toEpochMilli() + Duration.ofDays(1).toMillis();

    private static final String UPN_CLAIM_URI = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn";
    private static final String[] READS = {
        "SecretGet",
        "SecretGet",
        "SecretGet",
        "KeyGet",
        "CertificateGet",
        "SecretListVersions",
        "KeyGetDeleted",
        "CertificatePolicyGet"
    };
    private static final String[] KINDS = {"secrets", "keys", "certificates"};
    /** One object in this many is a vault itself, read through ARM (VaultGet, long UPN claim). */
    private static final int VAULT_OBJECT_EVERY = 40;

    final int users;
    final int objects;
    final long terms;

    /** The measured phase: messages (envelopes or single records) and what they hold. */
    public record Measured(
            String[] messages, int[] recordsPerMessage, long records, long counting, long newTerms, long bytes) {
        /** The first message timed: the first quarter warms up the code of the measured shapes, untimed. */
        int timedFrom() {
            return messages.length / 4;
        }

        /** Records in the messages from {@code from} on. */
        long recordsFrom(int from) {
            long n = 0;
            for (int i = from; i < recordsPerMessage.length; i++) {
                n += recordsPerMessage[i];
            }
            return n;
        }
    }

    public BenchWorkload(long terms) {
        this.terms = terms;
        // A wider object axis than user axis: tenants have more secrets than people reading them.
        int u = (int) Math.max(1, Math.sqrt(terms / 10.0));
        while (terms % u != 0) {
            u--;
        }
        this.users = u;
        this.objects = (int) (terms / u);
    }

    // ---- preload: every grid term once, compact records, in term order ----

    public long preloadEnvelopes() {
        return (terms + PRELOAD_RECORDS_PER_ENVELOPE - 1) / PRELOAD_RECORDS_PER_ENVELOPE;
    }

    /** Envelope {@code e} of the preload: terms {@code [50e, 50e + 50)}, all reads, unpadded. */
    public String preloadEnvelope(long e) {
        StringBuilder sb = new StringBuilder(PRELOAD_RECORDS_PER_ENVELOPE * 900).append("{\"records\":[");
        long from = e * PRELOAD_RECORDS_PER_ENVELOPE;
        long to = Math.min(terms, from + PRELOAD_RECORDS_PER_ENVELOPE);
        for (long t = from; t < to; t++) {
            if (t > from) {
                sb.append(',');
            }
            int u = (int) (t / objects);
            int o = (int) (t % objects);
            long time = T0.toEpochMilli() + t * PRELOAD_SPAN_MS / terms;
            appendRead(sb, time, u, o, 200, false, (int) (t & 0xff), t);
        }
        return sb.append("]}").toString();
    }

    // ---- measured phase ----

    public Measured measured(long records, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Zipf userDist = new Zipf(users, 1.1);
        Zipf objectDist = new Zipf(objects, 1.0);
        List<String> messages = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        long made = 0;
        long counting = 0;
        long fresh = 0;
        long bytes = 0;
        int nextNewObject = objects;
        StringBuilder sb = new StringBuilder(1 << 17);
        while (made < records) {
            int n = (int) Math.min(records - made, 1 + random.nextInt(MAX_RECORDS_PER_ENVELOPE));
            boolean bare = n == 1 && random.nextInt(4) == 0;
            sb.setLength(0);
            if (!bare) {
                sb.append("{\"records\":[");
            }
            for (int j = 0; j < n; j++, made++) {
                if (j > 0) {
                    sb.append(',');
                }
                long time = MEASURE_START_MS + made * 2 - random.nextInt(5_000);
                int u = userDist.sample(random.nextDouble()) - 1;
                if (random.nextDouble() < NOISE_SHARE) {
                    appendNoise(sb, time, u, objectDist.sample(random.nextDouble()) - 1, random.nextInt(5), made);
                    continue;
                }
                int o;
                if (random.nextDouble() < NEW_TERM_SHARE) {
                    o = nextNewObject++;
                    fresh++;
                } else {
                    o = objectDist.sample(random.nextDouble()) - 1;
                }
                counting++;
                int status = random.nextInt(25) == 0 ? 403 : 200;
                if (random.nextInt(20) == 0 && !isVault(o)) {
                    appendEcs(sb, time, u, o, status, made);
                } else {
                    appendRead(sb, time, u, o, status, true, random.nextInt(250), made);
                }
            }
            if (!bare) {
                sb.append("]}");
            }
            String m = sb.toString();
            bytes += m.length();
            messages.add(m);
            counts.add(n);
        }
        return new Measured(
                messages.toArray(String[]::new),
                counts.stream().mapToInt(Integer::intValue).toArray(),
                made,
                counting,
                fresh,
                bytes);
    }

    // ---- the record shapes ----

    static String upn(int u) {
        return "user" + u + "@contoso.com";
    }

    static String vault(int o) {
        return "kv-team" + (o % 97);
    }

    static boolean isVault(int o) {
        return o % VAULT_OBJECT_EVERY == 0;
    }

    static String objectId(int o) {
        if (isVault(o)) {
            return "https://" + vault(o) + ".vault.azure.net/";
        }
        return "https://" + vault(o) + ".vault.azure.net/" + KINDS[o % 3] + "/object-" + o + "/"
                + Long.toHexString(0x9e3779b97f4a7c15L * (o + 1)) + Long.toHexString(0xbf58476d1ce4e5b9L * (o + 7));
    }

    private static String resourceId(int o) {
        return "/SUBSCRIPTIONS/0B1F6471-1BF0-4DDA-AEC3-CB9272F09590/RESOURCEGROUPS/SEC-PLATFORM/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/"
                + vault(o).toUpperCase();
    }

    private static void appendHead(StringBuilder sb, long time, int o, String operation, String resultType, long seq) {
        sb.append("{\"time\":\"")
                .append(AuditStreamGenerator.azureTime(time))
                .append("\",\"category\":\"AuditEvent\",\"resourceId\":\"")
                .append(resourceId(o))
                .append("\",\"operationName\":\"")
                .append(operation)
                .append("\",\"operationVersion\":\"7.5\",\"resultType\":\"")
                .append(resultType)
                .append("\",\"durationMs\":\"")
                .append(5 + seq % 200)
                .append("\",\"correlationId\":\"")
                .append(uuid(seq))
                .append('"');
    }

    /**
     * A read that counts: data plane (short {@code upn} claim) or, for a vault object, control plane through ARM (the
     * long claim URI only). {@code padded}: the claims and properties real records carry, to about 1.5 KB.
     */
    private static void appendRead(
            StringBuilder sb, long time, int u, int o, int status, boolean padded, int ip, long seq) {
        boolean controlPlane = isVault(o);
        String id = objectId(o);
        appendHead(sb, time, o, controlPlane ? "VaultGet" : READS[(int) (seq % READS.length)], "Success", seq);
        sb.append(",\"resultSignature\":\"")
                .append(status == 200 ? "OK" : "Forbidden")
                .append("\",\"callerIpAddress\":\"198.51.100.")
                .append(1 + ip)
                .append('"');
        sb.append(",\"identity\":{\"claim\":{");
        if (controlPlane) {
            sb.append('"').append(UPN_CLAIM_URI).append("\":\"").append(upn(u)).append("\",");
        } else {
            sb.append("\"upn\":\"")
                    .append(upn(u))
                    .append("\",\"unique_name\":\"")
                    .append(upn(u))
                    .append("\",");
        }
        sb.append("\"oid\":\"")
                .append(uuid(u * 31L + 5))
                .append("\",\"appid\":\"04b07795-8ddb-461a-bbee-02f9e1bf7b46\"");
        if (padded) {
            sb.append(
                            ",\"http://schemas.microsoft.com/identity/claims/tenantid\":\"72f988bf-86f1-41af-91ab-2d7cd011db47\"")
                    .append(",\"http://schemas.microsoft.com/identity/claims/objectidentifier\":\"")
                    .append(uuid(u * 31L + 5))
                    .append("\",\"scp\":\"user_impersonation\",\"appidacr\":\"0\",\"idtyp\":\"user\",\"ver\":\"1.0\"")
                    .append(",\"ipaddr\":\"198.51.100.")
                    .append(1 + ip)
                    .append("\",\"name\":\"User ")
                    .append(u)
                    .append(
                            "\",\"xms_az_nwperimid\":[],\"xms_mirid\":\"/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourcegroups/sec-platform/providers/Microsoft.ManagedIdentity/userAssignedIdentities/none\"");
        }
        sb.append("}}");
        sb.append(",\"properties\":{\"id\":\"")
                .append(id)
                .append("\",\"requestUri\":\"")
                .append(id)
                .append("?api-version=7.5\",\"httpStatusCode\":")
                .append(status)
                .append(",\"clientInfo\":\"azsdk-net-Security.KeyVault.Secrets/4.6.0 (.NET 8.0.8; Ubuntu 22.04)\"");
        if (padded) {
            sb.append(
                            ",\"isRbacAuthorized\":true,\"tlsVersion\":\"TLS1_3\",\"addrAuthType\":\"Public\",\"trustedService\":\"false\"")
                    .append(
                            ",\"isAccessPolicyMatch\":false,\"properties\":{\"attributes\":{\"enabled\":true,\"created\":1725148800,\"updated\":1725148800,\"recoveryLevel\":\"Recoverable+Purgeable\",\"recoverableDays\":90}}");
        }
        sb.append("}}");
    }

    /** An ECS document as Elastic's Azure integration indexes it (sample line 8), padded like the raw records. */
    private static void appendEcs(StringBuilder sb, long time, int u, int o, int status, long seq) {
        String ts = Instant.ofEpochMilli(time).toString();
        String id = objectId(o);
        sb.append("{\"@timestamp\":\"")
                .append(Instant.ofEpochMilli(time - 1500))
                .append(
                        "\",\"ecs\":{\"version\":\"8.11.0\"},\"data_stream\":{\"dataset\":\"azure.platformlogs\",\"namespace\":\"default\",\"type\":\"logs\"}")
                .append(
                        ",\"event\":{\"dataset\":\"azure.platformlogs\",\"action\":\"SecretGet\",\"outcome\":\"success\",\"kind\":\"event\",\"ingested\":\"")
                .append(ts)
                .append("\",\"duration\":41000000}")
                .append(",\"azure\":{\"resource\":{\"name\":\"")
                .append(vault(o).toUpperCase())
                .append("\",\"id\":\"")
                .append(resourceId(o))
                .append(
                        "\",\"provider\":\"MICROSOFT.KEYVAULT/VAULTS\",\"group\":\"SEC-PLATFORM\"},\"subscription_id\":\"0B1F6471-1BF0-4DDA-AEC3-CB9272F09590\"")
                .append(",\"correlation_id\":\"")
                .append(uuid(seq))
                .append(
                        "\",\"platformlogs\":{\"category\":\"AuditEvent\",\"operation_name\":\"SecretGet\",\"result_type\":\"Success\",\"result_signature\":\"OK\"")
                .append(",\"identity\":{\"claim\":{\"upn\":\"")
                .append(upn(u))
                .append("\",\"appid\":\"04b07795-8ddb-461a-bbee-02f9e1bf7b46\",\"oid\":\"")
                .append(uuid(u * 31L + 5))
                .append("\"}}")
                .append(",\"properties\":{\"id\":\"")
                .append(id)
                .append("\",\"requestUri\":\"")
                .append(id)
                .append("?api-version=7.5\",\"httpStatusCode\":")
                .append(status)
                .append(",\"clientInfo\":\"AzureCLI/2.66.0\",\"isRbacAuthorized\":true,\"tlsVersion\":\"TLS1_3\"}}}")
                .append(
                        ",\"source\":{\"ip\":\"198.51.100.77\",\"geo\":{\"country_iso_code\":\"NL\"}},\"cloud\":{\"provider\":\"azure\",\"region\":\"westeurope\"}")
                .append(",\"user\":{\"name\":\"")
                .append(upn(u))
                .append("\"},\"tags\":[\"forwarded\",\"azure-platformlogs\"]}");
    }

    /** What must not count (sample lines 3, 5, 6, 12, and a failed read). */
    private static void appendNoise(StringBuilder sb, long time, int u, int o, int kind, long seq) {
        switch (kind) {
            case 0 -> { // a write
                appendHead(sb, time, o, "SecretSet", "Success", seq);
                sb.append(",\"identity\":{\"claim\":{\"upn\":\"")
                        .append(upn(u))
                        .append("\"}},\"properties\":{\"id\":\"")
                        .append(objectId(o))
                        .append("\",\"httpStatusCode\":200}}");
            }
            case 1 -> { // a list: no object id
                appendHead(sb, time, o, "SecretList", "Success", seq);
                sb.append(",\"identity\":{\"claim\":{\"upn\":\"")
                        .append(upn(u))
                        .append("\"}},\"properties\":{\"httpStatusCode\":200,\"requestUri\":\"https://")
                        .append(vault(o))
                        .append(".vault.azure.net/secrets?api-version=7.5\"}}");
            }
            case 2 -> { // an app-only token: no upn
                appendHead(sb, time, o, "SecretGet", "Success", seq);
                sb.append(
                                ",\"identity\":{\"claim\":{\"appid\":\"7c9e6679-7425-40de-944b-e07fc1f90ae7\",\"idtyp\":\"app\"}},\"properties\":{\"id\":\"")
                        .append(objectId(o))
                        .append("\",\"httpStatusCode\":200}}");
            }
            case 3 -> { // failed
                appendHead(sb, time, o, "SecretGet", "Failure", seq);
                sb.append(",\"identity\":{\"claim\":{\"upn\":\"")
                        .append(upn(u))
                        .append("\"}},\"properties\":{\"id\":\"")
                        .append(objectId(o))
                        .append("\",\"httpStatusCode\":500}}");
            }
            default -> // another category in the same hub
                sb.append("{\"time\":\"")
                        .append(AuditStreamGenerator.azureTime(time))
                        .append("\",\"category\":\"AppServiceHTTPLogs\",\"operationName\":\"Microsoft.Web/sites/log\"")
                        .append(
                                ",\"resourceId\":\"/SUBSCRIPTIONS/0B1F6471/RESOURCEGROUPS/WEB/PROVIDERS/MICROSOFT.WEB/SITES/SHOP\",\"properties\":{\"CsMethod\":\"GET\",\"CsUriStem\":\"/api/cart\",\"ScStatus\":200,\"TimeTaken\":12}}");
        }
    }

    private static String uuid(long seq) {
        return new java.util.UUID(0x2f3e0c1179b44a5eL ^ (seq * 0x9e3779b97f4a7c15L), 0x8d1d5c7e1b2a9f60L + seq)
                .toString();
    }
}
