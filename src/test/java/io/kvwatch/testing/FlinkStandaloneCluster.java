package io.kvwatch.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.api.common.JobStatus;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real Flink standalone session cluster for integration tests: a JobManager and any number of
 * TaskManagers, each in its own JVM, started with Flink's own entrypoints on a classpath resolved
 * from Maven (there is no Flink binary distribution on the build machines).
 *
 * <p>Jobs are submitted the way a user does it through the REST API ({@code /jars/upload}, then
 * {@code /jars/:id/run}), so tests exercise the shaded job jar, the user-code class loader and
 * state restore exactly like production, including {@link #killTaskManager SIGKILL} of a TaskManager.
 *
 * <p>Everything binds to loopback. Every process started here is recorded and stopped by {@link
 * #close()}; a JVM shutdown hook and a per-process watchdog (which kills the Flink JVM if the test
 * JVM disappears without running hooks) are safety nets against leaked JVMs.
 *
 * <p>Uses these system properties (set by failsafe in the project pom): {@code maven.home},
 * {@code maven.repo.local}, {@code project.basedir}, {@code project.build.directory}. Set
 * {@code kvwatch.flink.keepWorkDir=true} to keep the work directory (configs, logs, checkpoints)
 * after {@link #close()}.
 */
public final class FlinkStandaloneCluster implements AutoCloseable {

    public static final String FLINK_VERSION = "2.2.1";

    private static final String JM_ENTRYPOINT =
            "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint";
    private static final String TM_ENTRYPOINT =
            "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";
    private static final String BASH_JAVA_UTILS = "org.apache.flink.runtime.util.bash.BashJavaUtils";
    private static final String EXEC_RESULT_PREFIX = "BASH_JAVA_UTILS_EXEC_RESULT:";

    /** What Flink's launch scripts pass on JDK 17 through env.java.opts.all (scripts only). */
    private static final List<String> JDK17_MODULE_FLAGS = jdk17ModuleFlags();

    private static final Duration POLL_INTERVAL = Duration.ofMillis(250);
    private static final Duration STOP_GRACE = Duration.ofSeconds(20);
    private static final int LOG_TAIL_LINES = 60;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Object CLASSPATH_LOCK = new Object();
    private static volatile String cachedClasspath;

    private final Map<String, String> configOverrides;
    private final int slotsPerTaskManager;
    /** Bound on waiting for the JobManager's REST API after launch. */
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(90);
    private final boolean keepWorkDir;

    private final Path workDir;
    private final Path confDir;
    private final Path logDir;
    private final Path checkpointDir;
    private final Path savepointDir;
    private final int restPort;
    private final int rpcPort;
    private final URI restUri;
    private final HttpClient http;

    private final List<ManagedProcess> processes = new CopyOnWriteArrayList<>();
    private final List<TaskManager> taskManagers = new CopyOnWriteArrayList<>();
    private final AtomicInteger taskManagerCounter = new AtomicInteger();
    private final Thread shutdownHook;

    private String classpath;
    private List<String> tmResourceParams;
    private ManagedProcess jobManager;
    private volatile boolean closed;

    private FlinkStandaloneCluster(Builder builder) throws IOException {
        this.configOverrides = new LinkedHashMap<>(builder.config);
        this.slotsPerTaskManager = builder.slotsPerTaskManager;
        this.keepWorkDir = Boolean.getBoolean("kvwatch.flink.keepWorkDir");

        Path runtimeDir = buildDirectory().resolve("test-runtime");
        Files.createDirectories(runtimeDir);
        this.workDir = Files.createTempDirectory(runtimeDir, "flink-cluster-").toAbsolutePath();
        this.confDir = Files.createDirectories(workDir.resolve("conf"));
        this.logDir = Files.createDirectories(workDir.resolve("log"));
        this.checkpointDir = Files.createDirectories(workDir.resolve("checkpoints"));
        this.savepointDir = Files.createDirectories(workDir.resolve("savepoints"));
        this.restPort = freeLoopbackPort();
        this.rpcPort = freeLoopbackPort();
        this.restUri = URI.create("http://127.0.0.1:" + restPort);
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        this.shutdownHook = new Thread(this::destroyAllNow, "flink-standalone-cluster-reaper");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    public static Builder builder() {
        return new Builder();
    }

    // ------------------------------------------------------------------------------------------
    // Lifecycle
    // ------------------------------------------------------------------------------------------

    /** Writes the configuration, starts the JobManager and waits until its REST API answers. */
    public FlinkStandaloneCluster start() throws IOException {
        if (jobManager != null) {
            throw new IllegalStateException("already started");
        }
        classpath = resolveClasspath();
        writeConfiguration();
        writeLog4jConfiguration();

        List<String> jmParams = resourceParams("GET_JM_RESOURCE_PARAMS", "jm");
        jobManager = launch("jobmanager", jvmCommand("jobmanager", jmParams, JM_ENTRYPOINT));

        awaitCondition("JobManager REST API at " + restUri, STARTUP_TIMEOUT, () -> {
            try {
                HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/overview")).GET());
                return response.statusCode() == 200 ? Boolean.TRUE : null;
            } catch (ConnectException | HttpTimeoutException e) {
                return null;
            }
        });
        return this;
    }

    /**
     * The command line of a Flink JVM, as Flink's scripts build it: the JVM memory flags of
     * {@code resourceParams} (from BashJavaUtils), the common flags, the entrypoint with the
     * configuration directory and the dynamic memory properties.
     */
    private List<String> jvmCommand(String name, List<String> resourceParams, String entrypoint) {
        List<String> command = new ArrayList<>();
        command.add(javaExecutable());
        command.addAll(splitWhitespace(resourceParams.get(0)));
        command.addAll(commonJvmFlags(name));
        command.add("-cp");
        command.add(classpath);
        command.add(entrypoint);
        command.add("--configDir");
        command.add(confDir.toString());
        command.addAll(splitWhitespace(resourceParams.get(1)));
        return command;
    }

    /** Starts one more TaskManager JVM; it registers with the ResourceManager a few seconds later. */
    public TaskManager startTaskManager() throws IOException {
        requireStarted();
        if (tmResourceParams == null) { // the same memory flags for every TaskManager
            tmResourceParams = resourceParams("GET_TM_RESOURCE_PARAMS", "tm");
        }
        int index = taskManagerCounter.incrementAndGet();
        String name = "taskmanager-" + index;
        String resourceId = "tm-" + index + "-" + UUID.randomUUID().toString().substring(0, 8);

        List<String> command = jvmCommand(name, tmResourceParams, TM_ENTRYPOINT);
        command.add("-D");
        command.add("taskmanager.resource-id=" + resourceId);

        TaskManager taskManager = new TaskManager(launch(name, command), resourceId);
        taskManagers.add(taskManager);
        return taskManager;
    }

    /**
     * Kills a TaskManager with SIGKILL ({@link Process#destroyForcibly()} on Linux) — no shutdown
     * hooks, no deregistration, like a crashed machine — and waits for the process to be gone.
     *
     * @return the exit value of the JVM, 137 (128 + SIGKILL) on Linux
     */
    public int killTaskManager(TaskManager taskManager) {
        Process process = taskManager.process.process;
        process.destroyForcibly();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException(taskManager + " survived SIGKILL for 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while killing " + taskManager, e);
        }
        return process.exitValue();
    }

    /**
     * Stops every process this cluster started (TaskManagers first, SIGTERM with a bounded wait,
     * then SIGKILL) and deletes the work directory.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            List<ManagedProcess> flinkJvms = processes.stream()
                    .filter(p -> p != jobManager)
                    .collect(Collectors.toCollection(ArrayList::new));
            stopGracefully(flinkJvms);
            if (jobManager != null) {
                stopGracefully(List.of(jobManager));
            }
        } finally {
            destroyAllNow();
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
            if (!keepWorkDir) {
                deleteRecursively(workDir);
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // TaskManagers
    // ------------------------------------------------------------------------------------------

    /** Resource IDs of the TaskManagers the ResourceManager currently lists. */
    public List<String> registeredTaskManagerIds() {
        JsonNode taskManagersJson = getJson("/taskmanagers").path("taskmanagers");
        List<String> ids = new ArrayList<>();
        taskManagersJson.forEach(tm -> ids.add(tm.path("id").asText()));
        return ids;
    }

    /**
     * Waits until at least {@code count} live TaskManagers of this cluster are registered. A
     * SIGKILLed TaskManager stays listed until the JobManager's heartbeats notice its loss; it is
     * not counted here.
     *
     * @return the resource IDs of the live, registered TaskManagers
     */
    public List<String> awaitTaskManagers(int count, Duration timeout) {
        return awaitCondition(count + " registered TaskManager(s)", timeout, () -> {
            List<String> registered = registeredTaskManagerIds();
            List<String> live = taskManagers.stream()
                    .filter(TaskManager::isAlive)
                    .map(TaskManager::resourceId)
                    .filter(registered::contains)
                    .collect(Collectors.toList());
            return live.size() >= count ? live : null;
        });
    }

    /** Waits until this particular TaskManager is registered. */
    public void awaitRegistered(TaskManager taskManager, Duration timeout) {
        awaitCondition(taskManager + " registered", timeout, () -> {
            requireAlive(taskManager.process);
            return registeredTaskManagerIds().contains(taskManager.resourceId) ? Boolean.TRUE : null;
        });
    }

    // ------------------------------------------------------------------------------------------
    // Jobs
    // ------------------------------------------------------------------------------------------

    /** Uploads a job jar like the web UI and {@code flink run} do; returns the jar id for {@link #runJar}. */
    public String uploadJar(Path jar) throws IOException {
        String boundary = "----kvwatch" + UUID.randomUUID().toString().replace("-", "");
        String fileName = jar.getFileName().toString();
        byte[] head = ("--" + boundary + "\r\n"
                + "Content-Disposition: form-data; name=\"jarfile\"; filename=\"" + fileName + "\"\r\n"
                + "Content-Type: application/x-java-archive\r\n\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri("/jars/upload"))
                .timeout(Duration.ofMinutes(2))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.concat(
                        HttpRequest.BodyPublishers.ofByteArray(head),
                        HttpRequest.BodyPublishers.ofFile(jar),
                        HttpRequest.BodyPublishers.ofByteArray(tail)));
        JsonNode response = callWithLogs("POST /jars/upload", request);
        String uploaded = response.path("filename").asText();
        if (uploaded.isEmpty()) {
            throw failure("POST /jars/upload returned no filename: " + response, null);
        }
        return Paths.get(uploaded).getFileName().toString();
    }

    /**
     * Runs an uploaded jar ({@code POST /jars/:jarid/run}).
     *
     * @param savepointPath a savepoint or retained checkpoint to restore from, or {@code null}
     * @param parallelism job parallelism, or {@code null} for the configured default
     * @return the job id
     */
    public String runJar(String jarId, String entryClass, List<String> programArgs,
                         String savepointPath, Integer parallelism) {
        ObjectNode body = JSON.createObjectNode();
        if (entryClass != null) {
            body.put("entryClass", entryClass);
        }
        ArrayNode args = body.putArray("programArgsList");
        programArgs.forEach(args::add);
        if (savepointPath != null) {
            body.put("savepointPath", savepointPath);
        }
        if (parallelism != null) {
            body.put("parallelism", parallelism);
        }
        JsonNode response = callWithLogs("POST /jars/" + jarId + "/run",
                jsonRequest("/jars/" + jarId + "/run", "POST", body).timeout(Duration.ofMinutes(2)));
        String jobId = response.path("jobid").asText();
        if (jobId.isEmpty()) {
            throw failure("POST /jars/" + jarId + "/run returned no jobid: " + response, null);
        }
        return jobId;
    }

    public JobStatus jobStatus(String jobId) {
        return JobStatus.valueOf(getJson("/jobs/" + jobId).path("state").asText());
    }

    /** Waits for a job status; fails fast when the job ends in another terminal status. */
    public void awaitJobStatus(String jobId, JobStatus expected, Duration timeout) {
        awaitCondition("job " + jobId + " " + expected, timeout, () -> {
            JobStatus status = jobStatus(jobId);
            if (status == expected) {
                return Boolean.TRUE;
            }
            if (status.isGloballyTerminalState()) {
                throw failure("job " + jobId + " reached " + status + " while waiting for " + expected
                        + "\nroot exception: " + rootException(jobId), null);
            }
            return null;
        });
    }

    /** Waits until the job is RUNNING and every subtask of every vertex is RUNNING. */
    public void awaitRunningTasks(String jobId, Duration timeout) {
        awaitCondition("all tasks of job " + jobId + " RUNNING", timeout, () -> {
            JsonNode job = getJson("/jobs/" + jobId);
            JobStatus status = JobStatus.valueOf(job.path("state").asText());
            if (status.isGloballyTerminalState()) {
                throw failure("job " + jobId + " reached " + status + " while waiting for running tasks"
                        + "\nroot exception: " + rootException(jobId), null);
            }
            if (status != JobStatus.RUNNING || job.path("vertices").isEmpty()) {
                return null;
            }
            for (JsonNode vertex : job.path("vertices")) {
                int parallelism = vertex.path("parallelism").asInt();
                if (vertex.path("tasks").path("RUNNING").asInt() != parallelism) {
                    return null;
                }
            }
            return Boolean.TRUE;
        });
    }

    /** Checkpoint counters plus the latest completed and the restored checkpoint of a job. */
    public CheckpointStats checkpointStats(String jobId) {
        return CheckpointStats.from(getJson("/jobs/" + jobId + "/checkpoints"));
    }

    /** Waits until at least {@code minCompleted} checkpoints of the job have completed. */
    public CheckpointStats awaitCompletedCheckpoints(String jobId, long minCompleted, Duration timeout) {
        return awaitCondition(minCompleted + " completed checkpoint(s) of job " + jobId, timeout, () -> {
            CheckpointStats stats = checkpointStats(jobId);
            return stats.completed() >= minCompleted ? stats : null;
        });
    }

    /** Waits until the job was restored (from a checkpoint or savepoint) at least {@code minRestored} times. */
    public CheckpointStats awaitRestored(String jobId, long minRestored, Duration timeout) {
        return awaitCondition("job " + jobId + " restored " + minRestored + " time(s)", timeout, () -> {
            CheckpointStats stats = checkpointStats(jobId);
            return stats.restored() >= minRestored && stats.restoredCheckpointId() != null ? stats : null;
        });
    }

    /**
     * Stops a job with a savepoint ({@code POST /jobs/:jobid/stop}, no drain), waits for the
     * savepoint and for the job to finish.
     *
     * @return the savepoint path, to be passed as {@code savepointPath} of {@link #runJar}
     */
    public String stopWithSavepoint(String jobId, Path targetDirectory, Duration timeout) {
        ObjectNode body = JSON.createObjectNode();
        body.put("drain", false);
        body.put("targetDirectory", targetDirectory.toUri().toString());
        JsonNode trigger = callWithLogs("POST /jobs/" + jobId + "/stop",
                jsonRequest("/jobs/" + jobId + "/stop", "POST", body));
        String triggerId = trigger.path("request-id").asText();
        String location = awaitCondition("savepoint of job " + jobId, timeout, () -> {
            JsonNode result = getJson("/jobs/" + jobId + "/savepoints/" + triggerId);
            if (!"COMPLETED".equals(result.path("status").path("id").asText())) {
                return null;
            }
            JsonNode operation = result.path("operation");
            if (operation.hasNonNull("failure-cause")) {
                throw failure("stop-with-savepoint of job " + jobId + " failed: "
                        + operation.path("failure-cause").path("stack-trace").asText(
                                operation.path("failure-cause").toString()), null);
            }
            return operation.path("location").asText();
        });
        awaitJobStatus(jobId, JobStatus.FINISHED, timeout);
        return location;
    }

    /** Cancels a job ({@code PATCH /jobs/:jobid?mode=cancel}) without waiting. */
    public void cancel(String jobId) {
        callWithLogs("PATCH /jobs/" + jobId + "?mode=cancel",
                HttpRequest.newBuilder(uri("/jobs/" + jobId + "?mode=cancel"))
                        .method("PATCH", HttpRequest.BodyPublishers.noBody()));
    }

    /** The root exception the JobManager recorded for a job, or a short note if there is none. */
    public String rootException(String jobId) {
        try {
            JsonNode exceptions = getJson("/jobs/" + jobId + "/exceptions");
            JsonNode history = exceptions.path("exceptionHistory").path("entries");
            if (history.size() > 0) {
                return history.get(0).path("stacktrace").asText();
            }
            return exceptions.path("root-exception").asText("(none)");
        } catch (RuntimeException e) {
            return "(unavailable: " + e + ")";
        }
    }

    /**
     * GET a REST path (e.g. {@code /overview}) and parse the JSON answer.
     *
     * @throws RestCallException if the call fails or answers with a status other than 2xx
     */
    public JsonNode getJson(String path) {
        return expectOk("GET " + path, HttpRequest.newBuilder(uri(path)).GET());
    }

    // ------------------------------------------------------------------------------------------
    // Accessors
    // ------------------------------------------------------------------------------------------

    /** Where configs, logs, checkpoints, savepoints and Flink's temp files live; deleted on close. */
    public Path workDir() {
        return workDir;
    }

    public Path checkpointDir() {
        return checkpointDir;
    }

    public Path savepointDir() {
        return savepointDir;
    }

    /** Handles of every Flink JVM started so far (JobManager first), for leak checks after close. */
    public List<ProcessHandle> flinkProcesses() {
        return processes.stream().map(p -> p.process.toHandle()).collect(Collectors.toList());
    }

    /** The last lines of every JobManager and TaskManager log and console file. */
    private String logTails() {
        StringBuilder out = new StringBuilder();
        try (Stream<Path> files = Files.list(logDir)) {
            // *.log and *.out of the Flink JVMs; RocksDB writes its own LOG files here too, and
            // BashJavaUtils output is named in its own failure message.
            List<Path> logs = files
                    .map(Path::getFileName)
                    .map(Path::toString)
                    .filter(name -> name.startsWith("jobmanager") || name.startsWith("taskmanager"))
                    .filter(name -> name.endsWith(".log") || name.endsWith(".out"))
                    .map(logDir::resolve)
                    .sorted()
                    .collect(Collectors.toList());
            for (Path file : logs) {
                out.append("\n===== ").append(file.getFileName()).append(" (last ")
                        .append(LOG_TAIL_LINES).append(" lines) =====\n").append(tail(file, LOG_TAIL_LINES));
            }
        } catch (IOException e) {
            out.append("\n(could not read logs in ").append(logDir).append(": ").append(e).append(')');
        }
        return out.toString();
    }

    // ------------------------------------------------------------------------------------------
    // Configuration
    // ------------------------------------------------------------------------------------------

    private void writeConfiguration() throws IOException {
        Path tmp = Files.createDirectories(workDir.resolve("tmp"));
        Map<String, String> config = new LinkedHashMap<>();
        config.put("jobmanager.rpc.address", "localhost");
        config.put("jobmanager.rpc.port", Integer.toString(rpcPort));
        config.put("jobmanager.bind-host", "localhost");
        config.put("jobmanager.memory.process.size", "1024m");
        config.put("taskmanager.bind-host", "localhost");
        config.put("taskmanager.host", "localhost");
        config.put("taskmanager.memory.process.size", "1728m");
        config.put("taskmanager.numberOfTaskSlots", Integer.toString(slotsPerTaskManager));
        config.put("parallelism.default", "1");
        config.put("rest.address", "localhost");
        config.put("rest.bind-address", "127.0.0.1");
        config.put("rest.port", Integer.toString(restPort));
        config.put("io.tmp.dirs", tmp.toString());
        config.put("web.tmpdir", Files.createDirectories(workDir.resolve("web-tmp")).toString());
        config.put("web.upload.dir", Files.createDirectories(workDir.resolve("web-upload")).toString());
        config.put("state.backend.type", "rocksdb");
        config.put("execution.checkpointing.incremental", "true");
        config.put("execution.checkpointing.dir", checkpointDir.toUri().toString());
        config.put("execution.checkpointing.savepoint-dir", savepointDir.toUri().toString());
        for (Map.Entry<String, String> override : configOverrides.entrySet()) {
            if (override.getValue() == null) {
                config.remove(override.getKey());
            } else {
                config.put(override.getKey(), override.getValue());
            }
        }
        StringBuilder yaml = new StringBuilder("# Written by FlinkStandaloneCluster for one test run.\n");
        config.forEach((key, value) -> yaml.append(key).append(": ").append(yamlQuote(value)).append('\n'));
        Files.writeString(confDir.resolve("config.yaml"), yaml.toString());
    }

    private void writeLog4jConfiguration() throws IOException {
        String properties = String.join("\n",
                "# Each Flink JVM logs to the file given by -Dlog.file.",
                "monitorInterval = 0",
                "rootLogger.level = INFO",
                "rootLogger.appenderRef.file.ref = MainAppender",
                "appender.main.name = MainAppender",
                "appender.main.type = File",
                "appender.main.append = true",
                "appender.main.fileName = ${sys:log.file}",
                "appender.main.layout.type = PatternLayout",
                "appender.main.layout.pattern = %d{HH:mm:ss,SSS} %-5p %-50c{1.} [%t] - %m%n",
                "logger.netty.name = org.apache.flink.shaded.netty4.io.netty.channel.DefaultChannelPipeline",
                "logger.netty.level = ERROR",
                "");
        Files.writeString(confDir.resolve("log4j.properties"), properties);
    }

    private static String yamlQuote(String value) {
        return "'" + value.replace("'", "''") + "'";
    }

    // ------------------------------------------------------------------------------------------
    // Processes
    // ------------------------------------------------------------------------------------------

    private List<String> commonJvmFlags(String name) {
        List<String> flags = new ArrayList<>(JDK17_MODULE_FLAGS);
        flags.add("-Djava.io.tmpdir=" + workDir.resolve("tmp"));
        flags.add("-Dlog.file=" + logDir.resolve(name + ".log"));
        flags.add("-Dlog4j.configurationFile=" + confDir.resolve("log4j.properties").toUri());
        return flags;
    }

    /** Runs BashJavaUtils like Flink's config.sh and returns [JVM flags, -D dynamic properties]. */
    private List<String> resourceParams(String command, String name) throws IOException {
        Path output = logDir.resolve("bash-java-utils-" + name + ".out");
        List<String> cmd = new ArrayList<>();
        cmd.add(javaExecutable());
        cmd.addAll(JDK17_MODULE_FLAGS);
        cmd.add("-Dlog.file=" + logDir.resolve("bash-java-utils.log"));
        cmd.add("-Dlog4j.configurationFile=" + confDir.resolve("log4j.properties").toUri());
        cmd.add("-cp");
        cmd.add(classpath);
        cmd.add(BASH_JAVA_UTILS);
        cmd.add(command);
        cmd.add("--configDir");
        cmd.add(confDir.toString());
        Process process = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        try {
            if (!process.waitFor(2, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw failure(BASH_JAVA_UTILS + " " + command + " timed out", null);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        List<String> results = Files.readAllLines(output).stream()
                .filter(line -> line.startsWith(EXEC_RESULT_PREFIX))
                .map(line -> line.substring(EXEC_RESULT_PREFIX.length()).trim())
                .collect(Collectors.toList());
        if (process.exitValue() != 0 || results.size() < 2) {
            throw failure(BASH_JAVA_UTILS + " " + command + " exited " + process.exitValue()
                    + " with " + results.size() + " result line(s); see " + output, null);
        }
        return results.subList(0, 2);
    }

    private ManagedProcess launch(String name, List<String> command) throws IOException {
        Path console = logDir.resolve(name + ".out");
        Process process = new ProcessBuilder(command)
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(console.toFile()))
                .start();
        ManagedProcess managed = new ManagedProcess(name, process, startWatchdog(process.pid()));
        processes.add(managed);
        if (closed) { // close() raced with this launch
            destroyAllNow();
            throw new IllegalStateException("cluster closed while starting " + name);
        }
        return managed;
    }

    /**
     * A tiny shell loop that SIGKILLs the Flink JVM as soon as this test JVM is gone without having
     * run its shutdown hooks (e.g. a forked test JVM killed on timeout): the loop's parent is this
     * JVM, so a changed parent pid means this JVM exited. The loop ends by itself once the Flink JVM
     * is gone. Linux only (reads /proc); elsewhere close() and the shutdown hook must do.
     */
    private static Process startWatchdog(long childPid) {
        if (!Files.isReadable(Paths.get("/proc/self/stat"))) {
            return null;
        }
        long self = ProcessHandle.current().pid();
        String script = "while kill -0 " + childPid + " 2>/dev/null; do"
                + " read -r _ _ _ ppid _ < /proc/$$/stat;"
                + " if [ \"$ppid\" != \"" + self + "\" ]; then kill -9 " + childPid + " 2>/dev/null; exit 0; fi;"
                + " sleep 1;"
                + " done";
        try {
            return new ProcessBuilder("/bin/sh", "-c", script)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
        } catch (IOException e) {
            return null; // best effort only; close() and the shutdown hook still stop the JVM
        }
    }

    /** SIGTERM to all, wait up to the grace period, then SIGKILL whatever is left. */
    private static void stopGracefully(List<ManagedProcess> targets) {
        for (ManagedProcess target : targets) {
            if (target.process.isAlive()) {
                target.process.destroy();
            }
        }
        long deadline = System.nanoTime() + STOP_GRACE.toNanos();
        for (ManagedProcess target : targets) {
            long remaining = deadline - System.nanoTime();
            try {
                if (remaining <= 0 || !target.process.waitFor(remaining, TimeUnit.NANOSECONDS)) {
                    target.process.destroyForcibly();
                    target.process.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                target.process.destroyForcibly();
            }
            target.stopWatchdog();
        }
    }

    /** Last-resort cleanup: SIGKILL every recorded process (and any children they spawned). */
    private void destroyAllNow() {
        for (ManagedProcess managed : processes) {
            ProcessHandle handle = managed.process.toHandle();
            handle.descendants().forEach(ProcessHandle::destroyForcibly);
            if (handle.isAlive()) {
                handle.destroyForcibly();
            }
        }
        for (ManagedProcess managed : processes) {
            try {
                managed.process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            managed.stopWatchdog();
        }
    }

    private void requireStarted() {
        if (jobManager == null) {
            throw new IllegalStateException("start() the cluster first");
        }
        if (closed) {
            throw new IllegalStateException("cluster is closed");
        }
    }

    private void requireAlive(ManagedProcess managed) {
        if (!managed.process.isAlive()) {
            throw failure(managed.name + " exited with " + managed.process.exitValue(), null);
        }
    }

    // ------------------------------------------------------------------------------------------
    // REST
    // ------------------------------------------------------------------------------------------

    private URI uri(String path) {
        return restUri.resolve(path);
    }

    private HttpRequest.Builder jsonRequest(String path, String method, JsonNode body) {
        try {
            return HttpRequest.newBuilder(uri(path))
                    .header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException {
        HttpRequest built = request.build();
        if (built.timeout().isEmpty()) {
            built = HttpRequest.newBuilder(built, (name, value) -> true).timeout(Duration.ofSeconds(30)).build();
        }
        try {
            return http.send(built, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /**
     * One REST call that must answer 2xx with JSON. Throws {@link RestCallException}, which polling
     * loops treat as "not yet" (e.g. while a job is being (re)scheduled).
     */
    private JsonNode expectOk(String what, HttpRequest.Builder request) {
        HttpResponse<String> response;
        try {
            response = send(request);
        } catch (IOException e) {
            throw new RestCallException(what + " failed: " + e, e);
        }
        if (response.statusCode() / 100 != 2) {
            throw new RestCallException(what + " -> HTTP " + response.statusCode() + ": " + response.body(), null);
        }
        try {
            return response.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(response.body());
        } catch (IOException e) {
            throw new RestCallException(what + " returned no JSON: " + response.body(), e);
        }
    }

    /** Like {@link #expectOk}, for one-shot operations: a failure carries the Flink log tails. */
    private JsonNode callWithLogs(String what, HttpRequest.Builder request) {
        try {
            return expectOk(what, request);
        } catch (RestCallException e) {
            throw failure(e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Waiting and failures
    // ------------------------------------------------------------------------------------------

    /**
     * Polls {@code probe} until it returns non-null, failing at once if the JobManager has exited; a
     * probe exception that is not a cluster failure counts as "not yet" and is reported if the wait
     * times out.
     */
    private <T> T awaitCondition(String what, Duration timeout, ProbeSupplier<T> probe) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception lastError = null;
        while (true) {
            requireAlive(jobManager); // a JobManager that died ends every wait at once
            try {
                T result = probe.get();
                if (result != null) {
                    return result;
                }
            } catch (Exception e) { // ClusterFailure is an Error: it ends the wait at once
                lastError = e;
            }
            if (System.nanoTime() >= deadline) {
                throw new ClusterFailure("timed out after " + timeout.toSeconds() + " s waiting for " + what
                        + (lastError == null ? "" : "\nlast error: " + lastError)
                        + "\n" + logTails(), lastError);
            }
            try {
                Thread.sleep(POLL_INTERVAL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ClusterFailure("interrupted while waiting for " + what, e);
            }
        }
    }

    private ClusterFailure failure(String message, Throwable cause) {
        return new ClusterFailure(message + "\n" + logTails(), cause);
    }

    private static String tail(Path file, int lines) {
        try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
            long length = in.length();
            int window = (int) Math.min(length, 64 * 1024);
            byte[] bytes = new byte[window];
            in.seek(length - window);
            in.readFully(bytes);
            String[] all = new String(bytes, StandardCharsets.UTF_8).split("\n", -1);
            int from = Math.max(0, all.length - lines - 1);
            return String.join("\n", Arrays.asList(all).subList(from, all.length));
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    @FunctionalInterface
    private interface ProbeSupplier<T> {
        T get() throws Exception;
    }

    /** A REST call that failed or did not answer 2xx; the message has Flink's error body. */
    public static final class RestCallException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RestCallException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A cluster-side failure or timeout; its message carries the tails of the Flink logs. */
    public static final class ClusterFailure extends AssertionError {
        private static final long serialVersionUID = 1L;

        ClusterFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Classpath and environment
    // ------------------------------------------------------------------------------------------

    /**
     * The cluster classpath from {@code src/test/runtime/flink-cluster/pom.xml}, computed once with
     * {@code mvn dependency:build-classpath} and cached in {@code target/test-runtime}.
     */
    static String resolveClasspath() throws IOException {
        synchronized (CLASSPATH_LOCK) {
            if (cachedClasspath != null) {
                return cachedClasspath;
            }
            Path pom = baseDirectory().resolve("src/test/runtime/flink-cluster/pom.xml");
            if (!Files.isRegularFile(pom)) {
                throw new IOException("cluster pom not found: " + pom);
            }
            Path runtimeDir = Files.createDirectories(buildDirectory().resolve("test-runtime"));
            Path output = runtimeDir.resolve("flink-cluster.classpath");
            Optional<String> cached = readUsableClasspath(output, pom);
            if (cached.isEmpty()) {
                runMavenBuildClasspath(pom, output, runtimeDir.resolve("flink-cluster.classpath.log"));
                cached = readUsableClasspath(output, pom);
                if (cached.isEmpty()) {
                    throw new IOException("mvn wrote no usable classpath to " + output);
                }
            }
            cachedClasspath = cached.get();
            return cachedClasspath;
        }
    }

    private static Optional<String> readUsableClasspath(Path file, Path pom) throws IOException {
        if (!Files.isRegularFile(file)
                || Files.getLastModifiedTime(file).compareTo(Files.getLastModifiedTime(pom)) < 0) {
            return Optional.empty();
        }
        String classpath = Files.readString(file).trim();
        List<String> entries = List.of(classpath.split(File.pathSeparator));
        boolean complete = !classpath.isEmpty()
                && entries.stream().allMatch(entry -> Files.isRegularFile(Paths.get(entry)))
                && entries.stream().anyMatch(entry -> entry.contains("flink-runtime-" + FLINK_VERSION + ".jar"));
        return complete ? Optional.of(classpath) : Optional.empty();
    }

    private static void runMavenBuildClasspath(Path pom, Path output, Path log) throws IOException {
        Path partial = output.resolveSibling(output.getFileName() + ".partial");
        List<String> command = new ArrayList<>();
        command.add(mavenExecutable());
        command.addAll(List.of("-q", "-B", "-f", pom.toString(), "dependency:build-classpath",
                "-Dmdep.outputFile=" + partial));
        String repoLocal = System.getProperty("maven.repo.local");
        if (repoLocal != null && !repoLocal.isBlank()) {
            command.add("-Dmaven.repo.local=" + repoLocal);
        }
        Process process = new ProcessBuilder(command)
                .directory(baseDirectory().toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        try {
            if (!process.waitFor(10, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IOException("mvn dependency:build-classpath timed out; see " + log);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while resolving the cluster classpath", e);
        }
        if (process.exitValue() != 0 || !Files.isRegularFile(partial)) {
            throw new IOException("`" + String.join(" ", command) + "` exited " + process.exitValue()
                    + ":\n" + tail(log, 40));
        }
        try {
            Files.move(partial, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(partial, output, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static String mavenExecutable() {
        String mavenHome = System.getProperty("maven.home");
        if (mavenHome != null && !mavenHome.isBlank()) {
            Path mvn = Paths.get(mavenHome, "bin", "mvn");
            if (Files.isExecutable(mvn)) {
                return mvn.toString();
            }
        }
        return "mvn";
    }

    private static Path baseDirectory() {
        String basedir = System.getProperty("project.basedir");
        return Paths.get(basedir != null && !basedir.isBlank() ? basedir : System.getProperty("user.dir"))
                .toAbsolutePath();
    }

    private static Path buildDirectory() {
        String buildDir = System.getProperty("project.build.directory");
        return buildDir != null && !buildDir.isBlank()
                ? Paths.get(buildDir).toAbsolutePath()
                : baseDirectory().resolve("target");
    }

    private static String javaExecutable() {
        return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static List<String> jdk17ModuleFlags() {
        List<String> flags = new ArrayList<>();
        for (String export : List.of("java.base/sun.net.util", "java.rmi/sun.rmi.registry",
                "java.security.jgss/sun.security.krb5")) {
            flags.add("--add-exports=" + export + "=ALL-UNNAMED");
        }
        for (String pkg : List.of("java.lang", "java.net", "java.io", "java.nio", "sun.nio.ch",
                "java.lang.reflect", "java.text", "java.time", "java.util", "java.util.concurrent",
                "java.util.concurrent.atomic", "java.util.concurrent.locks")) {
            flags.add("--add-opens=java.base/" + pkg + "=ALL-UNNAMED");
        }
        return List.copyOf(flags);
    }

    private static List<String> splitWhitespace(String line) {
        return Stream.of(line.trim().split("\\s+")).filter(s -> !s.isEmpty()).collect(Collectors.toList());
    }

    private static int freeLoopbackPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    private static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException ignored) {
                    // best effort; reported below if the root survives
                }
            });
        } catch (IOException | UncheckedIOException ignored) {
            // fall through to the check
        }
        if (Files.exists(root)) {
            System.err.println("FlinkStandaloneCluster: could not fully delete " + root);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Types
    // ------------------------------------------------------------------------------------------

    private static final class ManagedProcess {
        final String name;
        final Process process;
        final Process watchdog;

        ManagedProcess(String name, Process process, Process watchdog) {
            this.name = name;
            this.process = process;
            this.watchdog = watchdog;
        }

        void stopWatchdog() {
            if (watchdog != null && watchdog.isAlive()) {
                watchdog.destroyForcibly();
            }
        }
    }

    /** A TaskManager JVM started by {@link #startTaskManager()}. */
    public static final class TaskManager {
        private final ManagedProcess process;
        private final String resourceId;

        private TaskManager(ManagedProcess process, String resourceId) {
            this.process = process;
            this.resourceId = resourceId;
        }

        /** The id under which the TaskManager registers ({@code taskmanager.resource-id}). */
        public String resourceId() {
            return resourceId;
        }

        public long pid() {
            return process.process.pid();
        }

        public boolean isAlive() {
            return process.process.isAlive();
        }

        @Override
        public String toString() {
            return process.name + "(" + resourceId + ", pid " + pid() + ")";
        }
    }

    /** Checkpoint statistics of a job as reported by {@code GET /jobs/:jobid/checkpoints}. */
    public record CheckpointStats(long total, long completed, long failed, long inProgress, long restored,
                                  Long latestCompletedId, String latestCompletedPath,
                                  Long restoredCheckpointId, Boolean restoredFromSavepoint,
                                  String restoredPath) {

        static CheckpointStats from(JsonNode json) {
            JsonNode counts = json.path("counts");
            JsonNode completed = json.path("latest").path("completed");
            JsonNode restored = json.path("latest").path("restored");
            return new CheckpointStats(
                    counts.path("total").asLong(),
                    counts.path("completed").asLong(),
                    counts.path("failed").asLong(),
                    counts.path("in_progress").asLong(),
                    counts.path("restored").asLong(),
                    completed.hasNonNull("id") ? completed.path("id").asLong() : null,
                    completed.hasNonNull("external_path") ? completed.path("external_path").asText() : null,
                    restored.hasNonNull("id") ? restored.path("id").asLong() : null,
                    restored.hasNonNull("is_savepoint") ? restored.path("is_savepoint").asBoolean() : null,
                    restored.hasNonNull("external_path") ? restored.path("external_path").asText() : null);
        }
    }

    /** Configuration of a cluster before it starts. */
    public static final class Builder {
        private final Map<String, String> config = new LinkedHashMap<>();
        private int slotsPerTaskManager = 2;

        private Builder() {
        }

        /** Adds or overrides a config.yaml entry; a {@code null} value removes a default entry. */
        public Builder config(String key, String value) {
            config.put(Objects.requireNonNull(key), value);
            return this;
        }

        public Builder slotsPerTaskManager(int slots) {
            this.slotsPerTaskManager = slots;
            return this;
        }

        /** Creates the work directory; call {@link FlinkStandaloneCluster#start()} next. */
        public FlinkStandaloneCluster build() throws IOException {
            return new FlinkStandaloneCluster(this);
        }
    }
}
