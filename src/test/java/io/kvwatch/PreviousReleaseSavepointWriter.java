package io.kvwatch;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvwatch.config.JobConfig;
import io.kvwatch.testing.AlertFields;
import io.kvwatch.testing.AuditStreamGenerator;
import io.kvwatch.testing.CollectingOutputs;
import io.kvwatch.testing.LoopbackMiniCluster;
import io.kvwatch.testing.NewTermsOracle;
import io.kvwatch.testing.WatchedDirectoryInput;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Writes the test resource of {@code PreviousReleaseSavepointTest}: run at a release's commit with
 * {@code -Dkvwatch.write-release-savepoint=DIR}, it runs the job over the first part of a generated stream, stops it
 * with a savepoint mid-stream (pending alerts and all) and writes the savepoint, both parts of the input, the alerts
 * given before the stop and the oracle's alerts of the whole stream to DIR.
 */
@EnabledIfSystemProperty(named = "kvwatch.write-release-savepoint", matches = ".+")
class PreviousReleaseSavepointWriter {

    /** Both runs read here: the savepoint's file source state names this path. */
    static final Path INPUT = Path.of("/tmp/kvwatch-release-savepoint-input");

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(LoopbackMiniCluster.withSlots(2));

    @Test
    void write() throws Exception {
        Path out = Path.of(System.getProperty("kvwatch.write-release-savepoint"));
        Files.createDirectories(out);
        AuditStreamGenerator.Stream stream = AuditStreamGenerator.generate(new AuditStreamGenerator.Profile()
                .seed(2026)
                .days(21)
                .users(12)
                .objects(25)
                .readsPerDay(40)
                .garbageLines(2));
        int cut = stream.lines().size() * 2 / 3;
        // Part 1 ends with first reads just before its last record's time: their alerts wait for the watermark,
        // so the savepoint holds pending alerts too.
        List<String> part1 = new ArrayList<>(stream.lines().subList(0, cut));
        long last = part1.stream()
                .flatMap(l -> java.util.regex.Pattern.compile("\"time\":\"([^\"]+)\"")
                        .matcher(l)
                        .results()
                        .map(m -> m.group(1))
                        .filter(s -> s.matches("\\d{4}-.*Z"))
                        .map(s -> Instant.parse(s).toEpochMilli()))
                .max(Long::compare)
                .orElseThrow();
        List<AuditStreamGenerator.Read> reads = new ArrayList<>(stream.reads());
        StringBuilder envelope = new StringBuilder("{\"records\":[");
        for (int i = 1; i <= 3; i++) {
            long t = last - 1000L * i;
            String upn = "pending" + i + "@contoso.com";
            String id = "https://kv-team0.vault.azure.net/secrets/pending-" + i;
            reads.add(new AuditStreamGenerator.Read(upn, id, t));
            envelope.append(i > 1 ? "," : "")
                    .append("{\"time\":\"")
                    .append(AuditStreamGenerator.azureTime(t))
                    .append(
                            "\",\"category\":\"AuditEvent\",\"resourceId\":\"/SUBSCRIPTIONS/0B1F6471-1BF0-4DDA-AEC3-CB9272F09590/RESOURCEGROUPS/SEC-PLATFORM/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV-TEAM0\",")
                    .append("\"operationName\":\"SecretGet\",\"resultType\":\"Success\",\"resultSignature\":\"OK\",")
                    .append("\"callerIpAddress\":\"198.51.100.7\",\"correlationId\":\"pending-")
                    .append(i)
                    .append("\",")
                    .append("\"identity\":{\"claim\":{\"upn\":\"")
                    .append(upn)
                    .append("\"}},")
                    .append("\"properties\":{\"id\":\"")
                    .append(id)
                    .append("\",\"httpStatusCode\":200}}");
        }
        part1.add(envelope.append("]}").toString());
        Files.write(out.resolve("part1.ndjson"), part1, StandardCharsets.UTF_8);
        Files.write(
                out.resolve("part2.ndjson"),
                stream.lines().subList(cut, stream.lines().size()),
                StandardCharsets.UTF_8);
        List<String> expected = new ArrayList<>();
        NewTermsOracle.expectedAlerts(reads, Duration.ofDays(14)).stream()
                .sorted(Comparator.comparingLong(AuditStreamGenerator.Read::time))
                .forEach(r -> expected.add(r.upn() + "\t" + r.objectId() + "\t" + Instant.ofEpochMilli(r.time())));
        Files.write(out.resolve("expected-alerts.tsv"), expected, StandardCharsets.UTF_8);

        deleteRecursively(INPUT);
        Files.createDirectories(INPUT);
        Files.copy(out.resolve("part1.ndjson"), INPUT.resolve("part1.ndjson"));

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        CollectingOutputs outputs = new CollectingOutputs();
        new KeyVaultNewTermsJob(
                        JobConfig.of(Map.of("parallelism", "2", "idleness", "1 s")),
                        new WatchedDirectoryInput(INPUT.toString()),
                        outputs)
                .build(env);
        JobClient job = env.executeAsync("previous release");
        // Most of part 1's alerts out means part 1 was read; the rest wait for the watermark, in the savepoint.
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        int part1Alerts = (int) (expected.size() * 0.5);
        while (outputs.alerts().size() < part1Alerts && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(outputs.alerts()).as("alerts of part 1 within 60 s").hasSizeGreaterThanOrEqualTo(part1Alerts);
        Thread.sleep(2000); // the rest of part 1, so that the cut is past the file's end
        String savepoint = job.stopWithSavepoint(
                        false, out.resolve("savepoint").toUri().toString(), SavepointFormatType.CANONICAL)
                .get();
        List<String> before = new ArrayList<>();
        for (String a : outputs.alerts()) {
            AuditStreamGenerator.Read r = AlertFields.asRead(a);
            before.add(r.upn() + "\t" + r.objectId() + "\t" + Instant.ofEpochMilli(r.time()));
        }
        Files.write(out.resolve("alerts-before.tsv"), before, StandardCharsets.UTF_8);
        assertThat(before)
                .as("the pending first reads wait for the watermark: in the savepoint, not out yet")
                .noneMatch(line -> line.startsWith("pending"));
        System.out.println("savepoint " + savepoint + ", " + outputs.alerts().size() + " alerts before, "
                + expected.size() + " expected in all");
        deleteRecursively(INPUT);
    }

    static void deleteRecursively(Path dir) throws java.io.IOException {
        if (Files.exists(dir)) {
            try (var paths = Files.walk(dir)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}
