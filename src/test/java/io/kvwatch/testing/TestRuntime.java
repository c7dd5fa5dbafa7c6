package io.kvwatch.testing;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where the services of the integration tests come from and what they share: the classpaths the build resolved
 * from {@code src/test/runtime/*}, the build directory, loopback ports, file clean-up.
 *
 * <p>The build (execution {@code test-runtime-classpaths} of the project pom, bound to {@code
 * pre-integration-test}) writes {@code target/test-runtime/<name>.classpath}; nothing here runs Maven.
 */
public final class TestRuntime {

    private TestRuntime() {}

    /**
     * The classpath of the service {@code name} ({@code kafka-broker}, {@code flink-cluster}, {@code zookeeper}).
     *
     * @throws IllegalStateException if the build has not written it, or it names jars that are gone
     */
    public static String classpath(String name) {
        Path file = buildDirectory().resolve("test-runtime").resolve(name + ".classpath");
        String fix = "; run `mvn pre-integration-test` (any `mvn verify` does) to resolve it";
        try {
            if (!Files.isRegularFile(file)) {
                throw new IllegalStateException("No classpath " + file + fix);
            }
            // No staleness check by time: the build resolves the classpaths before every integration-test run, and the
            // dependency plugin leaves a file whose content would not change untouched, so an older file is current.
            String classpath = Files.readString(file).trim();
            List<String> missing = Stream.of(classpath.split(File.pathSeparator))
                    .filter(entry -> !Files.isRegularFile(Path.of(entry)))
                    .toList();
            if (classpath.isEmpty() || !missing.isEmpty()) {
                throw new IllegalStateException("The classpath " + file + " names missing jars " + missing + fix);
            }
            return classpath;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + file, e);
        }
    }

    public static Path projectBasedir() {
        String basedir = definedProperty("project.basedir");
        return Path.of(basedir != null ? basedir : System.getProperty("user.dir"))
                .toAbsolutePath();
    }

    public static Path buildDirectory() {
        String buildDir = definedProperty("project.build.directory");
        return buildDir != null
                ? Path.of(buildDir).toAbsolutePath()
                : projectBasedir().resolve("target");
    }

    /** A new directory for one service's files under {@code target/test-runtime}. */
    public static Path createWorkDir(String prefix) {
        try {
            Path runtimeDir = Files.createDirectories(buildDirectory().resolve("test-runtime"));
            return Files.createTempDirectory(runtimeDir, prefix).toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create a work directory for " + prefix, e);
        }
    }

    /**
     * A directory holding only {@link ParentWatchdogMain}'s class, to put in front of a service's classpath without
     * the rest of the test classpath (whose resources, such as log4j configuration files, must not leak into it).
     */
    static synchronized Path watchdogClassDir() {
        String resource = ParentWatchdogMain.class.getName().replace('.', '/') + ".class";
        Path dir = buildDirectory().resolve("test-runtime").resolve("launcher");
        Path target = dir.resolve(resource);
        try (InputStream in = ParentWatchdogMain.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("Class file not found on the classpath: " + resource);
            }
            Files.createDirectories(target.getParent());
            // Other test JVMs may be starting services from the same directory: replace atomically.
            Path partial = Files.createTempFile(target.getParent(), "watchdog", ".partial");
            Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    /** Distinct free ports on 127.0.0.1 (all sockets held open together, so they differ). */
    public static int[] freeLoopbackPorts(int count) {
        ServerSocket[] sockets = new ServerSocket[count];
        try {
            InetAddress loopback = InetAddress.getLoopbackAddress();
            for (int i = 0; i < count; i++) {
                sockets[i] = new ServerSocket(0, 1, loopback);
            }
            return Stream.of(sockets).mapToInt(ServerSocket::getLocalPort).toArray();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot find free loopback ports", e);
        } finally {
            for (ServerSocket socket : sockets) {
                try {
                    if (socket != null) {
                        socket.close();
                    }
                } catch (IOException e) {
                    // best effort
                }
            }
        }
    }

    /** Deletes a directory tree, best effort; returns whether it is gone. */
    public static boolean deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return true;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException ignored) {
                    // reported through the return value
                }
            });
        } catch (IOException | UncheckedIOException ignored) {
            // reported through the return value
        }
        return !Files.exists(root);
    }

    /** A system property's value; null when absent, blank, or an unexpanded Maven expression. */
    private static String definedProperty(String name) {
        String value = System.getProperty(name);
        return value == null || value.isBlank() || value.contains("${") ? null : value;
    }
}
