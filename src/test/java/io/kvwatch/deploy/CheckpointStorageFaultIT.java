package io.kvwatch.deploy;

import static io.kvwatch.deploy.ClusterScenario.ALERTS;
import static io.kvwatch.deploy.ClusterScenario.DEAD_LETTERS;
import static io.kvwatch.deploy.ClusterScenario.TIMEOUT;
import static io.kvwatch.deploy.ClusterScenario.WINDOW;
import static io.kvwatch.deploy.ClusterScenario.advanceEventTimePastTheEnd;
import static io.kvwatch.deploy.ClusterScenario.assertExactlyOnce;
import static io.kvwatch.deploy.ClusterScenario.await;
import static io.kvwatch.deploy.ClusterScenario.awaitAlerts;
import static io.kvwatch.deploy.ClusterScenario.createTopics;
import static io.kvwatch.deploy.ClusterScenario.fourWeeks;
import static io.kvwatch.deploy.ClusterScenario.jobArguments;
import static io.kvwatch.deploy.ClusterScenario.jobFailures;
import static io.kvwatch.deploy.ClusterScenario.jobJar;
import static io.kvwatch.deploy.ClusterScenario.latest;
import static io.kvwatch.deploy.ClusterScenario.millisSince;
import static io.kvwatch.deploy.ClusterScenario.operatorMetric;
import static io.kvwatch.deploy.ClusterScenario.produce;
import static io.kvwatch.deploy.ClusterScenario.producer;
import static io.kvwatch.deploy.ClusterScenario.recommendedCluster;
import static io.kvwatch.deploy.ClusterScenario.settle;
import static io.kvwatch.deploy.ClusterScenario.submit;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.kvwatch.deploy.ClusterScenario.AlertReader;
import io.kvwatch.testing.AuditStreamGenerator;
import io.kvwatch.testing.AuditStreamGenerator.Read;
import io.kvwatch.testing.FlinkStandaloneCluster;
import io.kvwatch.testing.FlinkStandaloneCluster.CheckpointStats;
import io.kvwatch.testing.FlinkStandaloneCluster.TaskManager;
import io.kvwatch.testing.KafkaBroker;
import io.kvwatch.testing.NewTermsOracle;
import io.kvwatch.testing.StorageOutage;
import io.kvwatch.testing.Wait;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobStatus;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The checkpoint storage unavailable for a while, twice, then a crash: the job configured like
 * flink-conf/config.yaml ({@code execution.checkpointing.tolerable-failed-checkpoints: 3}), exactly-once to Kafka.
 *
 * <ol>
 *   <li>An outage of {@value #TOLERABLE} failed checkpoints, the most the configuration tolerates: the job stays
 *       RUNNING and keeps reading and detecting (its alerts wait in open transactions: exactly-once commits them with
 *       the next completed checkpoint), no failover; checkpoints complete again once the storage is back.
 *   <li>An outage past it: the next failed checkpoint fails the job over; it restarts (with the restart strategy's
 *       back-off) and restores its latest checkpoint once the storage is back, then checkpoints again.
 *   <li>{@code kill -9} of the TaskManager after checkpoints resumed: the job restores the latest checkpoint, and the
 *       alert topic read {@code read_committed} holds exactly the alerts of {@link NewTermsOracle}, each once.
 * </ol>
 *
 * <p>The outage: the cluster's checkpoint directory is renamed away and a regular file put at its path
 * ({@link StorageOutage}; tests run as root, so permissions would not stop writes); then given back whole.
 *
 * <p>Prints the measured figures.
 */
class CheckpointStorageFaultIT {

    /** {@code execution.checkpointing.tolerable-failed-checkpoints} of flink-conf/config.yaml. */
    private static final int TOLERABLE = 3;

    /** How long the second outage lasts after the job failed over: the fault itself, not a synchronisation. */
    private static final Duration PAST_FAILOVER = Duration.ofSeconds(8);

    private final Map<String, Object> figures = new LinkedHashMap<>();

    @AfterEach
    void printFigures() {
        figures.forEach((what, value) -> System.out.printf("[CheckpointStorageFaultIT] %-62s %9s%n", what, value));
    }

    /**
     * The job's failures, oldest first, each as its exception's first line and its deepest cause's: what an operator
     * reads in the web UI's exception history.
     */
    private static List<String> failureCauses(FlinkStandaloneCluster cluster, String jobId) {
        List<String> causes = new ArrayList<>();
        for (JsonNode entry : cluster.getJson("/jobs/" + jobId + "/exceptions")
                .path("exceptionHistory")
                .path("entries")) {
            String[] lines = entry.path("stacktrace").asText().split("\n");
            String deepest = "";
            for (String line : lines) {
                if (line.startsWith("Caused by: ")) {
                    deepest = " <- " + line.substring("Caused by: ".length());
                }
            }
            causes.add(0, lines[0] + deepest);
        }
        return causes;
    }

    @Test
    void theJobRidesOutAStorageOutageWithinTheToleranceFailsOverPastItAndLosesNothing() throws Exception {
        long testStart = System.nanoTime();
        Path jobJar = jobJar();

        // Four weeks of traffic, streamed slowly enough that both outages and the crash fall in the middle of it.
        AuditStreamGenerator.Stream weeks = fourWeeks(2031);
        List<Read> expected = NewTermsOracle.expectedAlerts(weeks.reads(), WINDOW);

        List<ProcessHandle> jvms;
        long brokerPid;
        try (KafkaBroker kafka = KafkaBroker.start();
                FlinkStandaloneCluster cluster = recommendedCluster()
                        // The test ends the first outage right after the tolerated failures: it must see them at once,
                        // not through the REST API's statistics cache (3 s by default).
                        .config("rest.cache.checkpoint-statistics.timeout", "100 ms")
                        .build()) {
            brokerPid = kafka.pid();
            createTopics(kafka);
            cluster.start();
            TaskManager first = cluster.startTaskManager();
            cluster.awaitRegistered(first, TIMEOUT);
            String jobId = submit(cluster, jobJar, jobArguments(kafka.bootstrapServers(), "60s"));
            Path checkpoints = cluster.checkpointDir();

            try (KafkaProducer<byte[], byte[]> producer = producer(kafka);
                    AlertReader alerts = new AlertReader(kafka, ALERTS);
                    AlertReader deadLetters = new AlertReader(kafka, DEAD_LETTERS)) {
                CompletableFuture<Void> streaming =
                        CompletableFuture.runAsync(() -> produce(producer, weeks.lines(), 80));
                await("alerts committed before the outage", () -> alerts.poll() >= 20);

                // 1. Within the tolerance.
                CheckpointStats before = cluster.checkpointStats(jobId);
                long messagesBefore = operatorMetric(cluster, jobId, "messagesIn");
                int alertsBefore = alerts.poll();
                long outageAt = System.nanoTime();
                try (StorageOutage outage = StorageOutage.begin(checkpoints)) {
                    Wait.on("the checkpoint storage outage: " + TOLERABLE + " checkpoints failed", TIMEOUT)
                            .every(Duration.ofMillis(50))
                            .until(() -> cluster.checkpointStats(jobId).failed() >= before.failed() + TOLERABLE);
                    outage.end();
                }
                long tolerableEndedAt = System.nanoTime();
                figures.put("outage 1: storage unavailable, ms", millisSince(outageAt));
                CheckpointStats atEnd = cluster.checkpointStats(jobId);
                long messagesInOutage = operatorMetric(cluster, jobId, "messagesIn") - messagesBefore;
                int alertsInOutage = alerts.poll() - alertsBefore;
                figures.put("outage 1: checkpoints failed", atEnd.failed() - before.failed());
                figures.put("outage 1: checkpoints completed", atEnd.completed() - before.completed());
                figures.put("outage 1: messages read meanwhile", messagesInOutage);
                figures.put("outage 1: alerts committed meanwhile", alertsInOutage);
                assertThat(atEnd.failed() - before.failed())
                        .as("failed checkpoints in the first outage")
                        .isEqualTo(TOLERABLE);
                assertThat(messagesInOutage)
                        .as("messages read while checkpoints failed: the job keeps detecting")
                        .isPositive();
                cluster.awaitCompletedCheckpoints(jobId, atEnd.completed() + 1, TIMEOUT);
                figures.put("outage 1: storage back until a checkpoint completed, ms", millisSince(tolerableEndedAt));
                await(
                        "alerts committed again after the first outage",
                        () -> alerts.poll() > alertsBefore + alertsInOutage);
                assertThat(jobFailures(cluster, jobId))
                        .as("job failures in a tolerated outage")
                        .isZero();
                assertThat(cluster.checkpointStats(jobId).restored())
                        .as("restores in a tolerated outage")
                        .isZero();
                assertThat(cluster.jobStatus(jobId))
                        .as("the job after a tolerated outage")
                        .isEqualTo(JobStatus.RUNNING);

                // 2. Past it.
                CheckpointStats beforePast = cluster.checkpointStats(jobId);
                long pastAt = System.nanoTime();
                long failedUntilFailover;
                List<String> causes;
                try (StorageOutage outage = StorageOutage.begin(checkpoints)) {
                    await(
                            "the job failing over once more than " + TOLERABLE + " checkpoints failed in a row",
                            () -> jobFailures(cluster, jobId) > 0);
                    figures.put("outage 2: storage unavailable until the job failed over, ms", millisSince(pastAt));
                    failedUntilFailover = cluster.checkpointStats(jobId).failed() - beforePast.failed();
                    TimeUnit.NANOSECONDS.sleep(PAST_FAILOVER.toNanos());
                    figures.put("outage 2: job status at its end", cluster.jobStatus(jobId));
                    figures.put("outage 2: job failures (exception history) at its end", jobFailures(cluster, jobId));
                    causes = failureCauses(cluster, jobId);
                    outage.end();
                }
                long pastEndedAt = System.nanoTime();
                figures.put("outage 2: storage unavailable, ms", millisSince(pastAt));
                figures.put("outage 2: checkpoints failed until the failover", failedUntilFailover);
                for (int i = 0; i < causes.size(); i++) {
                    figures.put("outage 2: failure " + (i + 1), causes.get(i));
                }
                // Read once the failover is seen: a checkpoint of the restarted job may already have failed too, so the
                // count is at least, not exactly, one past the tolerance. The first failure's cause (next) says why.
                assertThat(failedUntilFailover)
                        .as("failed checkpoints in a row that fail the job over")
                        .isGreaterThanOrEqualTo(TOLERABLE + 1);
                assertThat(causes.get(0))
                        .as("the first failure of the second outage")
                        .contains("Exceeded checkpoint tolerable failure threshold");
                CheckpointStats restoredPast = cluster.awaitRestored(jobId, 1, TIMEOUT);
                cluster.awaitRunningTasks(jobId, TIMEOUT);
                assertThat(restoredPast.restoredCheckpointId())
                        .as("restored: the latest checkpoint before the outage")
                        .isGreaterThanOrEqualTo(beforePast.latestCompletedId());
                cluster.awaitCompletedCheckpoints(jobId, restoredPast.completed() + 1, TIMEOUT);
                figures.put("outage 2: storage back until a checkpoint completed, ms", millisSince(pastEndedAt));
                int alertsAfterPast = alerts.poll();
                await("alerts committed again after the second outage", () -> alerts.poll() > alertsAfterPast);

                // 3. A crash after checkpoints resumed.
                CheckpointStats beforeCrash = cluster.checkpointStats(jobId);
                assertThat(streaming).as("the crash happens mid-stream").isNotDone();
                long killedAt = System.nanoTime();
                assertThat(cluster.killTaskManager(first))
                        .as("exit value of SIGKILL")
                        .isEqualTo(137);
                TaskManager second = cluster.startTaskManager();
                cluster.awaitRegistered(second, TIMEOUT);
                CheckpointStats restored = cluster.awaitRestored(jobId, beforeCrash.restored() + 1, TIMEOUT);
                cluster.awaitRunningTasks(jobId, TIMEOUT);
                figures.put("kill -9 until the job RUNNING again, restored, ms", millisSince(killedAt));
                assertThat(restored.restoredCheckpointId())
                        .as("restored after the crash: a checkpoint taken after the outages")
                        .isGreaterThanOrEqualTo(beforeCrash.latestCompletedId())
                        .isGreaterThan(restoredPast.restoredCheckpointId());

                streaming.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                advanceEventTimePastTheEnd(producer, latest(weeks.reads()));
                awaitAlerts(kafka, cluster, jobId, alerts, expected.size());
                int expectedDeadLetters = weeks.garbageLines() + weeks.badRecords();
                await("the " + expectedDeadLetters + " dead letters", () -> deadLetters.poll() >= expectedDeadLetters);
                settle(cluster, jobId, alerts, deadLetters);

                figures.put("alerts expected (oracle)", expected.size());
                figures.put("alerts committed, read_committed", alerts.size());
                figures.put("duplicate alert ids", alerts.duplicates().size());
                figures.put("job failures (exception history), in all", jobFailures(cluster, jobId));
                assertExactlyOnce(alerts, expected, "through two storage outages and a crash");
                assertThat(deadLetters.size())
                        .as("garbage lines and records without a parseable time, each dead-lettered once")
                        .isEqualTo(expectedDeadLetters);

                cluster.cancel(jobId);
                cluster.awaitJobStatus(jobId, JobStatus.CANCELED, TIMEOUT);
            }
            jvms = cluster.flinkProcesses();
        }
        figures.put("whole test, ms", millisSince(testStart));

        assertThat(jvms).as("JobManager and TaskManagers").noneMatch(ProcessHandle::isAlive);
        assertThat(ProcessHandle.of(brokerPid).filter(ProcessHandle::isAlive))
                .as("the Kafka broker")
                .isEmpty();
    }
}
