package io.kvwatch.config;

import static org.apache.flink.configuration.ConfigOptions.key;

import io.kvwatch.detect.TermCleanup;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.connector.base.DeliveryGuarantee;

/**
 * Every setting of the job, with its type, default and meaning, in one place. The same keys are read from the command
 * line ({@code --history-window 7d}), from environment variables ({@code KVWATCH_HISTORY_WINDOW=7d}) and from a
 * properties file ({@code --config job.properties}); see {@link JobConfig} for the precedence.
 */
public final class JobOptions {

    private JobOptions() {}

    // ---- input and output of the local (file) mode

    public static final ConfigOption<String> INPUT = key("input")
            .stringType()
            .noDefaultValue()
            .withDescription("NDJSON file or directory of Event Hubs messages to read. Without it (and without"
                    + " a Kafka source) the job reads its bundled sample.");

    public static final ConfigOption<String> OUTPUT = key("output")
            .stringType()
            .noDefaultValue()
            .withDescription("Where alerts go in file mode: a file (one alert per line), or a directory"
                    + " (ending in '/', or existing) of part files. Without it alerts are printed to stdout.");

    public static final ConfigOption<String> DEAD_LETTER_OUTPUT = key("dead-letters")
            .stringType()
            .noDefaultValue()
            .withDescription(
                    "Where dead letters go in file mode, as for 'output'. Without it they are" + " printed to stderr.");

    // ---- the rule

    public static final ConfigOption<String> RULE = key("rule")
            .stringType()
            .noDefaultValue()
            .withDescription("Detection-rules TOML file of the rule (Elastic's format): its query, new-terms"
                    + " fields, history window, severity, risk score, name, id and MITRE mapping. Read when"
                    + " the job is submitted, on the client, and shipped with the job: tasks never read it."
                    + " A rule the job cannot follow is refused then. Default: the bundled rule, Elastic's"
                    + " as released (14-day history, severity medium, risk score 43).");

    public static final ConfigOption<Duration> HISTORY_WINDOW = key("history-window")
            .durationType()
            .noDefaultValue()
            .withDescription("A term alerts when it was not seen within this span before. Default: the"
                    + " rule's history_window_start (14 days in the bundled rule); when set, it overrides"
                    + " the rule file's.");

    public static final ConfigOption<Duration> STATE_TTL = key("state-ttl")
            .durationType()
            .noDefaultValue()
            .withDescription("Processing-time TTL of the detector's state: with term-cleanup=ttl what drops terms"
                    + " not seen again, with event-time a backstop for terms whose event-time cleanup cannot fire."
                    + " Default: history-window + 1 day. Must exceed history-window. Raise it above the window"
                    + " plus the longest outage and catch-up to ride through: a term untouched for this long in"
                    + " processing time is forgotten and alerts again when read.");

    public static final ConfigOption<TermCleanup> TERM_CLEANUP = key("term-cleanup")
            .enumType(TermCleanup.class)
            .noDefaultValue()
            .withDescription("How the state of terms not seen again is freed; the alerts are the same either way."
                    + " event-time: a timer per term drops it a window after its last sighting in event time"
                    + " (state bounded in event time; the timer is a second row of state per term). ttl: no"
                    + " timer; the state-ttl drops it in processing time (about 40% less state on RocksDB;"
                    + " bounded by processing time, which tracks event time on live input). Default: ttl for"
                    + " Kafka and Event Hubs, event-time for files, the sample and kafka.bounded reads, where"
                    + " event time runs ahead of processing time.");

    public static final ConfigOption<Boolean> REQUIRE_2XX = key("require-2xx")
            .booleanType()
            .defaultValue(false)
            .withDescription("Count only requests Key Vault served (HTTP 2xx). Off by default, as in"
                    + " Elastic's rule, so refused attempts (403/404 with resultType Success) alert too.");

    // ---- starting cleanly and tuning out known-good access

    public static final ConfigOption<Boolean> LEARNING = key("learning")
            .booleanType()
            .defaultValue(false)
            .withDescription("Learn without alerting until event time is 'learning-period' past the earliest"
                    + " record (by rule time; on a stream, the first each subtask sees): for a start with empty"
                    + " state and no bootstrap from history.");

    public static final ConfigOption<Duration> LEARNING_PERIOD = key("learning-period")
            .durationType()
            .noDefaultValue()
            .withDescription("How long 'learning' lasts, in event time. Default: the history window.");

    public static final ConfigOption<String> EXCEPTIONS = key("exceptions")
            .stringType()
            .noDefaultValue()
            .withDescription("YAML or JSON file of rule exceptions (known-good access): an excepted record"
                    + " neither alerts nor enters the history.");

    public static final ConfigOption<Duration> EXCEPTIONS_RELOAD_INTERVAL = key("exceptions-reload-interval")
            .durationType()
            .defaultValue(Duration.ofMinutes(1))
            .withDescription("How often a running job checks the exceptions file for changes where it is"
                    + " readable by the tasks (0 turns reloading off).");

    public static final ConfigOption<String> SUPPRESSION_FIELDS = key("suppression-fields")
            .stringType()
            .noDefaultValue()
            .withDescription("Alert suppression: at most one alert per value of these fields (any of upn,"
                    + " object-id, vault, appid, source-ip, operation, comma-separated) per"
                    + " 'suppression-duration'. Off when not set.");

    public static final ConfigOption<Duration> SUPPRESSION_DURATION = key("suppression-duration")
            .durationType()
            .defaultValue(Duration.ofHours(1))
            .withDescription("Event-time span of one suppression window.");

    // ---- event time

    public static final ConfigOption<Duration> OUT_OF_ORDERNESS = key("out-of-orderness")
            .durationType()
            .noDefaultValue()
            .withDescription("How far behind the newest timestamp of its partition a record may arrive and still"
                    + " be decided as if in order. Alerts wait this long for the watermark. Default: 0 s for"
                    + " Kafka input whose timestamps are broker append times ('kafka.timestamp-type', so Event"
                    + " Hubs), which never go back within a partition; 30 s otherwise (producer-set timestamps,"
                    + " files).");

    public static final ConfigOption<Duration> IDLENESS = key("idleness")
            .durationType()
            .defaultValue(Duration.ofMinutes(1))
            .withDescription("A source split (Kafka partition) without records for this long stops holding"
                    + " back the watermark. With 'idle-watermark-follows-clock', it applies to a partition not"
                    + " known to be read up to its end (none of its records read yet since the start, or the last"
                    + " one read more than 'idle-watermark-lag' after its append): one that may still be"
                    + " fetching a backlog.");

    public static final ConfigOption<Boolean> IDLE_WATERMARK_FOLLOWS_CLOCK = key("idle-watermark-follows-clock")
            .booleanType()
            .noDefaultValue()
            .withDescription("Kafka input: a quiet partition's watermark follows the wall clock minus"
                    + " 'idle-watermark-lag' (and 'out-of-orderness'), so that the last alerts leave within about"
                    + " that lag even when no more records come: at once for a partition read up to its end, after"
                    + " 'idleness' for any other. Only right when record timestamps are broker append times. Default: on for"
                    + " 'kafka.timestamp-type' log-append-time (Event Hubs), off for create-time.");

    public static final ConfigOption<Duration> IDLE_WATERMARK_LAG = key("idle-watermark-lag")
            .durationType()
            .defaultValue(Duration.ofSeconds(1))
            .withDescription("With 'idle-watermark-follows-clock': how far behind the wall clock a quiet"
                    + " partition's watermark follows it. It must cover the time from the broker's append of a"
                    + " record to the job reading it (fetch lag) plus the difference between the broker's and the"
                    + " TaskManagers' clocks; a record that takes longer is late (decided at once, marked, never"
                    + " dropped). The last alerts before a lull wait about this long.");

    // ---- input hygiene

    public static final ConfigOption<MemorySize> MAX_MESSAGE_SIZE = key("max-message-size")
            .memoryType()
            .defaultValue(MemorySize.parse("4mb"))
            .withDescription("Messages larger than this are dead-lettered unparsed (Event Hubs allows 1 MB"
                    + " on Standard and Premium, 20 MB on Dedicated).");

    public static final ConfigOption<Integer> DEAD_LETTER_MAX_ORIGINAL = key("dead-letter-max-original")
            .intType()
            .defaultValue(16 * 1024)
            .withDescription("The original text in a dead letter is cut to this many characters.");

    // ---- runtime

    public static final ConfigOption<Integer> PARALLELISM = key("parallelism")
            .intType()
            .noDefaultValue()
            .withDescription("Parallelism of the job; by default the cluster's (parallelism.default).");

    public static final ConfigOption<Integer> MAX_PARALLELISM = key("max-parallelism")
            .intType()
            .defaultValue(4096)
            .withDescription("Number of key groups: the most the keyed detector can ever be scaled out to."
                    + " Fixed for the life of the state; changing it invalidates savepoints.");

    public static final ConfigOption<Duration> CHECKPOINT_INTERVAL = key("checkpoint-interval")
            .durationType()
            .defaultValue(Duration.ofSeconds(10))
            .withDescription("Checkpoint interval used when the cluster configures none"
                    + " (execution.checkpointing.interval wins when set).");

    // ---- Kafka / Event Hubs
    //
    // Kafka mode: the input is Kafka when 'kafka.topic' is set, the outputs are Kafka when 'alerts.topic' is set. Both
    // reach one cluster: 'kafka.bootstrap-servers', or the Event Hubs namespace. See KafkaSettings for how these
    // become client properties, and docs/kafka-and-event-hubs.md for worked examples.

    public static final ConfigOption<String> KAFKA_BOOTSTRAP_SERVERS = key("kafka.bootstrap-servers")
            .stringType()
            .noDefaultValue()
            .withDescription("host:port[,host:port...] of a self-hosted Kafka cluster. With Event Hubs it"
                    + " defaults to NAMESPACE.servicebus.windows.net:9093; set it only to go through a proxy"
                    + " or tunnel.");

    public static final ConfigOption<String> KAFKA_TOPIC = key("kafka.topic")
            .stringType()
            .noDefaultValue()
            .withDescription("Topic(s) (event hubs) to read, comma-separated. Setting it selects the Kafka"
                    + " input instead of files.");

    public static final ConfigOption<String> KAFKA_GROUP_ID = key("kafka.group-id")
            .stringType()
            .defaultValue("kvwatch-keyvault-new-terms")
            .withDescription("Consumer group: where the job commits its read positions at each checkpoint"
                    + " (for monitoring and for 'committed-*' starting offsets). On Event Hubs, a consumer"
                    + " group of the event hub.");

    public static final ConfigOption<StartingOffsets> KAFKA_STARTING_OFFSETS = key("kafka.starting-offsets")
            .enumType(StartingOffsets.class)
            .defaultValue(StartingOffsets.COMMITTED_EARLIEST)
            .withDescription("Where a job started without a checkpoint or savepoint begins to read:"
                    + " committed-earliest (the group's committed offsets, else the earliest),"
                    + " committed-latest, earliest or latest. A restored job resumes from its checkpoint.");

    public static final ConfigOption<Boolean> KAFKA_BOUNDED = key("kafka.bounded")
            .booleanType()
            .defaultValue(false)
            .withDescription(
                    "Stop at the latest offsets seen when the job starts, then end: for backfills" + " and tests.");

    public static final ConfigOption<TimestampType> KAFKA_TIMESTAMP_TYPE = key("kafka.timestamp-type")
            .enumType(TimestampType.class)
            .noDefaultValue()
            .withDescription("What the input's Kafka record timestamps are: log-append-time (assigned by the"
                    + " broker at append: a topic with message.timestamp.type=LogAppendTime, or an event hub's"
                    + " enqueued time) or create-time (set by the producers, possibly late or skewed). It decides"
                    + " the defaults of 'out-of-orderness' and 'idle-watermark-follows-clock'. Default:"
                    + " log-append-time for Event Hubs (an event hub's default timestamp type; set create-time for"
                    + " one configured with CreateTime), create-time for plain Kafka (its topics' default).");

    /**
     * Prefix for pass-through Kafka client properties: {@code kafka.properties.ssl.truststore.location=...} sets the
     * client property {@code ssl.truststore.location} on the consumer and both producers. Not a {@link ConfigOption}:
     * the keys after the prefix are Kafka's.
     */
    public static final String KAFKA_PROPERTIES_PREFIX = "kafka.properties.";

    public static final ConfigOption<Duration> KAFKA_CHECK_TIMEOUT = key("kafka.check-timeout")
            .durationType()
            .defaultValue(Duration.ofSeconds(30))
            .withDescription("A local run first checks that the Kafka cluster (or Event Hubs namespace)"
                    + " answers and has every topic the job reads and writes, and gives up after this long"
                    + " with the cause. On a cluster, the job's restart strategy governs instead.");

    public static final ConfigOption<String> KAFKA_PROPERTIES_FILE = key("kafka.properties-file")
            .stringType()
            .noDefaultValue()
            .withDescription("A Java properties file of Kafka client properties (no prefix), e.g. a mounted"
                    + " secret holding sasl.jaas.config. 'kafka.properties.*' settings win over it.");

    public static final ConfigOption<String> EVENTHUBS_NAMESPACE = key("eventhubs.namespace")
            .stringType()
            .noDefaultValue()
            .withDescription("Azure Event Hubs namespace (the NAME of NAME.servicebus.windows.net): selects"
                    + " the Event Hubs preset (SASL_SSL, Microsoft's recommended client settings). Without"
                    + " it, the namespace of the connection string's Endpoint is used.");

    public static final ConfigOption<String> EVENTHUBS_CONNECTION_STRING_FILE = key("eventhubs.connection-string-file")
            .stringType()
            .noDefaultValue()
            .withDescription("File holding the Event Hubs connection string (e.g. a mounted Kubernetes"
                    + " secret). The alternative is the environment variable"
                    + " KVWATCH_EVENTHUBS_CONNECTION_STRING; never a command-line argument.");

    /**
     * The name the connection string would have as a setting. It is not one: given as an argument or in a file it is
     * refused (it would show in process listings, shell history and Flink's UI). Only its environment variable,
     * {@link JobConfig#EVENTHUBS_CONNECTION_STRING_ENV}, derives from it.
     */
    public static final String EVENTHUBS_CONNECTION_STRING = "eventhubs.connection-string";

    public static final ConfigOption<String> ALERTS_TOPIC = key("alerts.topic")
            .stringType()
            .noDefaultValue()
            .withDescription("Topic (event hub) for alerts, keyed by alert id. Setting it selects the Kafka"
                    + " outputs instead of files; 'dead-letters.topic' is then required.");

    public static final ConfigOption<String> DEAD_LETTERS_TOPIC = key("dead-letters.topic")
            .stringType()
            .noDefaultValue()
            .withDescription("Topic (event hub) for dead letters, unkeyed.");

    public static final ConfigOption<DeliveryGuarantee> DELIVERY_GUARANTEE = key("delivery-guarantee")
            .enumType(DeliveryGuarantee.class)
            .noDefaultValue()
            .withDescription("exactly-once (Kafka transactions, committed at each checkpoint; consumers"
                    + " read with isolation.level=read_committed) or at-least-once (a failure may repeat"
                    + " alerts; the alert id makes the repeat recognisable). Default: exactly-once for"
                    + " Kafka, at-least-once for Event Hubs.");

    public static final ConfigOption<String> TRANSACTIONAL_ID_PREFIX = key("transactional-id-prefix")
            .stringType()
            .defaultValue("kvwatch-keyvault-new-terms")
            .withDescription("Exactly-once only: prefix of the sinks' Kafka transactional ids, unique per"
                    + " job on a cluster ('-alerts' and '-dead-letters' are appended). Keep it across"
                    + " restarts, so that a restored job can abort its predecessor's open transactions.");

    public static final ConfigOption<Duration> TRANSACTION_TIMEOUT = key("transaction-timeout")
            .durationType()
            .defaultValue(Duration.ofMinutes(15))
            .withDescription("Exactly-once only: the producers' transaction.timeout.ms. At most the"
                    + " brokers' transaction.max.timeout.ms (Kafka's default: 15 min); it must outlast a"
                    + " checkpoint interval plus the longest outage to recover from, or the broker aborts"
                    + " the open transaction and its alerts are lost.");

    /** Where a job without restored state begins to read its topics. */
    public enum StartingOffsets {
        COMMITTED_EARLIEST("committed-earliest"),
        COMMITTED_LATEST("committed-latest"),
        EARLIEST("earliest"),
        LATEST("latest");

        private final String value;

        StartingOffsets(String value) {
            this.value = value;
        }

        /** The setting's spelling; Flink parses enum settings by it. */
        @Override
        public String toString() {
            return value;
        }
    }
    /** Who stamps the input's Kafka record timestamps: the broker at append, or the producer. */
    public enum TimestampType {
        LOG_APPEND_TIME("log-append-time"),
        CREATE_TIME("create-time");

        private final String value;

        TimestampType(String value) {
            this.value = value;
        }

        /** The setting's spelling; Flink parses enum settings by it. */
        @Override
        public String toString() {
            return value;
        }
    }

    // ---- state

    public static final ConfigOption<String> SAVEPOINT = key("savepoint")
            .stringType()
            .noDefaultValue()
            .withDescription("BootstrapHistory: the directory it writes the detector's savepoint to. The job"
                    + " run locally: the savepoint to start from (on a cluster, 'flink run -s' does this).");

    /** Every option with the type of its value, in the order of this file (which groups them by subject). */
    private static final Map<ConfigOption<?>, Class<?>> TYPES = declaredOptions();

    /** All options, for validation of the keys a user gives, for {@code --help} and for docs/configuration.md's table. */
    public static List<ConfigOption<?>> all() {
        return List.copyOf(TYPES.keySet());
    }

    /** The type of an option's value ({@code Duration}, {@code Boolean}, an enum, ...), as declared here. */
    public static Class<?> valueType(ConfigOption<?> option) {
        Class<?> type = TYPES.get(option);
        if (type == null) {
            throw new IllegalArgumentException("Not an option of the job: " + option.key());
        }
        return type;
    }

    private static Map<ConfigOption<?>, Class<?>> declaredOptions() {
        Map<ConfigOption<?>, Class<?>> options = new LinkedHashMap<>();
        for (Field f : JobOptions.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) && ConfigOption.class.isAssignableFrom(f.getType())) {
                try {
                    // ConfigOption keeps its value class to itself; the field's declared type says it as well.
                    Type type = ((ParameterizedType) f.getGenericType()).getActualTypeArguments()[0];
                    options.put((ConfigOption<?>) f.get(null), (Class<?>) type);
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return Collections.unmodifiableMap(options);
    }
}
