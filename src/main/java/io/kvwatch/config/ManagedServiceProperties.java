package io.kvwatch.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The job's settings from the runtime properties of Amazon Managed Service for Apache Flink, which takes neither
 * program arguments nor environment variables. The service writes the application's property groups to
 * {@value #DEFAULT_FILE} on its JobManager as {@code [{"PropertyGroupId": ..., "PropertyMap": {...}}, ...]} (the file
 * its runtime library's {@code KinesisAnalyticsRuntime.getApplicationProperties()} reads); the group
 * {@value #GROUP} holds the job's own keys ({@code history-window}, {@code kafka.topic}, ...), spelt as on the command
 * line. Reading the file directly keeps that AWS library out of the job jar.
 *
 * <p>They are the lowest layer of {@link JobConfig}, below a {@code --config} file: on the service nothing else is
 * given, and elsewhere the file does not exist. {@value #FILE_ENV} names another file (tests, other services).
 *
 * <p>On the service the job reads Kafka clusters that need no secret (e.g. Amazon MSK over TLS), not Event Hubs: the
 * service gives the job no secret source, and runtime properties are no place for a connection string (docs/deployment.md).
 */
public final class ManagedServiceProperties {

    public static final String DEFAULT_FILE = "/etc/flink/application_properties.json";
    public static final String FILE_ENV = "KVWATCH_RUNTIME_PROPERTIES_FILE";
    public static final String GROUP = "kvwatch";

    private static final ObjectMapper JSON = new ObjectMapper();

    private ManagedServiceProperties() {}

    /** The {@value #GROUP} group of the runtime properties file, or nothing when there is no such file. */
    public static Map<String, String> read(Map<String, String> env) {
        String named = env.get(FILE_ENV);
        Path file = Path.of(named != null ? named : DEFAULT_FILE);
        if (named == null && !Files.isRegularFile(file)) {
            return Map.of();
        }
        return read(file);
    }

    /** The {@value #GROUP} group of a runtime properties file. */
    public static Map<String, String> read(Path file) {
        JsonNode groups;
        try {
            groups = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new SetupException("Cannot read the runtime properties file " + file + ": " + e.getMessage(), e);
        }
        if (groups == null || !groups.isArray()) {
            throw new SetupException("The runtime properties file " + file + " is not a JSON array of property groups");
        }
        Map<String, String> settings = new LinkedHashMap<>();
        for (JsonNode group : groups) {
            if (!GROUP.equals(group.path("PropertyGroupId").asText())) {
                continue; // other groups belong to other code (connectors, the service's own)
            }
            group.path("PropertyMap").fields().forEachRemaining(e -> {
                if (!e.getValue().isValueNode()) {
                    throw new SetupException(
                            "Runtime property '" + e.getKey() + "' in " + file + " is not a plain value");
                }
                settings.put(e.getKey().trim(), e.getValue().asText().trim());
            });
        }
        return settings;
    }
}
