package io.kvwatch.bench;

import io.kvwatch.KeyVaultNewTermsJob;
import io.kvwatch.config.JobConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.CheckpointType;
import org.apache.flink.runtime.checkpoint.AbstractCheckpointStats;
import org.apache.flink.runtime.checkpoint.CheckpointStatsStatus;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;

/**
 * One throughput run of the whole job (parse → filter → keyBy → detect → alert, into discarding sinks) on a
 * MiniCluster in this JVM: preload the state with every term of the grid, checkpoint it (state per term, checkpoint
 * duration), then time the measured messages (95% repeats over that state).
 *
 * <p>The job runs as users run it, with two settings of the harness: {@code learning} during the preload, so that
 * its millions of first sights are learnt and not each formatted as an alert (the README's way of starting without
 * an alert storm; the measured phase is past the learning period and alerts normally), and no periodic checkpoint
 * while timing (checkpoints are measured on their own, right after the preload).
 */
final class ThroughputBench {

    record Result(
            int parallelism,
            long records,
            double seconds,
            double cpuSeconds,
            double preloadSeconds,
            Checkpoint incremental,
            Checkpoint full,
            long heapBytes) {
        double recordsPerSecond() {
            return records / seconds;
        }

        double perCore() {
            return recordsPerSecond() / parallelism;
        }

        /** Records per second of CPU time used by the whole JVM while measuring. */
        double perCpuSecond() {
            return records / cpuSeconds;
        }
    }

    /** A checkpoint's size (all state it references) and end-to-end duration. */
    record Checkpoint(long bytes, long millis) {}

    private static final Duration TIMEOUT = Duration.ofMinutes(30);

    /**
     * @param termCleanup the job's {@code term-cleanup}, or null for its default (a stream: {@code ttl})
     */
    static Result run(
            BenchWorkload workload,
            BenchWorkload.Measured measured,
            int parallelism,
            String backend,
            String termCleanup,
            Map<String, String> flinkConf,
            Path workDir)
            throws Exception {
        boolean rocks = backend.equals("rocksdb");
        Configuration conf = clusterConfiguration(parallelism, backend, workDir);
        flinkConf.forEach(conf::setString); // --flink-conf: tuning under test

        int timedFrom = measured.timedFrom();
        PreloadedSource.Run run = new PreloadedSource.Run(workload, measured.messages(), parallelism, timedFrom);
        PreloadedSource.current = run;
        try (MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder()
                .setConfiguration(conf)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(parallelism)
                .build())) {
            cluster.start();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
            Map<String, String> settings = new java.util.HashMap<>(Map.of(
                    "parallelism", Integer.toString(parallelism),
                    "learning", "true",
                    "learning-period", "12 h"));
            if (termCleanup != null) {
                settings.put("term-cleanup", termCleanup);
            }
            JobConfig config = JobConfig.of(settings);
            new KeyVaultNewTermsJob(config, new BenchOutputs.Input(), new BenchOutputs()).build(env);
            StreamGraph graph = env.getStreamGraph();
            graph.setJobName("bench " + backend + " p" + parallelism + " " + workload.terms);
            JobID job = cluster.submitJob(graph).get().getJobID();
            // The job runs, its sources hold the preload back: the heap now has everything but the terms' state
            // (and whatever a previous run in this JVM left, which is in both measurements).
            await(run.started, "job start");
            long heapBefore = usedHeapAfterGc();
            long started = System.nanoTime();
            run.startPreload();
            await(run.preloaded, "preload");
            Checkpoint first = checkpoint(cluster, job, rocks ? CheckpointType.INCREMENTAL : CheckpointType.FULL);
            double preloadSeconds = (System.nanoTime() - started) / 1e9 - first.millis() / 1e3;
            // Once the checkpoint is complete every preloaded record is in the state (the barrier followed them).
            long heapBytes = usedHeapAfterGc() - heapBefore;
            Checkpoint full = rocks ? checkpoint(cluster, job, CheckpointType.FULL) : first;

            jdk.jfr.Recording profile = startProfile();
            run.startMeasuring();
            await(run.finished, "measured phase");
            stopProfile(profile, workDir.getParent().resolve("profile-" + backend + "-p" + parallelism + ".jfr"));
            cluster.cancelJob(job).get(1, TimeUnit.MINUTES);
            return new Result(
                    parallelism,
                    measured.recordsFrom(timedFrom),
                    run.measuredSeconds(),
                    run.measuredCpuSeconds(),
                    preloadSeconds,
                    rocks ? first : null,
                    full,
                    heapBytes);
        } finally {
            PreloadedSource.current = null;
        }
    }

    /**
     * The heap in use after a full collection ({@code System.gc()} is one with G1 unless the JVM is told otherwise):
     * measured once the job runs (its sources holding the preload back) and after the preload, the difference is the
     * heap the terms' state takes. RocksDB keeps its state off the heap (but for the timers it caches on the heap).
     */
    private static long usedHeapAfterGc() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 10; i++) { // until two collections in a row agree within 1 MB
            System.gc();
            long now = java.lang.management.ManagementFactory.getMemoryMXBean()
                    .getHeapMemoryUsage()
                    .getUsed();
            if (Math.abs(now - used) < (1 << 20)) {
                return now;
            }
            used = now;
            Thread.sleep(200);
        }
        return used;
    }

    /**
     * The MiniCluster's configuration for a run: {@code backend} with its files under {@code workDir}, checkpoints
     * to the file system (incremental on RocksDB), none periodic, and 1 GiB of managed memory.
     */
    static Configuration clusterConfiguration(int parallelism, String backend, Path workDir) throws Exception {
        Path checkpoints = Files.createDirectories(workDir.resolve("checkpoints"));
        Path rocksdb = Files.createDirectories(workDir.resolve("rocksdb"));
        Configuration conf = new Configuration();
        io.kvwatch.testing.LoopbackMiniCluster.withSlots(parallelism)
                .getConfiguration()
                .toMap()
                .forEach(conf::setString);
        conf.set(StateBackendOptions.STATE_BACKEND, backend);
        conf.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, backend.equals("rocksdb"));
        conf.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
        conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
        // Periodic checkpoints would land at random points of the timed phase; they are measured on their own.
        conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofHours(1));
        conf.setString("state.backend.rocksdb.localdir", rocksdb.toString());
        // RocksDB's block cache and write buffers come from managed memory: 1 GiB for the one TaskManager.
        conf.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.ofMebiBytes(1024));
        return conf;
    }

    /** With {@code -Dbench.jfr=true}, a JFR recording (settings "profile") of the timed phase only. */
    static jdk.jfr.Recording startProfile() throws Exception {
        if (!Boolean.getBoolean("bench.jfr")) {
            return null;
        }
        jdk.jfr.Recording recording = new jdk.jfr.Recording(jdk.jfr.Configuration.getConfiguration("profile"));
        recording.start();
        return recording;
    }

    static void stopProfile(jdk.jfr.Recording recording, Path file) throws Exception {
        if (recording != null) {
            recording.stop();
            recording.dump(file);
            recording.close();
            BenchMain.log("profile of the timed phase: " + file);
        }
    }

    static void await(java.util.concurrent.CountDownLatch latch, String what) throws InterruptedException {
        if (!latch.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException(what + " did not finish within " + TIMEOUT);
        }
    }

    /** Triggers a checkpoint and reads its size and duration from the job's checkpoint statistics. */
    private static Checkpoint checkpoint(MiniCluster cluster, JobID job, CheckpointType type) throws Exception {
        long id = cluster.triggerCheckpoint(job, type).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        for (int i = 0; i < 600; i++) {
            AbstractCheckpointStats stats = cluster.getExecutionGraph(job)
                    .get()
                    .getCheckpointStatsSnapshot()
                    .getHistory()
                    .getCheckpointById(id);
            if (stats != null && stats.getStatus() == CheckpointStatsStatus.COMPLETED) {
                return new Checkpoint(stats.getStateSize(), stats.getEndToEndDuration());
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("no statistics for checkpoint " + id);
    }
}
