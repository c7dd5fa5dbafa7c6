package io.kvwatch.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.description.BlockElement;
import org.apache.flink.configuration.description.TextElement;
import org.apache.flink.util.TimeUtils;

/**
 * The text of {@code --help}, generated from {@link JobOptions} (key, type, default, description), so that it cannot
 * drift from the settings the job reads.
 */
public final class OptionsHelp {

    /** The units a duration setting accepts, as said to users (Flink also takes their long names). */
    public static final String DURATION_UNITS = "ms, s, min, h, d";

    private static final int WIDTH = 100;
    private static final String INDENT = "      ";

    private OptionsHelp() {}

    /**
     * @param usage the lines that say how this program is run, before the options
     */
    public static String text(String usage) {
        StringBuilder out = new StringBuilder(usage.strip()).append("\n\n");
        wrap(
                out,
                "",
                "Every option is also read from the environment variable KVWATCH_<KEY> (upper case, '.' and '-'"
                        + " as '_', e.g. KVWATCH_HISTORY_WINDOW) and from a properties file named by --config FILE (or"
                        + " KVWATCH_CONFIG); arguments win over the environment, which wins over the file. A duration needs a"
                        + " unit: " + DURATION_UNITS
                        + " (e.g. 14d, 30s, 2min); a bare number is refused. A flag alone means"
                        + " true; every other option needs a value.");
        out.append("\nOptions:\n");
        for (ConfigOption<?> option : JobOptions.all()) {
            String placeholder = placeholder(option);
            out.append("  --").append(option.key()).append(placeholder.isEmpty() ? "" : " " + placeholder);
            if (option.hasDefaultValue()) {
                out.append("   (default: ")
                        .append(format(option.defaultValue()))
                        .append(')');
            }
            out.append('\n');
            Class<?> type = JobOptions.valueType(option);
            wrap(out, INDENT, (type == String.class ? "" : capitalised(typeName(option)) + ". ") + description(option));
        }
        out.append("  --").append(JobOptions.KAFKA_PROPERTIES_PREFIX).append("<name> VALUE\n");
        wrap(
                out,
                INDENT,
                "A Kafka client property for the consumer and both producers, e.g."
                        + " --kafka.properties.security.protocol SSL. Credentials (sasl.jaas.config, passwords) belong in"
                        + " --kafka.properties-file, not on the command line.");
        out.append("  --").append(JobConfig.CONFIG_FILE_KEY).append(" FILE\n");
        wrap(out, INDENT, "A Java properties file of these options (key=value).");
        out.append("  ").append(JobConfig.EVENTHUBS_CONNECTION_STRING_ENV).append(" (environment variable)\n");
        wrap(
                out,
                INDENT,
                "The Event Hubs connection string, a secret: only here or in the file named by --"
                        + JobOptions.EVENTHUBS_CONNECTION_STRING_FILE.key() + ", never an argument.");
        out.append("  --help\n");
        wrap(out, INDENT, "Print this text and exit.");
        return out.toString();
    }

    /**
     * Every option as a Markdown table (key, type, default, meaning): the option table of docs/configuration.md,
     * generated from the same definitions as {@code --help} and kept equal to it by a test.
     */
    public static String markdownTable() {
        StringBuilder out = new StringBuilder("| key | type | default | meaning |\n| --- | --- | --- | --- |\n");
        for (ConfigOption<?> option : JobOptions.all()) {
            out.append("| `")
                    .append(option.key())
                    .append("` | ")
                    .append(typeName(option))
                    .append(" | ")
                    .append(option.hasDefaultValue() ? "`" + format(option.defaultValue()) + "`" : "–")
                    .append(" | ")
                    .append(description(option).replace("|", "\\|"))
                    .append(" |\n");
        }
        return out.toString();
    }

    /** What kind of value an option takes, in words: "a duration (units ms, s, min, h, d; e.g. 14d)". */
    public static String typeName(ConfigOption<?> option) {
        Class<?> type = JobOptions.valueType(option);
        if (type == Duration.class) {
            return "a duration (units " + DURATION_UNITS + "; e.g. 14d)";
        }
        if (type == Boolean.class) {
            return "a flag (alone, or true/false)";
        }
        if (type == Integer.class || type == Long.class) {
            return "a whole number";
        }
        if (type == MemorySize.class) {
            return "a size (e.g. 512kb, 4mb)";
        }
        if (type.isEnum()) {
            return "one of "
                    + Arrays.stream(type.getEnumConstants())
                            .map(Object::toString)
                            .collect(Collectors.joining(", "));
        }
        return "text";
    }

    /** The first sentence of an option's description: what its value is. */
    static String firstSentence(ConfigOption<?> option) {
        String text = description(option);
        int end = text.indexOf(". ");
        return end < 0 ? text.replaceAll("\\.$", "") : text.substring(0, end);
    }

    private static String capitalised(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    private static String placeholder(ConfigOption<?> option) {
        Class<?> type = JobOptions.valueType(option);
        if (type == Boolean.class) {
            return "";
        }
        if (type == Duration.class) {
            return "DURATION";
        }
        if (type == Integer.class || type == Long.class) {
            return "N";
        }
        if (type == MemorySize.class) {
            return "SIZE";
        }
        if (type.isEnum()) {
            String choices =
                    Arrays.stream(type.getEnumConstants()).map(Object::toString).collect(Collectors.joining("|"));
            return choices.length() <= 30 ? choices : "CHOICE"; // the description line lists them
        }
        String key = option.key();
        return List.of("input", "output", "dead-letters", "savepoint", "exceptions", "rule")
                                .contains(key)
                        || key.endsWith("file")
                ? "PATH"
                : "VALUE";
    }

    private static String format(Object value) {
        if (value instanceof Duration d) {
            return TimeUtils.formatWithHighestUnit(d);
        }
        return String.valueOf(value);
    }

    private static String description(ConfigOption<?> option) {
        List<String> parts = new ArrayList<>();
        for (BlockElement block : option.description().getBlocks()) {
            if (block instanceof TextElement text) {
                parts.add(text.getFormat());
            }
        }
        return String.join(" ", parts);
    }

    private static void wrap(StringBuilder out, String indent, String text) {
        StringBuilder line = new StringBuilder(indent);
        for (String word : text.split("\\s+")) {
            if (line.length() > indent.length() && line.length() + 1 + word.length() > WIDTH) {
                out.append(line).append('\n');
                line = new StringBuilder(indent);
            }
            if (line.length() > indent.length()) {
                line.append(' ');
            }
            line.append(word);
        }
        out.append(line).append('\n');
    }
}
