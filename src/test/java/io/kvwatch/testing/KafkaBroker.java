package io.kvwatch.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real, single-node Apache Kafka broker (KRaft, broker and controller in one process) for integration tests,
 * running in its own {@link JvmProcess} and listening on 127.0.0.1 only.
 *
 * <p>The broker's jars are not on the test classpath (they would clash with the kafka-clients version the Flink
 * connector brings): {@code src/test/runtime/kafka-broker/pom.xml} lists them and the build resolves them ({@link
 * TestRuntime#classpath}).
 *
 * <p>The broker's log goes to a file in its work directory, never to the test's output; when the broker fails to
 * start, the exception carries the tail of that log. On {@link #close()} the log is kept under {@code
 * target/test-runtime/kafka-broker-logs/} and the work directory is deleted.
 *
 * <p>{@link #stopProcess()} and {@link #restart()} take the broker down and bring it back with its data, on the
 * same ports, as an operator restarting a broker would.
 */
public final class KafkaBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaBroker.class);

    private static final String LOOPBACK = "127.0.0.1";
    private static final int NODE_ID = 1;

    private static final Duration FORMAT_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);
    /** Picked ports can be taken by someone else before the broker binds them; retry then. */
    private static final int START_ATTEMPTS = 3;

    /**
     * JVM options for the broker and the storage tool. C1 only: on a small, busy machine the C2 compiler threads
     * compete with start-up for the CPU; measured on 2 shared cores, this cut broker start from 8-15 s to 5-6 s and
     * formatting from ~5 s to ~2 s. A test broker never runs long enough to profit from C2. Serial GC: fewer threads,
     * and the heap is small anyway.
     */
    private static final List<String> JVM_OPTIONS =
            List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Djava.awt.headless=true");

    private final String classpath;
    private final Path workDir;
    private final Path serverLog;
    private final Path serverProperties;
    private final Path log4jConfig;
    /** Where {@link #close()} keeps the logs once the work directory is gone. */
    private final Path keptLogs;

    private final int port;
    private final int controllerPort;
    /** A second listener for clients that reach the broker through a test proxy, or 0. */
    private final int proxiedPort;
    /** Where that proxy listens: the address the broker advertises to clients of the second listener. */
    private final int proxyPort;

    private volatile JvmProcess process;
    private Admin admin;
    private Duration startupTime;
    private boolean closed;

    private KafkaBroker(String classpath, int port, int controllerPort, int proxiedPort, int proxyPort) {
        this.classpath = classpath;
        this.workDir = TestRuntime.createWorkDir("kafka-broker-");
        this.serverLog = workDir.resolve("logs").resolve("server.log");
        this.serverProperties = workDir.resolve("server.properties");
        this.log4jConfig = workDir.resolve("log4j2.properties");
        this.keptLogs = TestRuntime.buildDirectory()
                .resolve("test-runtime")
                .resolve("kafka-broker-logs")
                .resolve("kafka-broker-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))
                        + "-" + port);
        this.port = port;
        this.controllerPort = controllerPort;
        this.proxiedPort = proxiedPort;
        this.proxyPort = proxyPort;
    }

    /**
     * Starts a fresh broker with empty storage and returns once it serves client requests.
     *
     * @throws IllegalStateException if the broker does not come up; the message includes the tail of its log
     */
    public static KafkaBroker start() {
        return start(0);
    }

    /**
     * Like {@link #start()}, with a second listener for clients behind a test proxy listening on {@code proxyPort}
     * and forwarding to {@link #proxiedListenerPort()}: the broker advertises the proxy's address to them, so all
     * their connections go through it (see {@link TransactionCommitGate}).
     */
    public static KafkaBroker startBehindProxy(int proxyPort) {
        return start(proxyPort);
    }

    private static KafkaBroker start(int proxyPort) {
        String classpath = TestRuntime.classpath("kafka-broker");
        long startNanos = System.nanoTime();
        for (int attempt = 1; ; attempt++) {
            int[] ports = TestRuntime.freeLoopbackPorts(3);
            KafkaBroker broker =
                    new KafkaBroker(classpath, ports[0], ports[1], proxyPort > 0 ? ports[2] : 0, proxyPort);
            try {
                broker.writeConfiguration();
                broker.formatStorage();
                broker.launch();
                broker.startupTime = Duration.ofNanos(System.nanoTime() - startNanos);
                LOG.info(
                        "Kafka broker ready at {} in {} ms (pid {}, attempt {})",
                        broker.bootstrapServers(),
                        broker.startupTime.toMillis(),
                        broker.pid(),
                        attempt);
                return broker;
            } catch (PortTakenException e) {
                broker.close();
                if (attempt >= START_ATTEMPTS) {
                    throw new IllegalStateException(
                            "Kafka broker could not bind its ports in " + attempt + " attempts", e);
                }
                LOG.warn("Kafka broker ports were taken, retrying with new ones: {}", e.getMessage());
            } catch (RuntimeException | Error e) {
                broker.close();
                throw e;
            }
        }
    }

    /** {@code host:port} for the {@code bootstrap.servers} client setting. */
    public String bootstrapServers() {
        return LOOPBACK + ":" + port;
    }

    /** The port of the listener behind the proxy (see {@link #startBehindProxy}). */
    public int proxiedListenerPort() {
        return proxiedPort;
    }

    /** {@code bootstrap.servers} for clients that go through the proxy (see {@link #startBehindProxy}). */
    public String proxiedBootstrapServers() {
        return LOOPBACK + ":" + proxyPort;
    }

    /** A fresh copy of the settings every client of this broker needs. */
    public Properties clientProperties() {
        Properties properties = new Properties();
        properties.setProperty(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return properties;
    }

    /** Creates a topic with replication factor 1, and waits until every partition has a leader. */
    public void createTopic(String name, int partitions) {
        createTopic(name, partitions, Map.of());
    }

    /**
     * Creates a topic with replication factor 1 and the given topic configs (for example {@code cleanup.policy}),
     * and waits until every partition has a leader.
     */
    public void createTopic(String name, int partitions, Map<String, String> topicConfigs) {
        NewTopic topic = new NewTopic(name, partitions, (short) 1).configs(topicConfigs);
        await(admin().createTopics(List.of(topic)).all(), "create topic " + name);
        awaitLeaders(name, partitions);
    }

    /** How long {@link #start()} took from formatting the storage to the broker being ready. */
    public Duration startupTime() {
        return startupTime;
    }

    /** The operating-system process id of the broker JVM. */
    public long pid() {
        return process.pid();
    }

    /** The broker's work directory (storage, configuration, log); deleted by close(). */
    Path workDir() {
        return workDir;
    }

    /**
     * Stops the broker JVM like an operator does (SIGTERM: a controlled shutdown), keeping its storage for {@link
     * #restart()}. Clients see the broker gone until then.
     */
    public synchronized void stopProcess() {
        closeAdmin();
        if (process != null && process.isAlive()) {
            long stopNanos = System.nanoTime();
            process.stop(STOP_TIMEOUT);
            LOG.info(
                    "Kafka broker at {} stopped in {} ms",
                    bootstrapServers(),
                    Duration.ofNanos(System.nanoTime() - stopNanos).toMillis());
        }
    }

    /** Starts the stopped broker again on its storage and ports; returns once it serves client requests. */
    public synchronized void restart() {
        if (closed || (process != null && process.isAlive())) {
            throw new IllegalStateException("restart() needs a stopped, unclosed broker");
        }
        launch();
    }

    /**
     * Stops the broker (SIGTERM, then SIGKILL if it does not exit in time), keeps its log under {@code
     * target/test-runtime/kafka-broker-logs/} and deletes its work directory. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        stopProcess();
        closed = true;
        keepLogs();
        TestRuntime.deleteRecursively(workDir);
    }

    // -----------------------------------------------------------------------------------------------------------
    // Start-up

    private void writeConfiguration() {
        Properties p = new Properties();
        p.setProperty("process.roles", "broker,controller");
        p.setProperty("node.id", String.valueOf(NODE_ID));
        p.setProperty("controller.quorum.voters", NODE_ID + "@" + LOOPBACK + ":" + controllerPort);
        String proxied = proxiedPort > 0 ? ",PROXIED://" + LOOPBACK + ":" + proxiedPort : "";
        p.setProperty(
                "listeners",
                "PLAINTEXT://" + LOOPBACK + ":" + port + ",CONTROLLER://" + LOOPBACK + ":" + controllerPort + proxied);
        p.setProperty(
                "advertised.listeners",
                "PLAINTEXT://" + LOOPBACK + ":" + port
                        + (proxiedPort > 0 ? ",PROXIED://" + LOOPBACK + ":" + proxyPort : ""));
        p.setProperty("controller.listener.names", "CONTROLLER");
        p.setProperty("inter.broker.listener.name", "PLAINTEXT");
        p.setProperty(
                "listener.security.protocol.map",
                "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT" + (proxiedPort > 0 ? ",PROXIED:PLAINTEXT" : ""));
        p.setProperty("log.dirs", workDir.resolve("data").toString());
        // Single node: every internal topic has exactly one replica.
        p.setProperty("offsets.topic.replication.factor", "1");
        p.setProperty("transaction.state.log.replication.factor", "1");
        p.setProperty("transaction.state.log.min.isr", "1");
        p.setProperty("share.coordinator.state.topic.replication.factor", "1");
        p.setProperty("share.coordinator.state.topic.min.isr", "1");
        // The 50-partition defaults make the first group / transaction wait for 50 partitions on a small test
        // machine; a few are plenty for tests.
        p.setProperty("offsets.topic.num.partitions", "4");
        p.setProperty("transaction.state.log.num.partitions", "4");
        p.setProperty("group.initial.rebalance.delay.ms", "0");
        // Test records carry their audit record's time as Kafka timestamp, weeks or months in the past. With the
        // default time retention (7 days) the first retention check, 30 s after start, deletes them: a job restored
        // after that finds its checkpointed offsets gone and its partitions reset. Nothing in a test broker expires.
        p.setProperty("log.retention.ms", "-1");
        // Tests create their topics explicitly, with the partition count they mean.
        p.setProperty("auto.create.topics.enable", "false");
        // Flink's exactly-once sink keeps transactions open across checkpoints; it needs a cap above its
        // transaction.timeout.ms (default 1 h).
        p.setProperty("transaction.max.timeout.ms", "3600000");
        writeProperties(serverProperties, p);

        Properties log4j = new Properties();
        log4j.setProperty("status", "warn");
        log4j.setProperty("appender.file.type", "File");
        log4j.setProperty("appender.file.name", "file");
        log4j.setProperty("appender.file.fileName", serverLog.toString());
        log4j.setProperty("appender.file.layout.type", "PatternLayout");
        log4j.setProperty("appender.file.layout.pattern", "[%d{ISO8601}] %-5p [%t] %c: %m%n");
        log4j.setProperty("rootLogger.level", "INFO");
        log4j.setProperty("rootLogger.appenderRef.file.ref", "file");
        writeProperties(log4jConfig, log4j);
    }

    /** Formats the empty storage directory: a KRaft node refuses to start on unformatted storage. */
    private void formatStorage() {
        // Same format as `StorageTool random-uuid`, without starting a JVM for it.
        String clusterId = Uuid.randomUuid().toString();
        JvmProcess.Builder tool = jvm("kafka-storage-format", "kafka.tools.StorageTool", "-Xmx256m")
                .args("format", "-t", clusterId, "-c", serverProperties.toString());
        int exitCode = tool.run(FORMAT_TIMEOUT);
        if (exitCode != 0) {
            throw new IllegalStateException("Formatting the Kafka broker's storage failed with exit code " + exitCode
                    + "\n" + JvmProcess.tail(workDir.resolve("kafka-storage-format.out"), 80));
        }
    }

    private JvmProcess.Builder jvm(String name, String mainClass, String... heap) {
        return JvmProcess.builder(name, classpath, mainClass)
                .jvmOptions(JVM_OPTIONS)
                .jvmOptions(heap)
                .jvmOptions("-Dlog4j2.configurationFile=" + log4jConfig)
                .workingDir(workDir)
                .console(workDir.resolve(name + ".out"))
                .log(serverLog);
    }

    private void launch() {
        process = jvm("kafka-broker", "kafka.Kafka", "-Xms256m", "-Xmx512m")
                .args(serverProperties.toString())
                .start();
        // Nodes are listed once the broker is registered and unfenced; listing topics proves it serves metadata.
        Wait.on("Kafka broker at " + bootstrapServers() + " ready", START_TIMEOUT)
                .every(Duration.ofMillis(100))
                .failFast(this::checkProcessAlive)
                .context(this::brokerLogs)
                .until(() -> acceptsConnections(port)
                        && !admin().describeCluster()
                                .nodes()
                                .get(5, TimeUnit.SECONDS)
                                .isEmpty()
                        && admin().listTopics().names().get(5, TimeUnit.SECONDS) != null);
    }

    private void checkProcessAlive() {
        if (process.isAlive()) {
            return;
        }
        String logs = brokerLogs();
        if (logs.contains("Address already in use")) {
            throw new PortTakenException(bootstrapServers() + " or controller port " + controllerPort);
        }
        throw new IllegalStateException(
                "Kafka broker JVM exited with code " + process.exitValue() + " during start-up\n" + logs);
    }

    private static boolean acceptsConnections(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(LOOPBACK, port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private synchronized Admin admin() {
        if (closed) {
            throw new IllegalStateException("Kafka broker at " + bootstrapServers() + " is closed");
        }
        if (admin == null) {
            Properties properties = clientProperties();
            properties.setProperty(AdminClientConfig.CLIENT_ID_CONFIG, "kafka-broker-test-admin");
            properties.setProperty(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
            properties.setProperty(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
            admin = Admin.create(properties);
        }
        return admin;
    }

    private synchronized void closeAdmin() {
        if (admin != null) {
            try {
                admin.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                LOG.warn("Closing the admin client of the Kafka broker failed", e);
            }
            admin = null;
        }
    }

    private void awaitLeaders(String topic, int partitions) {
        // Right after creation, describing the topic typically fails with UnknownTopicOrPartitionException.
        Wait.on("topic " + topic + " with a leader for all " + partitions + " partitions", ADMIN_TIMEOUT)
                .every(Duration.ofMillis(100))
                .until(() -> {
                    List<TopicPartitionInfo> infos = admin().describeTopics(List.of(topic))
                            .allTopicNames()
                            .get(5, TimeUnit.SECONDS)
                            .get(topic)
                            .partitions();
                    return infos.size() == partitions
                            && infos.stream()
                                    .allMatch(i ->
                                            i.leader() != null && !i.leader().isEmpty());
                });
    }

    private static <T> T await(KafkaFuture<T> future, String what) {
        try {
            return future.get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted: " + what, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("Failed to " + what + ": " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("Timed out trying to " + what, e);
        }
    }

    // -----------------------------------------------------------------------------------------------------------
    // Logs

    /** Keeps the broker's logs beyond its work directory, to explain failed tests later. */
    private void keepLogs() {
        for (Path log : List.of(serverLog, workDir.resolve("kafka-broker.out"))) {
            Path kept = keptLogs.resolveSibling(keptLogs.getFileName() + "." + log.getFileName());
            try {
                if (Files.exists(log) && Files.size(log) > 0) {
                    Files.createDirectories(kept.getParent());
                    Files.copy(log, kept, StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (IOException e) {
                LOG.warn("Could not keep the Kafka broker's log {} as {}", log, kept, e);
            }
        }
    }

    /** The end of the broker's logs, and where to find them in full, for exception messages. */
    private String brokerLogs() {
        return (process != null ? process.logTail() : JvmProcess.tail(serverLog, 80))
                + "\nFull broker log after close(): " + keptLogs + ".server.log";
    }

    private static void writeProperties(Path file, Properties properties) {
        try (OutputStream out = Files.newOutputStream(file)) {
            properties.store(out, "Written by " + KafkaBroker.class.getName());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The broker died because another process took one of its ports first. */
    private static final class PortTakenException extends RuntimeException {
        PortTakenException(String message) {
            super(message);
        }
    }
}
