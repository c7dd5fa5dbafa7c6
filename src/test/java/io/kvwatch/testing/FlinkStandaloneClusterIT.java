package io.kvwatch.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvwatch.testing.FlinkStandaloneCluster.CheckpointStats;
import io.kvwatch.testing.FlinkStandaloneCluster.TaskManager;
import io.kvwatch.testing.fixtures.CountingJob;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Self-test of {@link FlinkStandaloneCluster} against real JobManager/TaskManager JVMs: REST
 * submission of a jar, checkpoints, SIGKILL of the TaskManager and recovery on a new one,
 * stop-with-savepoint and resubmission from the savepoint, and no process left after close.
 */
class FlinkStandaloneClusterIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final Map<String, Long> timingsMs = new LinkedHashMap<>();

    @AfterEach
    void printTimings() {
        timingsMs.forEach((step, ms) -> System.out.printf("[FlinkStandaloneClusterIT] %-50s %6d ms%n", step, ms));
    }

    @Test
    void jobSurvivesTaskManagerKillAndResumesFromSavepoint(@TempDir Path tmp) throws Exception {
        Path jobJar = fixtureJar(tmp.resolve("counting-job.jar"));
        List<ProcessHandle> jvms;
        Path workDir;
        long closeStarted;

        try (FlinkStandaloneCluster cluster = FlinkStandaloneCluster.builder()
                // A SIGKILLed TaskManager is noticed by failed heartbeat RPCs
                // (heartbeat.rpc-failure-threshold, default 2), so detection takes about two
                // heartbeat intervals: 2 s here instead of the default 10 s.
                .config("heartbeat.interval", "2 s")
                .config("execution.checkpointing.interval", "1 s")
                .config("restart-strategy.type", "fixed-delay")
                .config("restart-strategy.fixed-delay.attempts", "20")
                .config("restart-strategy.fixed-delay.delay", "1 s")
                .build()) {
            workDir = cluster.workDir();

            long t = System.nanoTime();
            cluster.start();
            timingsMs.put("JobManager start until REST answers", millisSince(t));

            t = System.nanoTime();
            TaskManager first = cluster.startTaskManager();
            cluster.awaitRegistered(first, TIMEOUT);
            timingsMs.put("TaskManager start until registered", millisSince(t));
            assertThat(cluster.registeredTaskManagerIds()).containsExactly(first.resourceId());

            String jarId = cluster.uploadJar(jobJar);
            t = System.nanoTime();
            String jobId = cluster.runJar(jarId, CountingJob.class.getName(), List.of("2", "16"), null, 2);
            cluster.awaitRunningTasks(jobId, TIMEOUT);
            timingsMs.put("submit until all tasks RUNNING", millisSince(t));
            CheckpointStats beforeKill = cluster.awaitCompletedCheckpoints(jobId, 2, TIMEOUT);
            assertThat(beforeKill.restored()).isZero();
            assertThat(localPath(beforeKill.latestCompletedPath())).startsWithRaw(cluster.checkpointDir());

            // A crashed TaskManager: SIGKILL, then a replacement joins and the job recovers from a checkpoint.
            long killedAt = System.nanoTime();
            int exitValue = cluster.killTaskManager(first);
            assertThat(exitValue).as("exit value of a JVM killed by SIGKILL").isEqualTo(128 + 9);
            assertThat(first.isAlive()).isFalse();
            TaskManager second = cluster.startTaskManager();
            cluster.awaitRegistered(second, TIMEOUT);
            timingsMs.put("kill -9 until replacement TaskManager registered", millisSince(killedAt));
            assertThat(cluster.awaitTaskManagers(1, TIMEOUT)).containsExactly(second.resourceId());
            CheckpointStats afterKill = cluster.awaitRestored(jobId, 1, TIMEOUT);
            cluster.awaitRunningTasks(jobId, TIMEOUT);
            timingsMs.put("kill -9 until job RUNNING again (restored)", millisSince(killedAt));
            assertThat(cluster.jobStatus(jobId)).isEqualTo(JobStatus.RUNNING);
            assertThat(afterKill.restoredFromSavepoint()).isFalse();
            assertThat(afterKill.restoredCheckpointId()).isGreaterThanOrEqualTo(beforeKill.latestCompletedId());
            cluster.awaitCompletedCheckpoints(jobId, afterKill.completed() + 1, TIMEOUT);

            // Upgrade path: stop with a savepoint, resubmit from it.
            t = System.nanoTime();
            String savepoint = cluster.stopWithSavepoint(jobId, cluster.savepointDir(), TIMEOUT);
            timingsMs.put("stop with savepoint", millisSince(t));
            assertThat(cluster.jobStatus(jobId)).isEqualTo(JobStatus.FINISHED);
            assertThat(localPath(savepoint)).startsWithRaw(cluster.savepointDir());

            String resumedId = cluster.runJar(jarId, CountingJob.class.getName(), List.of("2", "16"), savepoint, 2);
            CheckpointStats resumed = cluster.awaitRestored(resumedId, 1, TIMEOUT);
            cluster.awaitRunningTasks(resumedId, TIMEOUT);
            assertThat(resumed.restoredFromSavepoint()).isTrue();
            assertThat(resumed.restoredPath()).isEqualTo(savepoint);

            cluster.cancel(resumedId);
            cluster.awaitJobStatus(resumedId, JobStatus.CANCELED, TIMEOUT);

            jvms = cluster.flinkProcesses();
            assertThat(jvms).hasSize(3); // JobManager, killed TaskManager, replacement TaskManager
            closeStarted = System.nanoTime();
        }
        timingsMs.put("close (SIGTERM to every JVM, wait)", millisSince(closeStarted));

        assertThat(jvms).noneMatch(ProcessHandle::isAlive);
        if (!Boolean.getBoolean("kvwatch.flink.keepWorkDir")) {
            assertThat(workDir).doesNotExist();
        }
    }

    /**
     * Flink reports local paths as {@code file:/...} URIs. Compare them with startsWithRaw: a
     * checkpoint directory may already be subsumed and deleted when the assertion runs.
     */
    private static Path localPath(String flinkUri) {
        return Paths.get(URI.create(flinkUri));
    }

    private static long millisSince(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos).toMillis();
    }

    /** Packages the fixture classes from target/test-classes into a job jar, like a user's shaded jar. */
    private static Path fixtureJar(Path jar) throws IOException, URISyntaxException {
        Path classes = Paths.get(CountingJob.class
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .toURI());
        Path fixtures = classes.resolve(CountingJob.class.getPackageName().replace('.', '/'));
        List<Path> files;
        try (Stream<Path> walk = Files.walk(fixtures)) {
            files = walk.filter(Files::isRegularFile).sorted().collect(Collectors.toCollection(ArrayList::new));
        }
        assertThat(files).isNotEmpty();

        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, CountingJob.class.getName());
        try (OutputStream out = Files.newOutputStream(jar);
                JarOutputStream jarOut = new JarOutputStream(out, manifest)) {
            for (Path file : files) {
                String name = classes.relativize(file).toString().replace('\\', '/');
                jarOut.putNextEntry(new JarEntry(name));
                Files.copy(file, jarOut);
                jarOut.closeEntry();
            }
        }
        return jar;
    }
}
