package io.kvwatch.config;

import static org.apache.flink.configuration.ConfigOptions.key;

import io.kvwatch.rule.KeyVaultRetrievalRule;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.MemorySize;

/**
 * Every setting of the job, with its type, default and meaning, in one place. The same keys are read from the command
 * line ({@code --history-window 7d}), from environment variables ({@code KVWATCH_HISTORY_WINDOW=7d}) and from a
 * properties file ({@code --config job.properties}); see {@link JobConfig} for the precedence.
 */
public final class JobOptions {

    private JobOptions() {}

    // ---- input and output of the local (file) mode

    public static final ConfigOption<String> INPUT =
            key("input").stringType().noDefaultValue()
                    .withDescription("NDJSON file or directory of Event Hubs messages to read. Without it (and without"
                            + " a Kafka source) the job reads its bundled sample.");

    public static final ConfigOption<String> OUTPUT =
            key("output").stringType().noDefaultValue()
                    .withDescription("Where alerts go in file mode: a file (one alert per line), or a directory"
                            + " (ending in '/', or existing) of part files. Without it alerts are printed to stdout.");

    public static final ConfigOption<String> DEAD_LETTER_OUTPUT =
            key("dead-letters").stringType().noDefaultValue()
                    .withDescription("Where dead letters go in file mode, as for 'output'. Without it they are"
                            + " printed to stderr.");

    // ---- the rule

    public static final ConfigOption<Duration> HISTORY_WINDOW =
            key("history-window").durationType().defaultValue(KeyVaultRetrievalRule.HISTORY_WINDOW)
                    .withDescription("A term alerts when it was not seen within this span before.");

    public static final ConfigOption<Boolean> REQUIRE_2XX =
            key("require-2xx").booleanType().defaultValue(false)
                    .withDescription("Count only requests Key Vault served (HTTP 2xx). Off by default, as in"
                            + " Elastic's rule, so refused attempts (403/404 with resultType Success) alert too.");

    // ---- event time

    public static final ConfigOption<Duration> OUT_OF_ORDERNESS =
            key("out-of-orderness").durationType().defaultValue(Duration.ofSeconds(30))
                    .withDescription("How far behind the newest timestamp a record may arrive and still be decided"
                            + " as if in order. Alerts wait this long for the watermark.");

    public static final ConfigOption<Duration> IDLENESS =
            key("idleness").durationType().defaultValue(Duration.ofMinutes(1))
                    .withDescription("A source split (Kafka partition) without records for this long stops holding"
                            + " back the watermark.");

    // ---- input hygiene

    public static final ConfigOption<MemorySize> MAX_MESSAGE_SIZE =
            key("max-message-size").memoryType().defaultValue(MemorySize.parse("4mb"))
                    .withDescription("Messages larger than this are dead-lettered unparsed (Event Hubs allows 1 MB"
                            + " on Standard and Premium, 20 MB on Dedicated).");

    public static final ConfigOption<Integer> DEAD_LETTER_MAX_ORIGINAL =
            key("dead-letter-max-original").intType().defaultValue(16 * 1024)
                    .withDescription("The original text in a dead letter is cut to this many characters.");

    // ---- runtime

    public static final ConfigOption<Integer> PARALLELISM =
            key("parallelism").intType().noDefaultValue()
                    .withDescription("Parallelism of the job; by default the cluster's (parallelism.default).");

    public static final ConfigOption<Integer> MAX_PARALLELISM =
            key("max-parallelism").intType().defaultValue(4096)
                    .withDescription("Number of key groups: the most the keyed detector can ever be scaled out to."
                            + " Fixed for the life of the state; changing it invalidates savepoints.");

    public static final ConfigOption<Duration> CHECKPOINT_INTERVAL =
            key("checkpoint-interval").durationType().defaultValue(Duration.ofSeconds(10))
                    .withDescription("Checkpoint interval used when the cluster configures none"
                            + " (execution.checkpointing.interval wins when set).");

    // ---- state

    public static final ConfigOption<String> SAVEPOINT =
            key("savepoint").stringType().noDefaultValue()
                    .withDescription("BootstrapHistory: the directory it writes the detector's savepoint to. The job"
                            + " run locally: the savepoint to start from (on a cluster, 'flink run -s' does this).");

    /** All options, for validation of the keys a user gives and for the README. */
    public static List<ConfigOption<?>> all() {
        List<ConfigOption<?>> options = new ArrayList<>();
        for (Class<?> holder : List.of(JobOptions.class)) {
            for (Field f : holder.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) && ConfigOption.class.isAssignableFrom(f.getType())) {
                    try {
                        options.add((ConfigOption<?>) f.get(null));
                    } catch (IllegalAccessException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        }
        return Collections.unmodifiableList(options);
    }
}
