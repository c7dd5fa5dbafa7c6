package io.kvwatch.deploy;

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
import static io.kvwatch.deploy.ClusterScenario.operatorMetric;
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
import io.kvwatch.testing.FlinkStandaloneCluster.JobManager;
import io.kvwatch.testing.FlinkStandaloneCluster.TaskManager;
import io.kvwatch.testing.KafkaBroker;
import io.kvwatch.testing.NewTermsOracle;
import io.kvwatch.testing.ZooKeeperServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
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
 * JobManager failover with ZooKeeper high availability: a real ZooKeeper server, two JobManagers (a leader and a
 * standby) configured like flink-conf/config.yaml plus its HA block, one TaskManager, a real Kafka broker. The leading
 * JobManager is killed with SIGKILL mid-stream: the standby must take the leadership, recover the job from the HA
 * stores (same job id) and restore it from the latest completed checkpoint, with no manual step; the alert topic read
 * with {@code read_committed} must hold exactly the alerts {@link NewTermsOracle} computes, each once.
 *
 * <p>Prints the measured figures: "kill -9 → processing again" is the takeover time.
 */
class JobManagerFailoverIT {

    private static final String SESSION_TIMEOUT = "high-availability.zookeeper.client.session-timeout";
    private static final Map<String, String> HA_SETTINGS = haSettings();

    private final Map<String, Object> figures = new LinkedHashMap<>();

    @AfterEach
    void printFigures() {
        figures.forEach((what, value) -> System.out.printf("[JobManagerFailoverIT] %-58s %9s%n", what, value));
    }

    @Test
    void theStandbyTakesOverAfterTheLeaderIsKilledAndResumesFromTheLatestCheckpoint() throws Exception {
        long testStart = System.nanoTime();
        Path jobJar = jobJar();

        AuditStreamGenerator.Stream weeks = fourWeeks(2028);
        List<Read> expected = NewTermsOracle.expectedAlerts(weeks.reads(), WINDOW);

        List<ProcessHandle> services = new ArrayList<>();
        try (ZooKeeperServer zooKeeper = ZooKeeperServer.start();
                KafkaBroker kafka = KafkaBroker.start();
                FlinkStandaloneCluster cluster = highAvailabilityCluster(zooKeeper)) {
            services.add(ProcessHandle.of(zooKeeper.pid()).orElseThrow());
            services.add(ProcessHandle.of(kafka.pid()).orElseThrow());
            createTopics(kafka);
            cluster.start();
            JobManager leader = cluster.awaitLeader(TIMEOUT);
            TaskManager taskManager = cluster.startTaskManager();
            cluster.awaitRegistered(taskManager, TIMEOUT);
            String jobId = submit(cluster, jobJar, jobArguments(kafka.bootstrapServers(), null));

            try (KafkaProducer<byte[], byte[]> producer = producer(kafka);
                    AlertReader alerts = new AlertReader(kafka, ClusterScenario.ALERTS);
                    AlertReader deadLetters = new AlertReader(kafka, ClusterScenario.DEAD_LETTERS)) {
                CompletableFuture<Void> streaming =
                        CompletableFuture.runAsync(() -> produce(producer, weeks.lines(), 150));

                await("alerts committed before the crash", () -> alerts.poll() >= 20);
                CheckpointStats beforeKill = cluster.checkpointStats(jobId);
                assertThat(beforeKill.completed())
                        .as("completed checkpoints before the crash")
                        .isPositive();
                assertThat(streaming).as("the crash happens mid-stream").isNotDone();
                int committedBeforeKill = alerts.size();

                long killedAt = System.nanoTime();
                assertThat(cluster.killJobManager(leader))
                        .as("exit value of SIGKILL")
                        .isEqualTo(137);
                JobManager standby = cluster.awaitLeader(TIMEOUT);
                figures.put("kill -9 until the standby leads, ms", millisSince(killedAt));
                assertThat(standby).as("the new leader").isNotSameAs(leader);
                CheckpointStats restored = cluster.awaitRestored(jobId, 1, TIMEOUT);
                cluster.awaitRunningTasks(jobId, TIMEOUT);
                figures.put("kill -9 until the job RUNNING again, restored, ms", millisSince(killedAt));
                await("parsed messages after the takeover", () -> operatorMetric(cluster, jobId, "messagesIn") > 0);
                figures.put("kill -9 until processing again (TAKEOVER TIME), ms", millisSince(killedAt));
                assertThat(restored.restoredFromSavepoint())
                        .as("restored from a checkpoint")
                        .isFalse();
                assertThat(restored.restoredCheckpointId())
                        .as("the latest checkpoint before the crash, or later")
                        .isGreaterThanOrEqualTo(beforeKill.latestCompletedId());

                streaming.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                advanceEventTimePastTheEnd(producer, latest(weeks.reads()));
                awaitAlerts(kafka, cluster, jobId, alerts, expected.size());
                int expectedDeadLetters = weeks.garbageLines() + weeks.badRecords();
                await("the " + expectedDeadLetters + " dead letters", () -> deadLetters.poll() >= expectedDeadLetters);
                settle(cluster, jobId, alerts, deadLetters);

                figures.put("ZooKeeper session timeout", HA_SETTINGS.get(SESSION_TIMEOUT));
                figures.put(
                        "restored checkpoint / latest before the kill",
                        restored.restoredCheckpointId() + " / " + beforeKill.latestCompletedId());
                figures.put("alerts expected (oracle)", expected.size());
                figures.put("alerts committed, read_committed", alerts.size());
                figures.put("duplicate alert ids", alerts.duplicates().size());
                figures.put("alerts committed before the kill", committedBeforeKill);
                assertThat(committedBeforeKill).isLessThan(expected.size());
                assertExactlyOnce(alerts, expected, "through the JobManager failover");
                assertThat(deadLetters.size())
                        .as("garbage lines and records without a parseable time, each dead-lettered once")
                        .isEqualTo(expectedDeadLetters);

                cluster.cancel(jobId);
                cluster.awaitJobStatus(jobId, JobStatus.CANCELED, TIMEOUT);
            }
            services.addAll(cluster.flinkProcesses());
        }
        figures.put("whole test, ms", millisSince(testStart));

        assertThat(services)
                .as("ZooKeeper, Kafka, both JobManagers and the TaskManager")
                .hasSize(5)
                .noneMatch(ProcessHandle::isAlive);
    }

    /**
     * Two JobManagers with the commented high-availability block of flink-conf/config.yaml, its quorum and storage
     * directory replaced by the test's ZooKeeper server and a directory of the cluster's own.
     */
    private static FlinkStandaloneCluster highAvailabilityCluster(ZooKeeperServer zooKeeper) throws Exception {
        FlinkStandaloneCluster.Builder builder = recommendedCluster().jobManagers(2);
        HA_SETTINGS.forEach((key, value) -> {
            if (!key.equals("high-availability.zookeeper.quorum") && !key.equals("high-availability.storageDir")) {
                builder.config(key, value);
            }
        });
        return builder.zooKeeperHighAvailability(zooKeeper.connectString()).build();
    }

    private static Map<String, String> haSettings() {
        try {
            return DeployFiles.commentedSettings(FlinkConfTest.FLINK_CONF.resolve("config.yaml"), "High availability");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
