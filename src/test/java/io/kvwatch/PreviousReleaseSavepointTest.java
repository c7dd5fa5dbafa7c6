package io.kvwatch;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvwatch.config.JobConfig;
import io.kvwatch.testing.AlertFields;
import io.kvwatch.testing.AuditStreamGenerator;
import io.kvwatch.testing.CollectingOutputs;
import io.kvwatch.testing.LoopbackMiniCluster;
import io.kvwatch.testing.WatchedDirectoryInput;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * State from the previous release: the savepoint release 0.1.0 took mid-stream (term histories, timers and alerts
 * still waiting for the watermark; see the resource's README) restores into the current job, at another parallelism,
 * and the job goes on to give exactly the rest of the independent oracle's alerts: none lost, none repeated.
 */
class PreviousReleaseSavepointTest {

    private static final Path RELEASE = Path.of("src/test/resources/release-savepoints/0.1.0-a7c4d50");

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(LoopbackMiniCluster.withSlots(2));

    @AfterEach
    void removeInput() throws Exception {
        PreviousReleaseSavepointWriter.deleteRecursively(PreviousReleaseSavepointWriter.INPUT);
    }

    @Test
    void savepointOfRelease010RestoresAndTheRestOfTheAlertsFollow() throws Exception {
        Path input = PreviousReleaseSavepointWriter.INPUT;
        PreviousReleaseSavepointWriter.deleteRecursively(input);
        Files.createDirectories(input);
        Files.copy(RELEASE.resolve("part1.ndjson"), input.resolve("part1.ndjson"));
        Files.copy(RELEASE.resolve("part2.ndjson"), input.resolve("part2.ndjson"));
        // A read two days after the rest moves the watermark past every record, so that every alert leaves.
        long end = Instant.parse("2026-09-24T00:00:00Z").toEpochMilli();
        Files.writeString(
                input.resolve("part3.ndjson"),
                "{\"time\":\"" + AuditStreamGenerator.azureTime(end)
                        + "\",\"category\":\"AuditEvent\",\"resourceId\":\"/SUBSCRIPTIONS/S/RESOURCEGROUPS/G/PROVIDERS/"
                        + "MICROSOFT.KEYVAULT/VAULTS/KV-TEAM0\",\"operationName\":\"SecretGet\",\"resultType\":\"Success\","
                        + "\"identity\":{\"claim\":{\"upn\":\"watermark@contoso.com\"}},\"properties\":{\"id\":"
                        + "\"https://kv-team0.vault.azure.net/secrets/end\",\"httpStatusCode\":200}}\n");

        List<String> before = Files.readAllLines(RELEASE.resolve("alerts-before.tsv"), StandardCharsets.UTF_8);
        List<String> expected = Files.readAllLines(RELEASE.resolve("expected-alerts.tsv"), StandardCharsets.UTF_8);
        List<String> expectedAfter = new ArrayList<>(expected);
        before.forEach(expectedAfter::remove);
        assertThat(expectedAfter)
                .as("the resource: alerts before the stop are the oracle's")
                .hasSize(expected.size() - before.size())
                .as("the savepoint holds alerts that waited for the watermark")
                .anyMatch(line -> line.startsWith("pending"));

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        CollectingOutputs outputs = new CollectingOutputs();
        String savepoint =
                RELEASE.resolve("savepoint/sp").toAbsolutePath().toUri().toString();
        new KeyVaultNewTermsJob(
                        JobConfig.of(Map.of("parallelism", "1", "idleness", "1 s", "savepoint", savepoint)),
                        new WatchedDirectoryInput(input.toString()),
                        outputs)
                .build(env);
        JobClient job = env.executeAsync("restore the previous release's savepoint");
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (outputs.alerts().size() < expectedAfter.size()) {
                JobStatus status = job.getJobStatus().get();
                assertThat(status.isGloballyTerminalState())
                        .as("the job restored from release 0.1.0's savepoint is still running, but is %s", status)
                        .isFalse();
                assertThat(System.nanoTime())
                        .as(
                                "%d of %d alerts within 90 s: %s",
                                outputs.alerts().size(), expectedAfter.size(), outputs.alerts())
                        .isLessThan(deadline);
                Thread.sleep(50);
            }
        } finally {
            job.cancel().get();
            job.getJobExecutionResult().handle((result, failure) -> null).get(); // gone before its input is deleted
        }

        List<String> after = new ArrayList<>();
        for (String alert : outputs.alerts()) {
            AuditStreamGenerator.Read r = AlertFields.asRead(alert);
            after.add(r.upn() + "\t" + r.objectId() + "\t" + Instant.ofEpochMilli(r.time()));
        }
        assertThat(after)
                .as("after the restore: exactly the oracle's alerts not given before the stop, each once")
                .containsExactlyInAnyOrderElementsOf(expectedAfter);
    }
}
