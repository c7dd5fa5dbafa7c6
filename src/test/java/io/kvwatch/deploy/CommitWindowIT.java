package io.kvwatch.deploy;

import static io.kvwatch.deploy.ClusterScenario.ALERTS;
import static io.kvwatch.deploy.ClusterScenario.TIMEOUT;
import static io.kvwatch.deploy.ClusterScenario.WINDOW;
import static io.kvwatch.deploy.ClusterScenario.advanceEventTimePastTheEnd;
import static io.kvwatch.deploy.ClusterScenario.assertExactlyOnce;
import static io.kvwatch.deploy.ClusterScenario.await;
import static io.kvwatch.deploy.ClusterScenario.awaitAlerts;
import static io.kvwatch.deploy.ClusterScenario.createTopics;
import static io.kvwatch.deploy.ClusterScenario.fourWeeks;
import static io.kvwatch.deploy.ClusterScenario.jobArguments;
import static io.kvwatch.deploy.ClusterScenario.jobJar;
import static io.kvwatch.deploy.ClusterScenario.latest;
import static io.kvwatch.deploy.ClusterScenario.millisSince;
import static io.kvwatch.deploy.ClusterScenario.produce;
import static io.kvwatch.deploy.ClusterScenario.producer;
import static io.kvwatch.deploy.ClusterScenario.recommendedCluster;
import static io.kvwatch.deploy.ClusterScenario.settle;
import static io.kvwatch.deploy.ClusterScenario.submit;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvwatch.deploy.ClusterScenario.AlertReader;
import io.kvwatch.testing.AuditStreamGenerator;
import io.kvwatch.testing.AuditStreamGenerator.Read;
import io.kvwatch.testing.FlinkStandaloneCluster;
import io.kvwatch.testing.FlinkStandaloneCluster.CheckpointStats;
import io.kvwatch.testing.FlinkStandaloneCluster.TaskManager;
import io.kvwatch.testing.KafkaBroker;
import io.kvwatch.testing.KafkaTopics;
import io.kvwatch.testing.NewTermsOracle;
import io.kvwatch.testing.TransactionCommitGate;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobStatus;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The commit window, provoked deterministically on a real cluster: the job reaches its broker only through a {@link
 * TransactionCommitGate}, which is told mid-stream to hold every transaction commit on the wire. A client commits
 * only after Flink completed the checkpoint, so once a commit is held the job sits inside the window (checkpoint
 * complete, its Kafka transaction open, its alerts invisible to read_committed), and stays there: the TaskManager is
 * killed with SIGKILL exactly then, the held commit is dropped, and a new TaskManager takes over.
 *
 * <p>The restored job must commit the transactions of the checkpoint it restores: the alert topic read with {@code
 * read_committed} must hold exactly the alerts {@link NewTermsOracle} computes, each once. A job that only aborted
 * or lost them would miss the alerts of that transaction (they are not replayed: their input lies before the
 * checkpoint's offsets).
 */
class CommitWindowIT {

    private final Map<String, Object> figures = new LinkedHashMap<>();

    @AfterEach
    void printFigures() {
        figures.forEach((what, value) -> System.out.printf("[CommitWindowIT] %-58s %9s%n", what, value));
    }

    @Test
    void aCheckpointWhoseTransactionWasNotCommittedBeforeTheCrashIsCommittedOnRestore() throws Exception {
        long testStart = System.nanoTime();
        Path jobJar = jobJar();

        AuditStreamGenerator.Stream weeks = fourWeeks(2029);
        List<Read> expected = NewTermsOracle.expectedAlerts(weeks.reads(), WINDOW);

        List<ProcessHandle> jvms;
        long brokerPid;
        try (TransactionCommitGate gate = TransactionCommitGate.open();
                KafkaBroker kafka = KafkaBroker.startBehindProxy(gate.port());
                FlinkStandaloneCluster cluster = recommendedCluster().build()) {
            brokerPid = kafka.pid();
            gate.forwardTo(kafka.proxiedListenerPort());
            createTopics(kafka);
            cluster.start();
            TaskManager first = cluster.startTaskManager();
            cluster.awaitRegistered(first, TIMEOUT);
            // Every connection of the job goes through the gate; the test's own clients go to the broker directly.
            String jobId = submit(cluster, jobJar, jobArguments(kafka.proxiedBootstrapServers(), null));
            KafkaTopics topics = new KafkaTopics(kafka.bootstrapServers());

            try (KafkaProducer<byte[], byte[]> producer = producer(kafka);
                    AlertReader alerts = new AlertReader(kafka, ALERTS);
                    AlertReader deadLetters = new AlertReader(kafka, ClusterScenario.DEAD_LETTERS)) {
                CompletableFuture<Void> streaming =
                        CompletableFuture.runAsync(() -> produce(producer, weeks.lines(), 150));

                await("alerts committed before the window", () -> alerts.poll() >= 20);
                long completedBeforeHold = cluster.checkpointStats(jobId).completed();
                gate.holdCommits();
                long heldAt = System.nanoTime();
                // Inside the window: a commit is held, so its checkpoint has completed; alerts written but invisible.
                await(
                        "a checkpoint completed whose commit is held, with alerts in its open transaction",
                        () -> gate.heldRequests() > 0
                                && !uncommittedAlertIds(topics).isEmpty());
                figures.put("hold until a completed checkpoint's commit was held, ms", millisSince(heldAt));
                CheckpointStats atCrash = cluster.checkpointStats(jobId);
                Set<String> alertsInTheWindow = uncommittedAlertIds(topics);
                // The held commit may be that of a checkpoint that completed just before the hold: a client commits
                // only after its checkpoint completed, whenever that was. (The REST API's checkpoint statistics are
                // cached for a few seconds, so they may not show it yet.)
                assertThat(atCrash.completed())
                        .as("completed checkpoints at the crash")
                        .isGreaterThanOrEqualTo(completedBeforeHold)
                        .isPositive();
                assertThat(streaming).as("the crash happens mid-stream").isNotDone();

                long killedAt = System.nanoTime();
                assertThat(cluster.killTaskManager(first))
                        .as("exit value of SIGKILL")
                        .isEqualTo(137);
                gate.dropHeldAndPass();
                TaskManager second = cluster.startTaskManager();
                cluster.awaitRegistered(second, TIMEOUT);
                CheckpointStats restored = cluster.awaitRestored(jobId, 1, TIMEOUT);
                cluster.awaitRunningTasks(jobId, TIMEOUT);
                assertThat(restored.restoredFromSavepoint())
                        .as("restored from a checkpoint")
                        .isFalse();
                assertThat(restored.restoredCheckpointId())
                        .as("the latest checkpoint: the one whose commit was held")
                        .isGreaterThanOrEqualTo(atCrash.latestCompletedId());
                await(
                        "the alerts of the held transaction committed",
                        () -> alerts.poll() > 0 && alerts.keys().containsAll(alertsInTheWindow));
                figures.put("kill -9 until the window's alerts committed, ms", millisSince(killedAt));

                streaming.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                advanceEventTimePastTheEnd(producer, latest(weeks.reads()));
                awaitAlerts(kafka, cluster, jobId, alerts, expected.size());
                int expectedDeadLetters = weeks.garbageLines() + weeks.badRecords();
                await("the " + expectedDeadLetters + " dead letters", () -> deadLetters.poll() >= expectedDeadLetters);
                settle(cluster, jobId, alerts, deadLetters);

                figures.put("commits held at the crash", gate.heldRequests());
                figures.put("alerts in open transactions at the crash", alertsInTheWindow.size());
                figures.put("alerts expected (oracle)", expected.size());
                figures.put("alerts committed, read_committed", alerts.size());
                figures.put("duplicate alert ids", alerts.duplicates().size());
                assertExactlyOnce(alerts, expected, "through a crash inside the commit window");
                assertThat(deadLetters.size())
                        .as("garbage lines and records without a parseable time, each dead-lettered once")
                        .isEqualTo(expectedDeadLetters);

                cluster.cancel(jobId);
                cluster.awaitJobStatus(jobId, JobStatus.CANCELED, TIMEOUT);
            }
            jvms = cluster.flinkProcesses();
        }
        figures.put("whole test, ms", millisSince(testStart));

        assertThat(jvms).as("JobManager and both TaskManagers").hasSize(3).noneMatch(ProcessHandle::isAlive);
        assertThat(ProcessHandle.of(brokerPid).filter(ProcessHandle::isAlive))
                .as("the Kafka broker")
                .isEmpty();
    }

    /** The ids of alerts written to the alert topic but not (yet) visible to read_committed readers. */
    private static Set<String> uncommittedAlertIds(KafkaTopics topics) {
        Set<String> ids = topics.readAll(ALERTS, "read_uncommitted").stream()
                .map(ConsumerRecord::key)
                .collect(Collectors.toCollection(HashSet::new));
        topics.readAll(ALERTS, "read_committed").forEach(r -> ids.remove(r.key()));
        return ids;
    }
}
