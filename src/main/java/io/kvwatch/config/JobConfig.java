package io.kvwatch.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;

/**
 * The job's settings, resolved from three layers, highest first:
 *
 * <ol>
 *   <li>command-line arguments {@code --key value} (or {@code --key=value}; a bare {@code --flag} means true);
 *   <li>environment variables {@code KVWATCH_<KEY>}, the key upper-cased with '.' and '-' as '_';
 *   <li>a properties file named by {@code --config FILE} or {@code KVWATCH_CONFIG};
 *   <li>the runtime properties of a managed service ({@link ManagedServiceProperties});
 * </ol>
 *
 * <p>then the defaults of {@link JobOptions}. The same keys work on a cluster ({@code flink run ... --key value}), on
 * a managed service (runtime properties) and locally. Unknown keys are refused, so that a typo does not silently
 * leave a default in force; keys under {@link JobOptions#KAFKA_PROPERTIES_PREFIX} are Kafka client properties.
 *
 * <p>Secrets never come from arguments, which show in process listings, shell history and Flink's web UI: the Event
 * Hubs connection string is read from {@link #EVENTHUBS_CONNECTION_STRING_ENV} or from the file named by
 * {@code eventhubs.connection-string-file}; a value that looks like a connection string is refused in every other
 * place, and credential-bearing Kafka client properties ({@code sasl.jaas.config}, passwords) are refused as
 * arguments. No error message and no {@code toString()} shows a secret.
 */
public final class JobConfig {

    public static final String ENV_PREFIX = "KVWATCH_";
    public static final String CONFIG_FILE_KEY = "config";
    /** The one place the Event Hubs connection string may come from, besides a file. */
    public static final String EVENTHUBS_CONNECTION_STRING_ENV = envName(JobOptions.EVENTHUBS_CONNECTION_STRING);

    private final Configuration values;
    private final Map<String, String> raw;
    private final EventHubsConnectionString connectionString;

    private JobConfig(Map<String, String> raw, EventHubsConnectionString connectionString) {
        this.raw = raw;
        this.values = Configuration.fromMap(raw);
        this.connectionString = connectionString;
    }

    public static JobConfig fromArgs(String... args) {
        return load(args, System.getenv());
    }

    public static JobConfig load(String[] args, Map<String, String> env) {
        Map<String, String> fromArgs = parseArgs(args);
        rejectSecrets(fromArgs, "a command-line argument", true);
        Map<String, String> fromService = ManagedServiceProperties.read(env);
        // Runtime properties are visible to anyone who may describe the application: no place for a secret either.
        rejectSecrets(fromService, "the managed service's runtime properties", false);
        Map<String, String> merged = new LinkedHashMap<>(fromService);

        String file = fromArgs.getOrDefault(CONFIG_FILE_KEY, env.get(envName(CONFIG_FILE_KEY)));
        if (file != null) {
            Map<String, String> fromFile = readPropertiesFile(Path.of(file));
            rejectSecrets(fromFile, "the configuration file " + file, false);
            merged.putAll(fromFile);
        }
        for (String key : knownKeys()) {
            String value = env.get(envName(key));
            if (value != null) {
                rejectSecrets(Map.of(key, value), "the environment variable " + envName(key), false);
                merged.put(key, value);
            }
        }
        merged.putAll(fromArgs);
        merged.remove(CONFIG_FILE_KEY);
        rejectUnknown(merged.keySet());
        return new JobConfig(merged, connectionString(merged, env));
    }

    /** Settings given directly, for tests and for embedding; the connection string only from {@code env}. */
    public static JobConfig of(Map<String, String> settings, Map<String, String> env) {
        rejectSecrets(settings, "the settings", false);
        rejectUnknown(settings.keySet());
        Map<String, String> copy = new LinkedHashMap<>(settings);
        return new JobConfig(copy, connectionString(copy, env));
    }

    /** Settings given directly, for tests and for embedding. */
    public static JobConfig of(Map<String, String> settings) {
        return of(settings, Map.of());
    }

    /** The Event Hubs connection string, from its environment variable or its file, when given. */
    public Optional<EventHubsConnectionString> eventHubsConnectionString() {
        return Optional.ofNullable(connectionString);
    }

    /** The {@code kafka.properties.*} settings, without the prefix. */
    public Map<String, String> kafkaClientProperties() {
        Map<String, String> out = new LinkedHashMap<>();
        raw.forEach((k, v) -> {
            if (k.startsWith(JobOptions.KAFKA_PROPERTIES_PREFIX)) {
                out.put(k.substring(JobOptions.KAFKA_PROPERTIES_PREFIX.length()), v);
            }
        });
        return out;
    }

    public <T> T get(ConfigOption<T> option) {
        try {
            return values.get(option);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "Invalid value for '" + option.key() + "': " + raw.get(option.key()), e);
        }
    }

    public <T> Optional<T> getOptional(ConfigOption<T> option) {
        return Optional.ofNullable(get(option));
    }

    /** The settings, credentials hidden. */
    @Override
    public String toString() {
        Map<String, String> shown = new TreeMap<>();
        raw.forEach((k, v) -> shown.put(k, isSecretKey(k) ? "[hidden]" : v));
        return "JobConfig" + shown + (connectionString == null ? "" : " + " + connectionString);
    }

    public static String envName(String key) {
        return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    static Map<String, String> parseArgs(String[] args) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--") || arg.length() == 2) {
                String shown = EventHubsConnectionString.looksLikeOne(arg) ? "(a value that looks like a connection"
                        + " string, not shown)" : "'" + arg + "'";
                throw new IllegalArgumentException("Expected --key value but found " + shown + " at position " + i);
            }
            String body = arg.substring(2);
            int eq = body.indexOf('=');
            if (eq > 0) {
                out.put(body.substring(0, eq), body.substring(eq + 1));
            } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                out.put(body, args[++i]);
            } else {
                out.put(body, "true");
            }
        }
        return out;
    }

    /**
     * Refuses the connection string, or anything that looks like one, under any key; and, for arguments, credential
     * properties of Kafka clients. The messages name the key, never the value.
     */
    private static void rejectSecrets(Map<String, String> settings, String where, boolean arguments) {
        for (Map.Entry<String, String> e : settings.entrySet()) {
            String key = e.getKey();
            if (key.equals(JobOptions.EVENTHUBS_CONNECTION_STRING)
                    || EventHubsConnectionString.looksLikeOne(e.getValue())) {
                throw new IllegalArgumentException("Refusing '" + key + "' from " + where + ": it is or holds an Event"
                        + " Hubs connection string, a secret. Put the connection string in the environment variable "
                        + EVENTHUBS_CONNECTION_STRING_ENV + " or in a file named by "
                        + JobOptions.EVENTHUBS_CONNECTION_STRING_FILE.key() + " (e.g. a mounted secret)");
            }
            if (arguments && isSecretKey(key)) {
                throw new IllegalArgumentException("Refusing '" + key + "' from " + where + ": Kafka credentials"
                        + " do not belong on the command line. Put them in a file named by "
                        + JobOptions.KAFKA_PROPERTIES_FILE.key() + " (e.g. a mounted secret)");
            }
        }
    }

    private static boolean isSecretKey(String key) {
        return key.startsWith(JobOptions.KAFKA_PROPERTIES_PREFIX)
                && KafkaSettings.isSecretClientProperty(key.substring(JobOptions.KAFKA_PROPERTIES_PREFIX.length()));
    }

    private static EventHubsConnectionString connectionString(Map<String, String> settings, Map<String, String> env) {
        String fromEnv = env.get(EVENTHUBS_CONNECTION_STRING_ENV);
        String file = settings.get(JobOptions.EVENTHUBS_CONNECTION_STRING_FILE.key());
        if (fromEnv != null && file != null) {
            throw new IllegalArgumentException("The Event Hubs connection string is given twice: in "
                    + EVENTHUBS_CONNECTION_STRING_ENV + " and in " + JobOptions.EVENTHUBS_CONNECTION_STRING_FILE.key()
                    + "; keep one");
        }
        if (fromEnv != null) {
            return EventHubsConnectionString.parse(fromEnv, "the environment variable " + EVENTHUBS_CONNECTION_STRING_ENV);
        }
        if (file != null) {
            String text;
            try {
                text = Files.readString(Path.of(file), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalArgumentException("Cannot read the Event Hubs connection string file " + file + ": "
                        + e.getClass().getSimpleName(), e);
            }
            return EventHubsConnectionString.parse(text, "the file " + file);
        }
        return null;
    }

    private static Map<String, String> readPropertiesFile(Path file) {
        Properties p = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(reader);
        } catch (IOException e) {
            throw new IllegalArgumentException("Cannot read the configuration file " + file + ": " + e.getMessage(), e);
        }
        Map<String, String> out = new LinkedHashMap<>();
        p.stringPropertyNames().forEach(k -> out.put(k.trim(), p.getProperty(k).trim()));
        return out;
    }

    private static Set<String> knownKeys() {
        Set<String> keys = new TreeSet<>();
        JobOptions.all().forEach(o -> keys.add(o.key()));
        return keys;
    }

    private static void rejectUnknown(Set<String> given) {
        Set<String> known = knownKeys();
        List<String> unknown = new ArrayList<>();
        for (String key : given) {
            boolean clientProperty = key.startsWith(JobOptions.KAFKA_PROPERTIES_PREFIX)
                    && key.length() > JobOptions.KAFKA_PROPERTIES_PREFIX.length();
            if (!known.contains(key) && !clientProperty) {
                unknown.add(key);
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("Unknown setting(s) " + unknown + "; known settings: " + known
                    + " and " + JobOptions.KAFKA_PROPERTIES_PREFIX + "<Kafka client property>");
        }
    }
}
