package io.kvwatch.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A real, standalone Apache ZooKeeper server (3.9) for integration tests, in its own {@link JvmProcess}, listening on
 * 127.0.0.1 only, without its admin HTTP server. Flink's ZooKeeper high availability keeps its leader election and
 * its job and checkpoint pointers here.
 *
 * <p>Its jars come from {@code src/test/runtime/zookeeper/pom.xml}, resolved by the build ({@link
 * TestRuntime#classpath}). {@link #close()} stops it and deletes its data.
 */
public final class ZooKeeperServer implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);

    private final Path workDir;
    private final int port;
    private final JvmProcess process;

    private ZooKeeperServer(Path workDir, int port, JvmProcess process) {
        this.workDir = workDir;
        this.port = port;
        this.process = process;
    }

    /** Starts a server with empty data and returns once it answers {@code ruok} with {@code imok}. */
    public static ZooKeeperServer start() {
        String classpath = TestRuntime.classpath("zookeeper");
        Path workDir = TestRuntime.createWorkDir("zookeeper-");
        int port = TestRuntime.freeLoopbackPorts(1)[0];
        Path config = workDir.resolve("zoo.cfg");
        Path log4j = workDir.resolve("log4j2.properties");
        Path log = workDir.resolve("zookeeper.log");
        try {
            Files.writeString(
                    config,
                    String.join(
                            "\n",
                            "tickTime=2000",
                            "dataDir=" + Files.createDirectories(workDir.resolve("data")),
                            "clientPortAddress=127.0.0.1",
                            "clientPort=" + port,
                            "maxClientCnxns=0",
                            // The AdminServer would listen on 8080 of every interface; the health check needs only
                            // ruok.
                            "admin.enableServer=false",
                            "4lw.commands.whitelist=ruok",
                            ""));
            Files.writeString(
                    log4j,
                    String.join(
                            "\n",
                            "appender.file.type = File",
                            "appender.file.name = file",
                            "appender.file.fileName = " + log,
                            "appender.file.layout.type = PatternLayout",
                            "appender.file.layout.pattern = %d{ISO8601} %-5p [%t] %c{1}: %m%n",
                            "rootLogger.level = INFO",
                            "rootLogger.appenderRef.file.ref = file",
                            ""));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        JvmProcess process = JvmProcess.builder(
                        "zookeeper", classpath, "org.apache.zookeeper.server.ZooKeeperServerMain")
                .jvmOptions(
                        "-Xmx256m",
                        "-XX:TieredStopAtLevel=1",
                        "-XX:+UseSerialGC",
                        "-Dlog4j2.configurationFile=" + log4j,
                        "-Dzookeeper.jmx.log4j.disable=true")
                .args(config.toString())
                .workingDir(workDir)
                .log(log)
                .start();
        ZooKeeperServer server = new ZooKeeperServer(workDir, port, process);
        try {
            Wait.on("ZooKeeper at " + server.connectString() + " answering ruok", START_TIMEOUT)
                    .failFast(() -> {
                        if (!process.isAlive()) {
                            throw new IllegalStateException("ZooKeeper exited with " + process.exitValue()
                                    + " during start-up\n" + process.logTail());
                        }
                    })
                    .context(process::logTail)
                    .until(server::answersRuok);
            return server;
        } catch (RuntimeException | Error e) {
            server.close();
            throw e;
        }
    }

    /** {@code host:port} for {@code high-availability.zookeeper.quorum}. */
    public String connectString() {
        return "127.0.0.1:" + port;
    }

    public long pid() {
        return process.pid();
    }

    /** Stops the server (SIGTERM, then SIGKILL) and deletes its data. Idempotent. */
    @Override
    public void close() {
        process.stop(STOP_TIMEOUT);
        TestRuntime.deleteRecursively(workDir);
    }

    private boolean answersRuok() throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            socket.setSoTimeout(2000);
            OutputStream out = socket.getOutputStream();
            out.write("ruok".getBytes(UTF_8));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), UTF_8).equals("imok");
        }
    }

    @Override
    public String toString() {
        return "ZooKeeper " + connectString() + " " + process;
    }
}
