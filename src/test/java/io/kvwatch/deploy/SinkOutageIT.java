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
import static io.kvwatch.deploy.ClusterScenario.jobFailures;
import static io.kvwatch.deploy.ClusterScenario.jobJar;
import static io.kvwatch.deploy.ClusterScenario.latest;
import static io.kvwatch.deploy.ClusterScenario.millisSince;
import static io.kvwatch.deploy.ClusterScenario.operatorMetric;
import static io.kvwatch.deploy.ClusterScenario.produce;
import static io.kvwatch.deploy.ClusterScenario.producer;
import static io.kvwatch.deploy.ClusterScenario.recommendedCluster;
import static io.kvwatch.deploy.ClusterScenario.settle;
import static io.kvwatch.deploy.ClusterScenario.sourceBackPressure;
import static io.kvwatch.deploy.ClusterScenario.submit;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvwatch.deploy.ClusterScenario.AlertReader;
import io.kvwatch.testing.AuditStreamGenerator;
import io.kvwatch.testing.AuditStreamGenerator.Read;
import io.kvwatch.testing.FlinkStandaloneCluster;
import io.kvwatch.testing.FlinkStandaloneCluster.CheckpointStats;
import io.kvwatch.testing.FlinkStandaloneCluster.TaskManager;
import io.kvwatch.testing.KafkaBroker;
import io.kvwatch.testing.NewTermsOracle;
import io.kvwatch.testing.TransactionCommitGate;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobStatus;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The alert sink unavailable for minutes while the input stays readable: the job reaches its broker through a {@link
 * TransactionCommitGate} that, mid-stream, holds every request a producer writes with (records, transaction starts
 * and commits) for {@link #OUTAGE}, then drops them and lets everything through again.
 *
 * <p>Meanwhile the sinks cannot write or commit, so checkpoints cannot complete; after 60 s (the Kafka producer's
 * {@code max.block.ms}) the pending commit fails and the job fails over, and when aborting the open transaction on
 * the way out times out too, Flink treats that as fatal and the TaskManager process exits. The test therefore plays
 * the process supervisor every deployment has (Kubernetes restarts the pod, systemd the service): it starts a new
 * TaskManager whenever the last one has exited. Afterwards the alert topic read with {@code read_committed} must
 * hold exactly the alerts {@link NewTermsOracle} computes, each once, and checkpoints must complete again. Prints
 * what the metrics showed at the end of the outage.
 *
 * <p>It takes 3-8 minutes, so it runs only with {@code -Dkvwatch.it.long=true} (failsafe passes system properties
 * given to Maven on to the tests).
 */
@EnabledIfSystemProperty(
        named = "kvwatch.it.long",
        matches = "true",
        disabledReason = "minutes of outage: run with -Dkvwatch.it.long=true")
class SinkOutageIT {

    /** How long the sink is unreachable: the fault itself, not a synchronisation. */
    private static final Duration OUTAGE = Duration.ofSeconds(Long.getLong("kvwatch.it.sinkOutageSeconds", 150));

    private final Map<String, Object> figures = new LinkedHashMap<>();

    @AfterEach
    void printFigures() {
        figures.forEach((what, value) -> System.out.printf("[SinkOutageIT] %-58s %9s%n", what, value));
    }

    @Test
    void noAlertIsLostOrRepeatedWhenTheAlertSinkIsUnavailableForMinutes() throws Exception {
        long testStart = System.nanoTime();
        Path jobJar = jobJar();

        AuditStreamGenerator.Stream weeks = fourWeeks(2030);
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
            TaskManagerSupervisor supervisor = new TaskManagerSupervisor(cluster);
            cluster.awaitRegistered(supervisor.current(), TIMEOUT);
            String jobId = submit(cluster, jobJar, jobArguments(kafka.proxiedBootstrapServers(), null));

            try (KafkaProducer<byte[], byte[]> producer = producer(kafka);
                    AlertReader alerts = new AlertReader(kafka, ALERTS);
                    AlertReader deadLetters = new AlertReader(kafka, ClusterScenario.DEAD_LETTERS)) {
                CompletableFuture<Void> streaming =
                        CompletableFuture.runAsync(() -> produce(producer, weeks.lines(), 150));

                await("alerts committed before the outage", () -> alerts.poll() >= 20);
                CheckpointStats before = cluster.checkpointStats(jobId);
                long messagesBefore = operatorMetric(cluster, jobId, "messagesIn");
                assertThat(streaming).as("the outage happens mid-stream").isNotDone();

                long outageStart = System.nanoTime();
                gate.holdProducerWrites();
                while (System.nanoTime() - outageStart < OUTAGE.toNanos()) {
                    supervisor.restartIfExited();
                    TimeUnit.SECONDS.sleep(1); // the supervisor's check interval, not a synchronisation
                }
                alerts.drain();
                // What an operator sees at the end of the outage.
                CheckpointStats during = cluster.checkpointStats(jobId);
                figures.put("sink outage, s", OUTAGE.toSeconds());
                figures.put("outage: job status at its end", cluster.jobStatus(jobId));
                figures.put("outage: job failures (exception history)", reported(() -> jobFailures(cluster, jobId)));
                figures.put(
                        "outage: checkpoints completed / failed",
                        (during.completed() - before.completed()) + " / " + (during.failed() - before.failed()));
                figures.put(
                        "outage: source back-pressure at its end", reported(() -> sourceBackPressure(cluster, jobId)));
                figures.put(
                        "outage: messages parsed in the last attempt",
                        reported(() -> operatorMetric(cluster, jobId, "messagesIn")) + " (before: " + messagesBefore
                                + ")");
                figures.put("outage: requests stalled at the gate", gate.heldRequests());
                figures.put("outage: TaskManager processes that exited", supervisor.exited());
                int committedAtTheEnd = alerts.size();

                gate.dropHeldAndPass();
                long releasedAt = System.nanoTime();
                await(
                        "the first alert committed after the outage",
                        () -> supervisor.restartIfExited() && alerts.poll() > committedAtTheEnd);
                figures.put("sink back until the first alert committed, ms", millisSince(releasedAt));
                long completedAfter = cluster.checkpointStats(jobId).completed();
                cluster.awaitCompletedCheckpoints(jobId, completedAfter + 1, TIMEOUT);
                figures.put("sink back until a checkpoint completed again, ms", millisSince(releasedAt));

                streaming.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                advanceEventTimePastTheEnd(producer, latest(weeks.reads()));
                awaitAlerts(kafka, cluster, jobId, alerts, expected.size());
                int expectedDeadLetters = weeks.garbageLines() + weeks.badRecords();
                await("the " + expectedDeadLetters + " dead letters", () -> deadLetters.poll() >= expectedDeadLetters);
                settle(cluster, jobId, alerts, deadLetters);

                figures.put("job failures in all (exception history)", jobFailures(cluster, jobId));
                figures.put("TaskManager processes that exited in all", supervisor.exited());
                figures.put("alerts expected (oracle)", expected.size());
                figures.put("alerts committed, read_committed", alerts.size());
                figures.put("duplicate alert ids", alerts.duplicates().size());
                assertExactlyOnce(alerts, expected, "through the sink outage");
                assertThat(deadLetters.size())
                        .as("garbage lines and records without a parseable time, each dead-lettered once")
                        .isEqualTo(expectedDeadLetters);
                assertThat(cluster.jobStatus(jobId))
                        .as("the job, with no manual step")
                        .isEqualTo(JobStatus.RUNNING);

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

    /** A figure from the REST API, or a note while the job is restarting and reports none. */
    private static String reported(Callable<Object> figure) {
        try {
            return String.valueOf(figure.call());
        } catch (Exception e) {
            return "(not reported)";
        }
    }

    /** What a process supervisor does for a TaskManager: start a new one when the last one has exited. */
    private static final class TaskManagerSupervisor {
        private final FlinkStandaloneCluster cluster;
        private TaskManager current;
        private int exited;

        TaskManagerSupervisor(FlinkStandaloneCluster cluster) throws Exception {
            this.cluster = cluster;
            this.current = cluster.startTaskManager();
        }

        TaskManager current() {
            return current;
        }

        /** Always true, so that it can run inside a wait's condition. */
        boolean restartIfExited() throws Exception {
            if (!current.isAlive()) {
                exited++;
                current = cluster.startTaskManager();
            }
            return true;
        }

        int exited() {
            return exited;
        }
    }
}
