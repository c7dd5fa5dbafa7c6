package io.kvwatch.bench.jmh;

import io.kvwatch.model.AuditRecord;

/** Inputs for the microbenchmarks, taken from the throughput workload so that both measure the same shapes. */
final class Workloads {

    private Workloads() {}

    /** A {@code {"records":[...]}} envelope of {@code n} padded records: mostly counting reads, a little noise. */
    static String envelope(int n) {
        io.kvwatch.bench.BenchWorkload w = new io.kvwatch.bench.BenchWorkload(1_000_000);
        io.kvwatch.bench.BenchWorkload.Measured m = w.measured(5_000, 3);
        for (int i = 0; i < m.messages().length; i++) {
            if (m.messages()[i].startsWith("{\"records\":") && m.recordsPerMessage()[i] == n) {
                return m.messages()[i];
            }
        }
        throw new IllegalStateException("no envelope of " + n + " records in the sample");
    }

    /** A counting record as the parser makes it. */
    static AuditRecord record(int user, int object, long time) {
        AuditRecord r = new AuditRecord();
        r.ruleTime = time;
        r.originalTime = java.time.Instant.ofEpochMilli(time).toString();
        r.operation = "SecretGet";
        r.outcomeSuccess = true;
        r.httpStatusCode = 200;
        r.resultSignature = "OK";
        r.upn = "user" + user + "@contoso.com";
        r.appId = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
        r.objectId = "https://kv-team" + (object % 97) + ".vault.azure.net/secrets/object-" + object
                + "/5d1c2e9a7b3f4a6e8c0d1e2f3a4b5c6d";
        r.vaultName = "KV-TEAM" + (object % 97);
        r.resourceId =
                "/SUBSCRIPTIONS/0B1F6471-1BF0-4DDA-AEC3-CB9272F09590/RESOURCEGROUPS/SEC-PLATFORM/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/"
                        + r.vaultName;
        r.sourceIp = "198.51.100.23";
        r.requestUri = r.objectId + "?api-version=7.5";
        r.clientInfo = "azsdk-net-Security.KeyVault.Secrets/4.6.0";
        r.correlationId = "2f3e0c11-79b4-4a5e-8d1d-5c7e1b2a9f60";
        r.origin = "bench";
        r.shape = "azure";
        return r;
    }
}
