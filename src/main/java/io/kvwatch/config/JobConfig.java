package io.kvwatch.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;

/**
 * The job's settings, resolved from four layers, highest first:
 *
 * <ol>
 *   <li>command-line arguments {@code --key value} (or {@code --key=value}; a bare {@code --flag} means true, for
 *       boolean options only: every other option refuses a missing value);
 *   <li>environment variables {@code KVWATCH_<KEY>}, the key upper-cased with '.' and '-' as '_';
 *   <li>a properties file named by {@code --config FILE} or {@code KVWATCH_CONFIG};
 *   <li>the runtime properties of a managed service ({@link ManagedServiceProperties});
 * </ol>
 *
 * <p>then the defaults of {@link JobOptions}. The same keys work on a cluster ({@code flink run ... --key value}), on
 * a managed service (runtime properties) and locally. Unknown keys are refused, with the nearest known one, so that
 * a typo does not silently leave a default in force; keys under {@link JobOptions#KAFKA_PROPERTIES_PREFIX} are Kafka
 * client properties. A duration without a unit is refused wherever it comes from: Flink would read it as
 * milliseconds. Every refusal is a {@link SetupException} with a one-line message.
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
            Map<String, String> fromFile = PropertiesFile.read(Path.of(file), "configuration file");
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
        checkDurationUnits(merged);
        return new JobConfig(merged, connectionString(merged, env));
    }

    /** Settings given directly, for tests and for embedding; the connection string only from {@code env}. */
    public static JobConfig of(Map<String, String> settings, Map<String, String> env) {
        rejectSecrets(settings, "the settings", false);
        rejectUnknown(settings.keySet());
        checkDurationUnits(settings);
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
            throw new SetupException(
                    "Invalid value for '" + option.key() + "': " + raw.get(option.key()) + " (expected "
                            + OptionsHelp.typeName(option) + ")",
                    e);
        }
    }

    /**
     * Reads every setting given once, so that a value of the wrong form fails the start rather than the moment it is
     * first used.
     *
     * @throws SetupException naming the first setting whose value is not of its type
     */
    public JobConfig checkValues() {
        for (ConfigOption<?> option : JobOptions.all()) {
            if (raw.containsKey(option.key())) {
                get(option);
            }
        }
        return this;
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
                String shown = EventHubsConnectionString.looksLikeOne(arg)
                        ? "(a value that looks like a connection" + " string, not shown)"
                        : "'" + arg + "'";
                throw new SetupException("Expected --key value but found " + shown + " at position " + i
                        + " (a value with spaces needs quotes; --help lists every option)");
            }
            String body = arg.substring(2);
            int eq = body.indexOf('=');
            if (eq > 0) {
                String key = body.substring(0, eq);
                String value = body.substring(eq + 1);
                if (value.isBlank() && takesValue(key)) {
                    throw needsValue(key);
                }
                out.put(key, value);
            } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                out.put(body, args[++i]);
            } else if (takesValue(body)) {
                // Taking it as "true" would write a file named true, or read one.
                throw needsValue(body);
            } else {
                out.put(body, "true"); // a flag; an unknown key is refused below, with the nearest known one
            }
        }
        return out;
    }

    /** Whether a key given on the command line must have a value: every known one but the boolean flags. */
    private static boolean takesValue(String key) {
        if (key.equals(CONFIG_FILE_KEY) || key.startsWith(JobOptions.KAFKA_PROPERTIES_PREFIX)) {
            return true;
        }
        return JobOptions.all().stream().anyMatch(o -> o.key().equals(key) && JobOptions.valueType(o) != Boolean.class);
    }

    private static SetupException needsValue(String key) {
        String what = JobOptions.all().stream()
                .filter(o -> o.key().equals(key))
                .findFirst()
                .map(o -> ": "
                        + (JobOptions.valueType(o) == String.class
                                ? OptionsHelp.firstSentence(o)
                                : OptionsHelp.typeName(o)))
                .orElse("");
        return new SetupException("--" + key + " needs a value" + what);
    }

    /**
     * Refuses a duration without a unit. Flink reads a bare number as milliseconds, so {@code history-window=14}
     * would be 14 ms, not 14 days; only 0, the same in every unit, may go without.
     */
    private static void checkDurationUnits(Map<String, String> settings) {
        for (ConfigOption<?> option : JobOptions.all()) {
            String value = settings.get(option.key());
            if (value != null
                    && JobOptions.valueType(option) == Duration.class
                    && BARE_NUMBER.matcher(value).matches()
                    && !ZERO.matcher(value).matches()) {
                throw new SetupException(option.key() + " is '" + value.strip() + "' without a unit: write it with"
                        + " one of " + OptionsHelp.DURATION_UNITS + " (e.g. '" + value.strip() + "d' for days)");
            }
        }
    }

    private static final Pattern BARE_NUMBER = Pattern.compile("\\s*[-+]?[0-9]+(\\.[0-9]*)?\\s*");
    private static final Pattern ZERO = Pattern.compile("\\s*[-+]?0+(\\.0*)?\\s*");

    /**
     * Refuses the connection string, or anything that looks like one, under any key; and, for arguments, credential
     * properties of Kafka clients. The messages name the key, never the value.
     */
    private static void rejectSecrets(Map<String, String> settings, String where, boolean arguments) {
        for (Map.Entry<String, String> e : settings.entrySet()) {
            String key = e.getKey();
            if (key.equals(JobOptions.EVENTHUBS_CONNECTION_STRING)
                    || EventHubsConnectionString.looksLikeOne(e.getValue())) {
                throw new SetupException("Refusing '" + key + "' from " + where + ": it is or holds an Event"
                        + " Hubs connection string, a secret. Put the connection string in the environment variable "
                        + EVENTHUBS_CONNECTION_STRING_ENV + " or in a file named by "
                        + JobOptions.EVENTHUBS_CONNECTION_STRING_FILE.key() + " (e.g. a mounted secret)");
            }
            if (arguments && isSecretKey(key)) {
                throw new SetupException("Refusing '" + key + "' from " + where + ": Kafka credentials"
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
            throw new SetupException("The Event Hubs connection string is given twice: in "
                    + EVENTHUBS_CONNECTION_STRING_ENV + " and in " + JobOptions.EVENTHUBS_CONNECTION_STRING_FILE.key()
                    + "; keep one");
        }
        if (fromEnv != null) {
            return EventHubsConnectionString.parse(
                    fromEnv, "the environment variable " + EVENTHUBS_CONNECTION_STRING_ENV);
        }
        if (file != null) {
            String text;
            try {
                text = Files.readString(Path.of(file), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new SetupException(
                        "Cannot read the Event Hubs connection string file " + file + ": " + PropertiesFile.reason(e),
                        e);
            }
            return EventHubsConnectionString.parse(text, "the file " + file);
        }
        return null;
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
                String nearest = nearest(key, known);
                unknown.add("'" + key + "'" + (nearest == null ? "" : " (did you mean '" + nearest + "'?)"));
            }
        }
        if (!unknown.isEmpty()) {
            throw new SetupException("Unknown setting " + String.join(", ", unknown) + "; --help lists every option"
                    + " (and " + JobOptions.KAFKA_PROPERTIES_PREFIX + "<Kafka client property> passes one to Kafka)");
        }
    }

    /** The known key closest to a mistyped one, when it is close enough to be what was meant. */
    static String nearest(String key, Set<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : known) {
            int d = editDistance(key, candidate);
            if (d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        // A third of the key's length: 'histroy-window' finds 'history-window', 'colour' finds nothing.
        return bestDistance <= Math.max(2, key.length() / 3) ? best : null;
    }

    /** Levenshtein distance, with a swap of two neighbours counting as one edit (the commonest typo). */
    static int editDistance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
