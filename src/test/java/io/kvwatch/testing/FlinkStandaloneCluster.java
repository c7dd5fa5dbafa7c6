package io.kvwatch.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobStatus;

/**
 * A real Flink standalone session cluster for integration tests: one or more JobManagers and any number of
 * TaskManagers, each a {@link JvmProcess}, started with Flink's own entrypoints on the classpath the build resolved
 * from {@code src/test/runtime/flink-cluster} (there is no Flink binary distribution on the build machines).
 *
 * <p>Jobs are submitted the way a user does it through the REST API ({@code /jars/upload}, then
 * {@code /jars/:id/run}), so tests exercise the shaded job jar, the user-code class loader and
 * state restore exactly like production, including {@link #killTaskManager SIGKILL} of a TaskManager and, with
 * {@link Builder#zooKeeperHighAvailability ZooKeeper high availability} and two JobManagers, {@link
 * #killJobManager SIGKILL} of the leading JobManager.
 *
 * <p>Everything binds to loopback. Every process started here is recorded and stopped by {@link #close()}.
 * Set {@code kvwatch.flink.keepWorkDir=true} to keep the work directory (configs, logs, checkpoints) after
 * {@link #close()}.
 */
public final class FlinkStandaloneCluster implements AutoCloseable {

    public static final String FLINK_VERSION = "2.2.1";

    private static final String JM_ENTRYPOINT =
            "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint";
    private static final String TM_ENTRYPOINT = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";
    private static final String BASH_JAVA_UTILS = "org.apache.flink.runtime.util.bash.BashJavaUtils";
    private static final String EXEC_RESULT_PREFIX = "BASH_JAVA_UTILS_EXEC_RESULT:";
    /** What a JobManager logs when it becomes the leader (its dispatcher's leader election). */
    private static final String GRANTED_LEADERSHIP = "was granted leadership";

    /** What Flink's launch scripts pass on JDK 17 through env.java.opts.all (scripts only). */
    private static final List<String> JDK17_MODULE_FLAGS = jdk17ModuleFlags();

    private static final Duration POLL_INTERVAL = Duration.ofMillis(250);
    private static final Duration STOP_GRACE = Duration.ofSeconds(20);
    /** Bound on waiting for the JobManager's REST API after launch. */
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(90);

    private static final int LOG_TAIL_LINES = 60;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, String> configOverrides;
    private final int slotsPerTaskManager;
    private final int jobManagerCount;
    private final boolean keepWorkDir;

    private final Path workDir;
    private final Path confDir;
    private final Path logDir;
    private final Path checkpointDir;
    private final Path savepointDir;
    private final int rpcPort;
    private final HttpClient http;

    private final List<JobManager> jobManagers = new CopyOnWriteArrayList<>();
    private final List<TaskManager> taskManagers = new CopyOnWriteArrayList<>();
    private final AtomicInteger taskManagerCounter = new AtomicInteger();

    private String classpath;
    private List<String> tmResourceParams;
    private volatile boolean closed;

    private FlinkStandaloneCluster(Builder builder) throws IOException {
        this.configOverrides = new LinkedHashMap<>(builder.config);
        this.slotsPerTaskManager = builder.slotsPerTaskManager;
        this.jobManagerCount = builder.jobManagers;
        this.keepWorkDir = Boolean.getBoolean("kvwatch.flink.keepWorkDir");

        this.workDir = TestRuntime.createWorkDir("flink-cluster-");
        this.confDir = Files.createDirectories(workDir.resolve("conf"));
        this.logDir = Files.createDirectories(workDir.resolve("log"));
        this.checkpointDir = Files.createDirectories(workDir.resolve("checkpoints"));
        this.savepointDir = Files.createDirectories(workDir.resolve("savepoints"));
        if (builder.zooKeeperQuorum != null) {
            configOverrides.putIfAbsent("high-availability.type", "zookeeper");
            configOverrides.putIfAbsent("high-availability.zookeeper.quorum", builder.zooKeeperQuorum);
            configOverrides.putIfAbsent(
                    "high-availability.storageDir",
                    Files.createDirectories(workDir.resolve("ha")).toUri().toString());
            configOverrides.putIfAbsent("high-availability.cluster-id", "/kvwatch-" + workDir.getFileName());
        }
        this.rpcPort = TestRuntime.freeLoopbackPorts(1)[0];
        this.http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    // ------------------------------------------------------------------------------------------
    // Lifecycle
    // ------------------------------------------------------------------------------------------

    /** Writes the configuration, starts the JobManager(s) and waits until a REST API answers. */
    public FlinkStandaloneCluster start() throws IOException {
        if (!jobManagers.isEmpty()) {
            throw new IllegalStateException("already started");
        }
        classpath = TestRuntime.classpath("flink-cluster");
        writeConfiguration();
        writeLog4jConfiguration();

        List<String> jmParams = resourceParams("GET_JM_RESOURCE_PARAMS", "jm");
        int[] restPorts = TestRuntime.freeLoopbackPorts(jobManagerCount);
        for (int i = 0; i < jobManagerCount; i++) {
            String name = jobManagerCount == 1 ? "jobmanager" : "jobmanager-" + (i + 1);
            JvmProcess jvm = launch(name, jmParams, JM_ENTRYPOINT, "rest.port=" + restPorts[i]);
            jobManagers.add(
                    new JobManager(jvm, URI.create("http://127.0.0.1:" + restPorts[i]), logDir.resolve(name + ".log")));
        }
        awaitCondition("JobManager REST API at " + restUri(), STARTUP_TIMEOUT, () -> {
            try {
                HttpResponse<String> response =
                        send(HttpRequest.newBuilder(uri("/overview")).GET());
                return response.statusCode() == 200 ? Boolean.TRUE : null;
            } catch (ConnectException | HttpTimeoutException e) {
                return null;
            }
        });
        return this;
    }

    /** Starts one more TaskManager JVM; it registers with the ResourceManager a few seconds later. */
    public TaskManager startTaskManager() throws IOException {
        requireStarted();
        if (tmResourceParams == null) { // the same memory flags for every TaskManager
            tmResourceParams = resourceParams("GET_TM_RESOURCE_PARAMS", "tm");
        }
        int index = taskManagerCounter.incrementAndGet();
        String resourceId = "tm-" + index + "-" + UUID.randomUUID().toString().substring(0, 8);
        TaskManager taskManager = new TaskManager(
                launch(
                        "taskmanager-" + index,
                        tmResourceParams,
                        TM_ENTRYPOINT,
                        "taskmanager.resource-id=" + resourceId),
                resourceId);
        taskManagers.add(taskManager);
        return taskManager;
    }

    /**
     * Kills a TaskManager with SIGKILL — no shutdown hooks, no deregistration, like a crashed machine — and waits
     * for the process to be gone.
     *
     * @return the exit value of the JVM, 137 (128 + SIGKILL) on Linux
     */
    public int killTaskManager(TaskManager taskManager) {
        return taskManager.process.kill();
    }

    /** The JobManagers in start order. */
    public List<JobManager> jobManagers() {
        return List.copyOf(jobManagers);
    }

    /**
     * Waits until exactly one live JobManager has been granted leadership (it says so in its log) and returns it;
     * with one JobManager that is the one.
     */
    public JobManager awaitLeader(Duration timeout) {
        return awaitCondition("a leading JobManager", timeout, () -> {
            List<JobManager> leaders = new ArrayList<>();
            for (JobManager jm : jobManagers) {
                if (jm.process.isAlive() && jm.logContains(GRANTED_LEADERSHIP)) {
                    leaders.add(jm);
                }
            }
            return leaders.size() == 1 ? leaders.get(0) : null;
        });
    }

    /**
     * Kills a JobManager with SIGKILL like a crashed machine and waits for it to be gone; REST calls go to a live
     * JobManager from then on.
     *
     * @return the exit value of the JVM, 137 on Linux
     */
    public int killJobManager(JobManager jobManager) {
        return jobManager.process.kill();
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
            JvmProcess.stopAll(taskManagers.stream().map(tm -> tm.process).toList(), STOP_GRACE);
        } finally {
            JvmProcess.stopAll(jobManagers.stream().map(jm -> jm.process).toList(), STOP_GRACE);
            if (!keepWorkDir && !TestRuntime.deleteRecursively(workDir)) {
                System.err.println("FlinkStandaloneCluster: could not fully delete " + workDir);
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
            if (!taskManager.isAlive()) {
                throw failure(taskManager + " exited with " + taskManager.process.exitValue(), null);
            }
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
                        + "Content-Type: application/x-java-archive\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8);
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
    public String runJar(
            String jarId, String entryClass, List<String> programArgs, String savepointPath, Integer parallelism) {
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
        JsonNode response = callWithLogs(
                "POST /jars/" + jarId + "/run",
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
                throw failure(
                        "job " + jobId + " reached " + status + " while waiting for " + expected + "\nroot exception: "
                                + rootException(jobId),
                        null);
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
                throw failure(
                        "job " + jobId + " reached " + status + " while waiting for running tasks"
                                + "\nroot exception: " + rootException(jobId),
                        null);
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
        JsonNode trigger =
                callWithLogs("POST /jobs/" + jobId + "/stop", jsonRequest("/jobs/" + jobId + "/stop", "POST", body));
        String triggerId = trigger.path("request-id").asText();
        String location = awaitCondition("savepoint of job " + jobId, timeout, () -> {
            JsonNode result = getJson("/jobs/" + jobId + "/savepoints/" + triggerId);
            if (!"COMPLETED".equals(result.path("status").path("id").asText())) {
                return null;
            }
            JsonNode operation = result.path("operation");
            if (operation.hasNonNull("failure-cause")) {
                throw failure(
                        "stop-with-savepoint of job " + jobId + " failed: "
                                + operation
                                        .path("failure-cause")
                                        .path("stack-trace")
                                        .asText(operation.path("failure-cause").toString()),
                        null);
            }
            return operation.path("location").asText();
        });
        awaitJobStatus(jobId, JobStatus.FINISHED, timeout);
        return location;
    }

    /** Cancels a job ({@code PATCH /jobs/:jobid?mode=cancel}) without waiting. */
    public void cancel(String jobId) {
        callWithLogs(
                "PATCH /jobs/" + jobId + "?mode=cancel",
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

    /** Handles of every Flink JVM started so far (JobManagers first), for leak checks after close. */
    public List<ProcessHandle> flinkProcesses() {
        return Stream.concat(
                        jobManagers.stream().map(jm -> jm.process),
                        taskManagers.stream().map(tm -> tm.process))
                .map(JvmProcess::handle)
                .collect(Collectors.toList());
    }

    /** The last lines of every JobManager and TaskManager log and console file. */
    private String logTails() {
        StringBuilder out = new StringBuilder();
        Stream.concat(
                        jobManagers.stream().map(jm -> jm.process),
                        taskManagers.stream().map(tm -> tm.process))
                .forEach(
                        p -> out.append("\n===== ").append(p).append(" =====\n").append(p.logTail()));
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
        config.put("io.tmp.dirs", tmp.toString());
        config.put(
                "web.tmpdir",
                Files.createDirectories(workDir.resolve("web-tmp")).toString());
        config.put(
                "web.upload.dir",
                Files.createDirectories(workDir.resolve("web-upload")).toString());
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
        config.forEach((key, value) ->
                yaml.append(key).append(": ").append(yamlQuote(value)).append('\n'));
        Files.writeString(confDir.resolve("config.yaml"), yaml.toString());
    }

    private void writeLog4jConfiguration() throws IOException {
        String properties = String.join(
                "\n",
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

    /**
     * Starts a Flink JVM as Flink's scripts do: the JVM memory flags of {@code resourceParams} (from BashJavaUtils),
     * the common flags, the entrypoint with the configuration directory, the dynamic memory properties and {@code
     * extra} dynamic properties.
     */
    private JvmProcess launch(String name, List<String> resourceParams, String entrypoint, String extra) {
        if (closed) {
            throw new IllegalStateException("cluster closed while starting " + name);
        }
        List<String> args = new ArrayList<>(List.of("--configDir", confDir.toString()));
        args.addAll(splitWhitespace(resourceParams.get(1)));
        args.addAll(List.of("-D", extra));
        return flinkJvm(name, entrypoint)
                .jvmOptions(splitWhitespace(resourceParams.get(0)))
                .jvmOptions("-Djava.io.tmpdir=" + workDir.resolve("tmp"))
                .args(args)
                .log(logDir.resolve(name + ".log"))
                .start();
    }

    private JvmProcess.Builder flinkJvm(String name, String mainClass) {
        return JvmProcess.builder(name, classpath, mainClass)
                .jvmOptions(JDK17_MODULE_FLAGS)
                .jvmOptions(
                        "-Dlog.file=" + logDir.resolve(name + ".log"),
                        "-Dlog4j.configurationFile="
                                + confDir.resolve("log4j.properties").toUri())
                .workingDir(workDir)
                .console(logDir.resolve(name + ".out"));
    }

    /** Runs BashJavaUtils like Flink's config.sh and returns [JVM flags, -D dynamic properties]. */
    private List<String> resourceParams(String command, String name) throws IOException {
        Path output = logDir.resolve("bash-java-utils-" + name + ".out");
        int exit = flinkJvm("bash-java-utils-" + name, BASH_JAVA_UTILS)
                .args(command, "--configDir", confDir.toString())
                .run(Duration.ofMinutes(2));
        List<String> results = Files.readAllLines(output).stream()
                .filter(line -> line.startsWith(EXEC_RESULT_PREFIX))
                .map(line -> line.substring(EXEC_RESULT_PREFIX.length()).trim())
                .collect(Collectors.toList());
        if (exit != 0 || results.size() < 2) {
            throw failure(
                    BASH_JAVA_UTILS + " " + command + " exited " + exit + " with " + results.size()
                            + " result line(s); see " + output,
                    null);
        }
        return results.subList(0, 2);
    }

    private void requireStarted() {
        if (jobManagers.isEmpty()) {
            throw new IllegalStateException("start() the cluster first");
        }
        if (closed) {
            throw new IllegalStateException("cluster is closed");
        }
    }

    /** A cluster with no live JobManager ends every wait at once. */
    private void requireJobManagerAlive() {
        if (jobManagers.stream().noneMatch(jm -> jm.process.isAlive())) {
            throw failure(
                    "no JobManager is running: "
                            + jobManagers.stream()
                                    .map(jm -> jm.process + " exited with " + jm.process.exitValue())
                                    .toList(),
                    null);
        }
    }

    // ------------------------------------------------------------------------------------------
    // REST
    // ------------------------------------------------------------------------------------------

    /** The REST API of the first live JobManager: any JobManager's REST API serves through the leader. */
    private URI restUri() {
        return jobManagers.stream()
                .filter(jm -> jm.process.isAlive())
                .findFirst()
                .orElse(jobManagers.get(0))
                .restUri;
    }

    private URI uri(String path) {
        return restUri().resolve(path);
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
            built = HttpRequest.newBuilder(built, (name, value) -> true)
                    .timeout(Duration.ofSeconds(30))
                    .build();
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
     * Polls {@code probe} until it returns non-null, failing at once if no JobManager is left; a probe exception that
     * is not a cluster failure counts as "not yet" and is reported if the wait times out.
     */
    private <T> T awaitCondition(String what, Duration timeout, Callable<T> probe) {
        try {
            return Wait.on(what, timeout)
                    .every(POLL_INTERVAL)
                    .failFast(this::requireJobManagerAlive)
                    .forValue(probe);
        } catch (Wait.TimedOut e) {
            throw failure(e.getMessage(), e.getCause());
        }
    }

    private ClusterFailure failure(String message, Throwable cause) {
        return new ClusterFailure(message + "\n" + logTails(), cause);
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
    // Environment
    // ------------------------------------------------------------------------------------------

    private static List<String> jdk17ModuleFlags() {
        List<String> flags = new ArrayList<>();
        for (String export : List.of(
                "java.base/sun.net.util", "java.rmi/sun.rmi.registry", "java.security.jgss/sun.security.krb5")) {
            flags.add("--add-exports=" + export + "=ALL-UNNAMED");
        }
        for (String pkg : List.of(
                "java.lang",
                "java.net",
                "java.io",
                "java.nio",
                "sun.nio.ch",
                "java.lang.reflect",
                "java.text",
                "java.time",
                "java.util",
                "java.util.concurrent",
                "java.util.concurrent.atomic",
                "java.util.concurrent.locks")) {
            flags.add("--add-opens=java.base/" + pkg + "=ALL-UNNAMED");
        }
        return List.copyOf(flags);
    }

    private static List<String> splitWhitespace(String line) {
        return Stream.of(line.trim().split("\\s+")).filter(s -> !s.isEmpty()).collect(Collectors.toList());
    }

    // ------------------------------------------------------------------------------------------
    // Types
    // ------------------------------------------------------------------------------------------

    /** A JobManager JVM started by {@link #start()}. */
    public static final class JobManager {
        private final JvmProcess process;
        private final URI restUri;
        private final Path log;

        private JobManager(JvmProcess process, URI restUri, Path log) {
            this.process = process;
            this.restUri = restUri;
            this.log = log;
        }

        public long pid() {
            return process.pid();
        }

        public boolean isAlive() {
            return process.isAlive();
        }

        private boolean logContains(String text) throws IOException {
            return Files.exists(log)
                    && Files.readString(log, StandardCharsets.ISO_8859_1).contains(text);
        }

        @Override
        public String toString() {
            return process + " REST " + restUri;
        }
    }

    /** A TaskManager JVM started by {@link #startTaskManager()}. */
    public static final class TaskManager {
        private final JvmProcess process;
        private final String resourceId;

        private TaskManager(JvmProcess process, String resourceId) {
            this.process = process;
            this.resourceId = resourceId;
        }

        /** The id under which the TaskManager registers ({@code taskmanager.resource-id}). */
        public String resourceId() {
            return resourceId;
        }

        public long pid() {
            return process.pid();
        }

        public boolean isAlive() {
            return process.isAlive();
        }

        @Override
        public String toString() {
            return process.name() + "(" + resourceId + ", pid " + pid() + ")";
        }
    }

    /** Checkpoint statistics of a job as reported by {@code GET /jobs/:jobid/checkpoints}. */
    public record CheckpointStats(
            long total,
            long completed,
            long failed,
            long inProgress,
            long restored,
            Long latestCompletedId,
            String latestCompletedPath,
            Long restoredCheckpointId,
            Boolean restoredFromSavepoint,
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
                    completed.hasNonNull("external_path")
                            ? completed.path("external_path").asText()
                            : null,
                    restored.hasNonNull("id") ? restored.path("id").asLong() : null,
                    restored.hasNonNull("is_savepoint")
                            ? restored.path("is_savepoint").asBoolean()
                            : null,
                    restored.hasNonNull("external_path")
                            ? restored.path("external_path").asText()
                            : null);
        }
    }

    /** Configuration of a cluster before it starts. */
    public static final class Builder {
        private final Map<String, String> config = new LinkedHashMap<>();
        private int slotsPerTaskManager = 2;
        private int jobManagers = 1;
        private String zooKeeperQuorum;

        private Builder() {}

        /** How many JobManagers to start (more than one needs high availability: a leader and standbys). */
        public Builder jobManagers(int count) {
            this.jobManagers = count;
            return this;
        }

        /**
         * ZooKeeper high availability: leader election and the job and checkpoint stores in ZooKeeper at {@code
         * quorum}, their data in {@code ha/} of the work directory, a cluster id of its own.
         */
        public Builder zooKeeperHighAvailability(String quorum) {
            this.zooKeeperQuorum = quorum;
            return this;
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
