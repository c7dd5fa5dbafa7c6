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
 * leave a default in force.
 */
public final class JobConfig {

    public static final String ENV_PREFIX = "KVWATCH_";
    public static final String CONFIG_FILE_KEY = "config";

    private final Configuration values;
    private final Map<String, String> raw;

    private JobConfig(Map<String, String> raw) {
        this.raw = raw;
        this.values = Configuration.fromMap(raw);
    }

    public static JobConfig fromArgs(String... args) {
        return load(args, System.getenv());
    }

    public static JobConfig load(String[] args, Map<String, String> env) {
        Map<String, String> fromArgs = parseArgs(args);
        Map<String, String> merged = new LinkedHashMap<>(ManagedServiceProperties.read(env));

        String file = fromArgs.getOrDefault(CONFIG_FILE_KEY, env.get(envName(CONFIG_FILE_KEY)));
        if (file != null) {
            merged.putAll(readPropertiesFile(Path.of(file)));
        }
        for (String key : knownKeys()) {
            String value = env.get(envName(key));
            if (value != null) {
                merged.put(key, value);
            }
        }
        merged.putAll(fromArgs);
        merged.remove(CONFIG_FILE_KEY);
        rejectUnknown(merged.keySet());
        return new JobConfig(merged);
    }

    /** Settings given directly, for tests and for embedding. */
    public static JobConfig of(Map<String, String> settings) {
        rejectUnknown(settings.keySet());
        return new JobConfig(new LinkedHashMap<>(settings));
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

    public static String envName(String key) {
        return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    static Map<String, String> parseArgs(String[] args) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--") || arg.length() == 2) {
                throw new IllegalArgumentException("Expected --key value but found '" + arg + "' at position " + i);
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
            if (!known.contains(key)) {
                unknown.add(key);
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("Unknown setting(s) " + unknown + "; known settings: " + known);
        }
    }
}
