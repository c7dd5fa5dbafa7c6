package io.kvwatch.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real, single-node Apache Kafka broker (KRaft, broker and controller in one process) for
 * integration tests, running in its own JVM and listening on 127.0.0.1 only.
 *
 * <p>The broker's jars are not on the test classpath (they would clash with the kafka-clients
 * version the Flink connector brings). Instead {@code src/test/runtime/kafka-broker/pom.xml} lists
 * them, and Maven computes their classpath once; the result is cached in {@code
 * target/test-runtime/kafka-broker.classpath}.
 *
 * <p>The broker's log goes to a file in its temporary directory, never to the test's output; when
 * the broker fails to start, the exception carries the tail of that log. On {@link #close()} the
 * log is kept under {@code target/test-runtime/kafka-broker-logs/} and the temporary directory is
 * deleted.
 *
 * <p>The broker never outlives the test JVM: {@link #close()} stops it, a shutdown hook stops it
 * if a test forgets to or the JVM exits early, and {@link ParentWatchdogMain} makes it exit when
 * the test JVM is killed outright.
 */
public final class KafkaBroker implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaBroker.class);

  private static final String LOOPBACK = "127.0.0.1";
  private static final String KAFKA_MAIN_CLASS = "kafka.Kafka";
  private static final String STORAGE_TOOL_CLASS = "kafka.tools.StorageTool";
  private static final String BROKER_POM = "src/test/runtime/kafka-broker/pom.xml";
  private static final int NODE_ID = 1;

  private static final Duration CLASSPATH_TIMEOUT = Duration.ofMinutes(10);
  private static final Duration FORMAT_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration POLL_INTERVAL = Duration.ofMillis(100);
  /** Picked ports can be taken by someone else before the broker binds them; retry then. */
  private static final int START_ATTEMPTS = 3;

  private static final int LOG_TAIL_LINES = 80;

  /**
   * JVM options for the broker and the storage tool. C1 only: on a small, busy machine the C2
   * compiler threads compete with start-up for the CPU; measured on 2 shared cores, this cut
   * broker start from 8-15 s to 5-6 s and formatting from ~5 s to ~2 s. A test broker never runs
   * long enough to profit from C2. Serial GC: fewer threads, and the heap is small anyway.
   */
  private static final List<String> JVM_OPTIONS =
      List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Djava.awt.headless=true");

  /** The broker classpath, resolved at most once per JVM. Guarded by {@code KafkaBroker.class}. */
  private static String brokerClasspath;

  private final Path workDir;
  private final Path serverLog;
  private final Path consoleLog;
  /** Where {@link #close()} keeps the two logs above once the temporary directory is gone. */
  private final Path keptServerLog;
  private final Path keptConsoleLog;
  private final int port;
  private final int controllerPort;
  private final Thread shutdownHook;

  private volatile Process process;
  private Admin admin;
  private Duration startupTime;
  private boolean closed;

  private KafkaBroker(Path workDir, int port, int controllerPort) {
    this.workDir = workDir;
    this.serverLog = workDir.resolve("logs").resolve("server.log");
    this.consoleLog = workDir.resolve("console.log");
    String keptName =
        "kafka-broker-"
            + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))
            + "-"
            + port;
    Path keptLogsDir = buildDirectory().resolve("test-runtime").resolve("kafka-broker-logs");
    this.keptServerLog = keptLogsDir.resolve(keptName + ".log");
    this.keptConsoleLog = keptLogsDir.resolve(keptName + ".console.log");
    this.port = port;
    this.controllerPort = controllerPort;
    this.shutdownHook = new Thread(this::stopOnJvmShutdown, "kafka-broker-shutdown-" + port);
  }

  /**
   * Starts a fresh broker with empty storage and returns once it serves client requests.
   *
   * @throws IllegalStateException if the broker does not come up; the message includes the tail of
   *     the broker's log
   */
  public static KafkaBroker start() {
    String classpath = brokerClasspath();
    long startNanos = System.nanoTime();
    for (int attempt = 1; ; attempt++) {
      int[] ports = freeLoopbackPorts(2);
      KafkaBroker broker = new KafkaBroker(createWorkDir(), ports[0], ports[1]);
      try {
        broker.launch(classpath);
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
   * Creates a topic with replication factor 1 and the given topic configs (for example {@code
   * cleanup.policy}), and waits until every partition has a leader.
   */
  public void createTopic(String name, int partitions, Map<String, String> topicConfigs) {
    NewTopic topic = new NewTopic(name, partitions, (short) 1).configs(topicConfigs);
    await(admin().createTopics(List.of(topic)).all(), "create topic " + name);
    awaitLeaders(name, partitions);
  }

  /**
   * How long {@link #start()} took from formatting the storage to the broker being ready; the
   * one-off classpath resolution is not included.
   */
  public Duration startupTime() {
    return startupTime;
  }

  /** The operating-system process id of the broker JVM. */
  public long pid() {
    return process.pid();
  }

  /** The broker's temporary directory (storage, configuration, log); deleted by close(). */
  Path workDir() {
    return workDir;
  }

  /**
   * Stops the broker (SIGTERM, then SIGKILL if it does not exit in time), keeps its log under
   * {@code target/test-runtime/kafka-broker-logs/} and deletes its temporary directory. Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (admin != null) {
      try {
        admin.close(Duration.ofSeconds(5));
      } catch (RuntimeException e) {
        LOG.warn("Closing the admin client of the Kafka broker failed", e);
      }
      admin = null;
    }
    stopProcess();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // The JVM is already shutting down; the hook is running or has run.
    }
    keepLogs();
    deleteRecursively(workDir);
  }

  // ---------------------------------------------------------------------------------------------
  // Start-up

  private void launch(String classpath) {
    Path dataDir = workDir.resolve("data");
    Path serverProperties = workDir.resolve("server.properties");
    Path log4jConfig = workDir.resolve("log4j2.properties");
    writeProperties(serverProperties, serverProperties(dataDir));
    writeProperties(log4jConfig, log4jProperties());

    formatStorage(classpath, serverProperties, log4jConfig);

    Path launcherDir = copyWatchdogClass();
    List<String> command = new ArrayList<>();
    command.add(javaExecutable());
    command.addAll(JVM_OPTIONS);
    command.add("-Xms256m");
    command.add("-Xmx512m");
    command.add("-Dlog4j2.configurationFile=" + log4jConfig);
    command.add("-cp");
    command.add(launcherDir + java.io.File.pathSeparator + classpath);
    command.add(ParentWatchdogMain.class.getName());
    command.add(KAFKA_MAIN_CLASS);
    command.add(serverProperties.toString());

    Runtime.getRuntime().addShutdownHook(shutdownHook);
    try {
      // stdin stays a pipe held open by this JVM: ParentWatchdogMain exits when it closes.
      process =
          new ProcessBuilder(command)
              .directory(workDir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(consoleLog.toFile())
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot start the Kafka broker JVM: " + describe(command, classpath), e);
    }
    awaitReady(System.nanoTime() + START_TIMEOUT.toNanos());
  }

  private Properties serverProperties(Path dataDir) {
    Properties p = new Properties();
    p.setProperty("process.roles", "broker,controller");
    p.setProperty("node.id", String.valueOf(NODE_ID));
    p.setProperty("controller.quorum.voters", NODE_ID + "@" + LOOPBACK + ":" + controllerPort);
    p.setProperty(
        "listeners",
        "PLAINTEXT://" + LOOPBACK + ":" + port + ",CONTROLLER://" + LOOPBACK + ":"
            + controllerPort);
    p.setProperty("advertised.listeners", "PLAINTEXT://" + LOOPBACK + ":" + port);
    p.setProperty("controller.listener.names", "CONTROLLER");
    p.setProperty("inter.broker.listener.name", "PLAINTEXT");
    p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.setProperty("log.dirs", dataDir.toString());
    // Single node: every internal topic has exactly one replica.
    p.setProperty("offsets.topic.replication.factor", "1");
    p.setProperty("transaction.state.log.replication.factor", "1");
    p.setProperty("transaction.state.log.min.isr", "1");
    p.setProperty("share.coordinator.state.topic.replication.factor", "1");
    p.setProperty("share.coordinator.state.topic.min.isr", "1");
    // The 50-partition defaults make the first group / transaction wait for 50 partitions on a
    // small test machine; a few are plenty for tests.
    p.setProperty("offsets.topic.num.partitions", "4");
    p.setProperty("transaction.state.log.num.partitions", "4");
    p.setProperty("group.initial.rebalance.delay.ms", "0");
    // Test records carry their audit record's time as Kafka timestamp, weeks or months in the past.
    // With the default time retention (7 days) the first retention check, 30 s after start, deletes
    // them: a job restored after that finds its checkpointed offsets gone and its partitions reset.
    // Nothing in a test broker expires.
    p.setProperty("log.retention.ms", "-1");
    // Tests create their topics explicitly, with the partition count they mean.
    p.setProperty("auto.create.topics.enable", "false");
    // Flink's exactly-once sink keeps transactions open across checkpoints; it needs a cap above
    // its transaction.timeout.ms (default 1 h).
    p.setProperty("transaction.max.timeout.ms", "3600000");
    return p;
  }

  private Properties log4jProperties() {
    Properties p = new Properties();
    p.setProperty("status", "warn");
    p.setProperty("appender.file.type", "File");
    p.setProperty("appender.file.name", "file");
    p.setProperty("appender.file.fileName", serverLog.toString());
    p.setProperty("appender.file.layout.type", "PatternLayout");
    p.setProperty("appender.file.layout.pattern", "[%d{ISO8601}] %-5p [%t] %c: %m%n");
    p.setProperty("rootLogger.level", "INFO");
    p.setProperty("rootLogger.appenderRef.file.ref", "file");
    return p;
  }

  /** Formats the empty storage directory: a KRaft node refuses to start on unformatted storage. */
  private void formatStorage(String classpath, Path serverProperties, Path log4jConfig) {
    // Same format as `StorageTool random-uuid`, without starting a JVM for it.
    String clusterId = Uuid.randomUuid().toString();
    Path output = workDir.resolve("format-storage.log");
    List<String> command = new ArrayList<>();
    command.add(javaExecutable());
    command.addAll(JVM_OPTIONS);
    command.add("-Xmx256m");
    command.add("-Dlog4j2.configurationFile=" + log4jConfig);
    command.add("-cp");
    command.add(classpath);
    command.addAll(
        List.of(STORAGE_TOOL_CLASS, "format", "-t", clusterId, "-c", serverProperties.toString()));
    int exitCode = run(command, output, FORMAT_TIMEOUT, "format the Kafka broker's storage");
    if (exitCode != 0) {
      throw new IllegalStateException(
          "Formatting the Kafka broker's storage failed with exit code "
              + exitCode
              + ": "
              + describe(command, classpath)
              + "\n"
              + tail(output));
    }
  }

  /** A command line for messages, with the (long) broker classpath abbreviated. */
  private static String describe(List<String> command, String classpath) {
    return command.stream()
        .map(arg -> arg.replace(classpath, "<kafka-broker.classpath>"))
        .collect(Collectors.joining(" "));
  }

  /**
   * Copies {@link ParentWatchdogMain} into a directory of its own, so the broker JVM can load it
   * without the rest of the test classpath (whose resources, such as log4j configuration files,
   * must not leak into the broker).
   */
  private Path copyWatchdogClass() {
    String resource = ParentWatchdogMain.class.getName().replace('.', '/') + ".class";
    Path launcherDir = workDir.resolve("launcher");
    Path target = launcherDir.resolve(resource);
    try (InputStream in = ParentWatchdogMain.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("Class file not found on the classpath: " + resource);
      }
      Files.createDirectories(target.getParent());
      Files.copy(in, target);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return launcherDir;
  }

  /** Polls (no fixed sleeps) until the broker accepts connections and answers admin requests. */
  private void awaitReady(long deadlineNanos) {
    while (!acceptsConnections(port)) {
      checkProcessAlive();
      checkDeadline(deadlineNanos, null);
      sleep(Duration.ofMillis(50));
    }
    Exception lastFailure = null;
    while (true) {
      checkProcessAlive();
      try {
        // Nodes are listed once the broker is registered and unfenced; listing topics proves it
        // serves metadata.
        if (!admin().describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
          admin().listTopics().names().get(5, TimeUnit.SECONDS);
          return;
        }
      } catch (ExecutionException | TimeoutException e) {
        lastFailure = e;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted while waiting for the Kafka broker", e);
      }
      checkDeadline(deadlineNanos, lastFailure);
      sleep(POLL_INTERVAL);
    }
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

  private void checkDeadline(long deadlineNanos, Exception lastFailure) {
    if (System.nanoTime() - deadlineNanos > 0) {
      throw new IllegalStateException(
          "Kafka broker at "
              + bootstrapServers()
              + " not ready within "
              + START_TIMEOUT.toSeconds()
              + " s\n"
              + brokerLogs(),
          lastFailure);
    }
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

  private void awaitLeaders(String topic, int partitions) {
    long deadline = System.nanoTime() + ADMIN_TIMEOUT.toNanos();
    Exception lastFailure = null;
    while (System.nanoTime() - deadline < 0) {
      try {
        TopicDescription description =
            admin()
                .describeTopics(List.of(topic))
                .allTopicNames()
                .get(5, TimeUnit.SECONDS)
                .get(topic);
        List<TopicPartitionInfo> infos = description.partitions();
        if (infos.size() == partitions
            && infos.stream().allMatch(i -> i.leader() != null && !i.leader().isEmpty())) {
          return;
        }
      } catch (ExecutionException | TimeoutException e) {
        lastFailure = e; // typically UnknownTopicOrPartitionException right after creation
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted while waiting for topic " + topic, e);
      }
      sleep(POLL_INTERVAL);
    }
    throw new IllegalStateException(
        "Topic " + topic + " has no leader for all " + partitions + " partitions", lastFailure);
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

  // ---------------------------------------------------------------------------------------------
  // Shutdown

  private void stopProcess() {
    Process p = process;
    if (p == null || !p.isAlive()) {
      return;
    }
    long stopNanos = System.nanoTime();
    // SIGTERM: the broker shuts down cleanly. Through the ProcessHandle, because Process.destroy()
    // also closes the broker's stdin, which ParentWatchdogMain would take for the test JVM dying.
    if (!p.toHandle().destroy()) {
      p.destroy();
    }
    try {
      if (!p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn(
            "Kafka broker (pid {}) did not stop within {} s, killing it",
            p.pid(),
            STOP_TIMEOUT.toSeconds());
        p.destroyForcibly();
        if (!p.waitFor(KILL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
          LOG.error("Kafka broker (pid {}) is still running after SIGKILL", p.pid());
          return;
        }
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      return;
    }
    LOG.info(
        "Kafka broker at {} stopped in {} ms",
        bootstrapServers(),
        Duration.ofNanos(System.nanoTime() - stopNanos).toMillis());
  }

  private void stopOnJvmShutdown() {
    stopProcess();
    deleteRecursively(workDir);
  }

  /** Keeps the broker's logs beyond its temporary directory, to explain failed tests later. */
  private void keepLogs() {
    keepLog(serverLog, keptServerLog);
    keepLog(consoleLog, keptConsoleLog);
  }

  private static void keepLog(Path log, Path keptLog) {
    try {
      if (Files.exists(log) && Files.size(log) > 0) {
        Files.createDirectories(keptLog.getParent());
        Files.copy(log, keptLog, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      LOG.warn("Could not keep the Kafka broker's log {} as {}", log, keptLog, e);
    }
  }

  /** The end of the broker's logs, and where to find them in full, for exception messages. */
  private String brokerLogs() {
    StringBuilder logs = new StringBuilder(tail(serverLog));
    if (Files.exists(consoleLog) && consoleLog.toFile().length() > 0) {
      logs.append('\n').append(tail(consoleLog));
    }
    return logs.append("\nFull broker log: ").append(keptServerLog).toString();
  }

  // ---------------------------------------------------------------------------------------------
  // Broker classpath

  /** Resolves the broker classpath with Maven, or reuses the cached result. */
  private static synchronized String brokerClasspath() {
    if (brokerClasspath != null) {
      return brokerClasspath;
    }
    Path pom = projectBasedir().resolve(BROKER_POM);
    if (!Files.isRegularFile(pom)) {
      throw new IllegalStateException("Kafka broker pom not found: " + pom);
    }
    Path runtimeDir = buildDirectory().resolve("test-runtime");
    Path classpathFile = runtimeDir.resolve("kafka-broker.classpath");
    String classpath = readUsableClasspath(classpathFile, pom);
    if (classpath == null) {
      resolveClasspath(pom, runtimeDir, classpathFile);
      classpath = readUsableClasspath(classpathFile, pom);
      if (classpath == null) {
        throw new IllegalStateException(
            "Maven wrote no usable Kafka broker classpath to " + classpathFile);
      }
    }
    brokerClasspath = classpath;
    return classpath;
  }

  /** The cached classpath, or null when it is missing, older than the pom, or names lost jars. */
  private static String readUsableClasspath(Path classpathFile, Path pom) {
    try {
      if (!Files.isRegularFile(classpathFile)
          || Files.getLastModifiedTime(classpathFile).compareTo(Files.getLastModifiedTime(pom))
              < 0) {
        return null;
      }
      String classpath = Files.readString(classpathFile, UTF_8).trim();
      List<String> entries = Arrays.asList(classpath.split(java.io.File.pathSeparator));
      boolean complete =
          entries.stream().anyMatch(e -> e.contains("kafka_2.13"))
              && entries.stream().allMatch(e -> Files.exists(Path.of(e)));
      return complete ? classpath : null;
    } catch (IOException e) {
      return null;
    }
  }

  private static void resolveClasspath(Path pom, Path runtimeDir, Path classpathFile) {
    long startNanos = System.nanoTime();
    Path output = runtimeDir.resolve("kafka-broker-classpath.log");
    Path tempFile = runtimeDir.resolve("kafka-broker.classpath.tmp");
    List<String> command = new ArrayList<>();
    command.add(mavenExecutable());
    command.add("-q");
    command.add("-B");
    command.add("-f");
    command.add(pom.toString());
    command.add("dependency:build-classpath");
    command.add("-Dmdep.outputFile=" + tempFile);
    String repoLocal = definedProperty("maven.repo.local");
    if (repoLocal != null) {
      command.add("-Dmaven.repo.local=" + repoLocal);
    }
    try {
      Files.createDirectories(runtimeDir);
      Files.deleteIfExists(tempFile);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int exitCode = run(command, output, CLASSPATH_TIMEOUT, "resolve the Kafka broker classpath");
    if (exitCode != 0 || !Files.isRegularFile(tempFile)) {
      throw new IllegalStateException(
          "Resolving the Kafka broker classpath failed (exit code "
              + exitCode
              + "): "
              + String.join(" ", command)
              + "\n"
              + tail(output));
    }
    try {
      Files.move(
          tempFile,
          classpathFile,
          StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    LOG.info(
        "Resolved the Kafka broker classpath in {} ms into {}",
        Duration.ofNanos(System.nanoTime() - startNanos).toMillis(),
        classpathFile);
  }

  private static String mavenExecutable() {
    String mavenHome = definedProperty("maven.home");
    if (mavenHome != null) {
      boolean windows = System.getProperty("os.name", "").startsWith("Windows");
      Path mvn = Path.of(mavenHome, "bin", windows ? "mvn.cmd" : "mvn");
      if (Files.isExecutable(mvn)) {
        return mvn.toString();
      }
    }
    return "mvn";
  }

  private static Path projectBasedir() {
    String basedir = definedProperty("project.basedir");
    return Path.of(basedir != null ? basedir : System.getProperty("user.dir"));
  }

  private static Path buildDirectory() {
    String buildDir = definedProperty("project.build.directory");
    return buildDir != null ? Path.of(buildDir) : projectBasedir().resolve("target");
  }

  /** A system property's value; null when absent, blank, or an unexpanded Maven expression. */
  private static String definedProperty(String name) {
    String value = System.getProperty(name);
    return value == null || value.isBlank() || value.contains("${") ? null : value;
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private static String javaExecutable() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** Runs a command to completion, its output into a file; returns the exit code. */
  private static int run(List<String> command, Path output, Duration timeout, String what) {
    Process p;
    try {
      p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(output.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(nullDevice()))
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot " + what + ": " + command, e);
    }
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        p.waitFor(KILL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        throw new IllegalStateException(
            "Timed out after " + timeout.toSeconds() + " s trying to " + what + "\n"
                + tail(output));
      }
      return p.exitValue();
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted trying to " + what, e);
    }
  }

  private static java.io.File nullDevice() {
    boolean windows = System.getProperty("os.name", "").startsWith("Windows");
    return new java.io.File(windows ? "NUL" : "/dev/null");
  }

  private static int[] freeLoopbackPorts(int count) {
    // Hold all sockets open together so the ports are distinct.
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      InetAddress loopback = InetAddress.getByName(LOOPBACK);
      for (int i = 0; i < count; i++) {
        ServerSocket socket = new ServerSocket(0, 1, loopback);
        sockets.add(socket);
      }
      return sockets.stream().mapToInt(ServerSocket::getLocalPort).toArray();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot find free loopback ports", e);
    } finally {
      for (ServerSocket socket : sockets) {
        try {
          socket.close();
        } catch (IOException e) {
          // best effort
        }
      }
    }
  }

  private static Path createWorkDir() {
    try {
      return Files.createTempDirectory("kafka-broker-");
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create a temporary directory for Kafka", e);
    }
  }

  private static void writeProperties(Path file, Properties properties) {
    try (OutputStream out = Files.newOutputStream(file)) {
      properties.store(out, "Written by " + KafkaBroker.class.getName());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The last lines of a log file, headed by its name, for exception messages. */
  private static String tail(Path file) {
    if (!Files.isRegularFile(file)) {
      return "(" + file + " does not exist)";
    }
    try {
      // Decoded leniently: a truncated or binary log must not hide the original failure.
      List<String> lines = new String(Files.readAllBytes(file), UTF_8).lines().toList();
      int from = Math.max(0, lines.size() - LOG_TAIL_LINES);
      return lines.subList(from, lines.size()).stream()
          .collect(
              Collectors.joining(
                  "\n",
                  "---- last " + (lines.size() - from) + " lines of " + file + " ----\n",
                  "\n---- end of " + file.getFileName() + " ----"));
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e + ")";
    }
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted", e);
    }
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try {
      Files.walkFileTree(
          dir,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.deleteIfExists(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
              Files.deleteIfExists(d);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      LOG.warn("Could not delete the Kafka broker's directory {}", dir, e);
    }
  }

  /** The broker died because another process took one of its ports first. */
  private static final class PortTakenException extends RuntimeException {
    PortTakenException(String message) {
      super(message);
    }
  }
}
