package io.kvwatch.deploy;

import static io.kvwatch.deploy.ClusterScenario.ALERTS;
import static io.kvwatch.deploy.ClusterScenario.DEAD_LETTERS;
import static io.kvwatch.deploy.ClusterScenario.ENTRY_CLASS;
import static io.kvwatch.deploy.ClusterScenario.TIMEOUT;
import static io.kvwatch.deploy.ClusterScenario.WINDOW;
import static io.kvwatch.deploy.ClusterScenario.advanceEventTimePastTheEnd;
import static io.kvwatch.deploy.ClusterScenario.assertExactlyOnce;
import static io.kvwatch.deploy.ClusterScenario.await;
import static io.kvwatch.deploy.ClusterScenario.awaitAlerts;
import static io.kvwatch.deploy.ClusterScenario.createTopics;
import static io.kvwatch.deploy.ClusterScenario.jobArguments;
import static io.kvwatch.deploy.ClusterScenario.jobJar;
import static io.kvwatch.deploy.ClusterScenario.latest;
import static io.kvwatch.deploy.ClusterScenario.millisSince;
import static io.kvwatch.deploy.ClusterScenario.operatorMetric;
import static io.kvwatch.deploy.ClusterScenario.produce;
import static io.kvwatch.deploy.ClusterScenario.producer;
import static io.kvwatch.deploy.ClusterScenario.recommendedCluster;
import static io.kvwatch.deploy.ClusterScenario.settle;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvwatch.deploy.ClusterScenario.AlertReader;
import io.kvwatch.testing.AlertFields;
import io.kvwatch.testing.AuditStreamGenerator;
import io.kvwatch.testing.AuditStreamGenerator.Read;
import io.kvwatch.testing.FlinkStandaloneCluster;
import io.kvwatch.testing.FlinkStandaloneCluster.CheckpointStats;
import io.kvwatch.testing.FlinkStandaloneCluster.TaskManager;
import io.kvwatch.testing.KafkaBroker;
import io.kvwatch.testing.NewTermsOracle;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobStatus;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The job as users run it, on a real Flink standalone cluster (JobManager and TaskManager JVMs) configured with
 * flink-conf/config.yaml, against a real Kafka broker: the shaded jar submitted over REST, four weeks of generated
 * audit traffic streamed in, the TaskManager killed with SIGKILL mid-stream and replaced, then a stop with savepoint
 * and a resubmission at twice the parallelism, then more traffic.
 *
 * <p>The alert topic, read with {@code read_committed}, must hold exactly the alerts {@link NewTermsOracle} computes
 * from the generated reads, each once (by alert id), through the crash and the rescale; and after the rescale, terms
 * known from before must not alert again while new ones do. The Kafka record timestamp of each message is its
 * record's own time, so the rule clock (the Kafka timestamp) and the oracle's agree to the millisecond.
 *
 * <p>Prints the measured timings; "kill -9 → processing again" is the recovery time.
 */
class ClusterFailoverAndRescaleIT {

    private final Map<String, Long> timingsMs = new LinkedHashMap<>();

    @AfterEach
    void printTimings() {
        timingsMs.forEach((step, ms) -> System.out.printf("[ClusterFailoverAndRescaleIT] %-58s %7d ms%n", step, ms));
    }

    @Test
    void survivesATaskManagerCrashAndRescalesFromASavepointWithExactlyTheExpectedAlerts() throws Exception {
        long testStart = System.nanoTime();
        Path jobJar = jobJar();

        // Four weeks of traffic, one record per message so that each message's Kafka timestamp is its record's time.
        AuditStreamGenerator.Stream weeks = AuditStreamGenerator.generate(new AuditStreamGenerator.Profile()
                .seed(2026)
                .days(28)
                .readsPerDay(250)
                .maxRecordsPerEnvelope(1));
        List<Read> expectedBefore = NewTermsOracle.expectedAlerts(weeks.reads(), WINDOW);
        // Three more days after a day's pause, after the rescale: the same population, so mostly known terms.
        Instant laterStart = latest(weeks.reads()).plus(Duration.ofDays(1));
        AuditStreamGenerator.Stream later = AuditStreamGenerator.generate(new AuditStreamGenerator.Profile()
                .seed(7)
                .start(laterStart)
                .days(3)
                .readsPerDay(250)
                .maxRecordsPerEnvelope(1)
                .boundaryCases(false));
        List<Read> allReads = new ArrayList<>(weeks.reads());
        allReads.addAll(later.reads());
        List<Read> expectedAfter = new ArrayList<>(NewTermsOracle.expectedAlerts(allReads, WINDOW));
        expectedAfter.removeAll(expectedBefore);

        List<ProcessHandle> jvms;
        long brokerPid;
        try (KafkaBroker kafka = KafkaBroker.start();
                FlinkStandaloneCluster cluster = recommendedCluster().build()) {
            brokerPid = kafka.pid();
            createTopics(kafka);
            cluster.start();
            TaskManager first = cluster.startTaskManager();
            cluster.awaitRegistered(first, TIMEOUT);

            // 1. Submit the shaded jar like a user: upload, run.
            String jarId = cluster.uploadJar(jobJar);
            List<String> args = jobArguments(kafka.bootstrapServers());
            long t = System.nanoTime();
            String jobId = cluster.runJar(jarId, ENTRY_CLASS, args, null, 1);
            cluster.awaitRunningTasks(jobId, TIMEOUT);
            timingsMs.put("submit (REST run) until all tasks RUNNING", millisSince(t));

            try (KafkaProducer<byte[], byte[]> producer = producer(kafka);
                    AlertReader alerts = new AlertReader(kafka, ALERTS);
                    AlertReader deadLetters = new AlertReader(kafka, DEAD_LETTERS)) {

                // 2. Stream the four weeks at a steady rate, like an Event Hub would deliver them.
                CompletableFuture<Void> streaming =
                        CompletableFuture.runAsync(() -> produce(producer, weeks.lines(), 400));

                // 3. Mid-stream, once a checkpoint has committed some alerts: SIGKILL the TaskManager, start another.
                await("alerts committed before the crash", () -> alerts.poll() >= 20);
                CheckpointStats beforeKill = cluster.checkpointStats(jobId);
                assertThat(beforeKill.completed())
                        .as("completed checkpoints before the crash")
                        .isPositive();
                assertThat(streaming).as("the crash happens mid-stream").isNotDone();
                int committedBeforeKill = alerts.size();

                long killedAt = System.nanoTime();
                assertThat(cluster.killTaskManager(first))
                        .as("exit value of SIGKILL")
                        .isEqualTo(137);
                TaskManager second = cluster.startTaskManager();
                cluster.awaitRegistered(second, TIMEOUT);
                timingsMs.put("kill -9 until the new TaskManager registered", millisSince(killedAt));
                CheckpointStats restored = cluster.awaitRestored(jobId, 1, TIMEOUT);
                cluster.awaitRunningTasks(jobId, TIMEOUT);
                timingsMs.put("kill -9 until the job RUNNING again, restored", millisSince(killedAt));
                await("parsed messages after the restore", () -> operatorMetric(cluster, jobId, "messagesIn") > 0);
                timingsMs.put("kill -9 until processing again (RECOVERY TIME)", millisSince(killedAt));
                assertThat(restored.restoredFromSavepoint())
                        .as("restored from a checkpoint")
                        .isFalse();
                assertThat(restored.restoredCheckpointId())
                        .as("the latest checkpoint")
                        .isGreaterThanOrEqualTo(beforeKill.latestCompletedId());
                long checkpointsAtRestore = cluster.checkpointStats(jobId).completed();
                cluster.awaitCompletedCheckpoints(jobId, checkpointsAtRestore + 1, TIMEOUT);
                timingsMs.put("kill -9 until the first checkpoint after the restore", millisSince(killedAt));

                // 4. All of it in: exactly the oracle's alerts, each once, read_committed.
                streaming.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                advanceEventTimePastTheEnd(producer, latest(weeks.reads()));
                awaitAlerts(kafka, cluster, jobId, alerts, expectedBefore.size());
                int expectedDeadLetters = weeks.garbageLines() + weeks.badRecords();
                await("the " + expectedDeadLetters + " dead letters", () -> deadLetters.poll() >= expectedDeadLetters);
                settle(cluster, jobId, alerts, deadLetters);
                assertThat(committedBeforeKill).isLessThan(expectedBefore.size());
                assertExactlyOnce(alerts, expectedBefore, "four weeks, through the crash");
                assertThat(deadLetters.size())
                        .as("garbage lines and records without a parseable time, each dead-lettered once")
                        .isEqualTo(expectedDeadLetters);
                assertThat(operatorMetric(cluster, jobId, "recordsLate"))
                        .as("no record behind the watermark since the restore: per-partition disorder is within"
                                + " the bound")
                        .isZero();

                // 5. Stop with a savepoint; resubmit from it with twice the parallelism.
                t = System.nanoTime();
                String savepoint = cluster.stopWithSavepoint(jobId, cluster.savepointDir(), TIMEOUT);
                timingsMs.put("stop with savepoint", millisSince(t));
                t = System.nanoTime();
                String rescaledId = cluster.runJar(jarId, ENTRY_CLASS, args, savepoint, 2);
                CheckpointStats resumed = cluster.awaitRestored(rescaledId, 1, TIMEOUT);
                cluster.awaitRunningTasks(rescaledId, TIMEOUT);
                timingsMs.put("resubmit from savepoint at parallelism 2 until RUNNING", millisSince(t));
                assertThat(resumed.restoredFromSavepoint()).isTrue();
                assertThat(resumed.restoredPath()).isEqualTo(savepoint);
                assertThat(vertexParallelisms(cluster, rescaledId))
                        .as("every vertex at parallelism 2")
                        .containsOnly(2);

                // 6. Three more days: known terms stay quiet, new ones alert.
                produce(producer, later.lines(), 2000);
                advanceEventTimePastTheEnd(producer, latest(later.reads()));
                int total = expectedBefore.size() + expectedAfter.size();
                awaitAlerts(kafka, cluster, rescaledId, alerts, total);
                settle(cluster, rescaledId, alerts, deadLetters);
                List<Read> expectedAll = new ArrayList<>(expectedBefore);
                expectedAll.addAll(expectedAfter);
                assertExactlyOnce(alerts, expectedAll, "after the rescale");

                Set<List<String>> knownTerms = terms(weeks.reads());
                List<Read> knownRepeats = later.reads().stream()
                        .filter(r -> knownTerms.contains(List.of(r.upn(), r.objectId())))
                        .filter(r -> !expectedAfter.contains(r))
                        .toList();
                assertThat(knownRepeats)
                        .as("reads of terms known from before the savepoint that must stay quiet")
                        .hasSizeGreaterThan(100);
                assertThat(expectedAfter)
                        .as("terms first seen after the rescale alert")
                        .anyMatch(r -> !knownTerms.contains(List.of(r.upn(), r.objectId())));
                assertThat(alerts.values().stream().map(AlertFields::asRead).filter(knownRepeats::contains))
                        .as("no alert for a known term within 14 days")
                        .isEmpty();

                cluster.cancel(rescaledId);
                cluster.awaitJobStatus(rescaledId, JobStatus.CANCELED, TIMEOUT);
            }
            jvms = cluster.flinkProcesses();
        }
        timingsMs.put("whole test", millisSince(testStart));

        assertThat(jvms).as("JobManager and both TaskManagers").hasSize(3).noneMatch(ProcessHandle::isAlive);
        assertThat(ProcessHandle.of(brokerPid).filter(ProcessHandle::isAlive))
                .as("the Kafka broker")
                .isEmpty();
    }

    private static List<Integer> vertexParallelisms(FlinkStandaloneCluster cluster, String jobId) {
        List<Integer> out = new ArrayList<>();
        cluster.getJson("/jobs/" + jobId)
                .path("vertices")
                .forEach(v -> out.add(v.path("parallelism").asInt()));
        return out;
    }

    private static Set<List<String>> terms(List<Read> reads) {
        return reads.stream().map(r -> List.of(r.upn(), r.objectId())).collect(Collectors.toSet());
    }
}
