package io.kvwatch;

import io.kvwatch.alert.Alert;
import io.kvwatch.alert.AlertSuppressor;
import io.kvwatch.alert.FormatAlerts;
import io.kvwatch.alert.SuppressionKey;
import io.kvwatch.config.EventTimeSettings;
import io.kvwatch.config.JobConfig;
import io.kvwatch.config.JobOptions;
import io.kvwatch.config.KafkaSettings;
import io.kvwatch.config.OptionRanges;
import io.kvwatch.config.OptionsHelp;
import io.kvwatch.config.SetupException;
import io.kvwatch.detect.EarliestRuleTime;
import io.kvwatch.detect.FirstSeenDetector;
import io.kvwatch.detect.TermCleanup;
import io.kvwatch.io.DeadLetterDocument;
import io.kvwatch.io.FileInput;
import io.kvwatch.io.JobOutputs;
import io.kvwatch.io.KafkaInput;
import io.kvwatch.io.KafkaOutputs;
import io.kvwatch.io.KafkaPreflight;
import io.kvwatch.io.LocalOutputs;
import io.kvwatch.io.MessageInput;
import io.kvwatch.io.Preflight;
import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.Detection;
import io.kvwatch.model.RawMessage;
import io.kvwatch.model.RecordField;
import io.kvwatch.model.TermKey;
import io.kvwatch.parse.EnvelopeParser;
import io.kvwatch.parse.ParseMessages;
import io.kvwatch.rule.DetectionRule;
import io.kvwatch.rule.ExceptionList;
import io.kvwatch.rule.RetrievalFilter;
import io.kvwatch.rule.RuleFile;
import io.kvwatch.rule.RuleFilter;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Azure Key Vault Secret Key Usage by Unusual Identity, as a continuous Flink job: alert the first time a user
 * principal reads (or tries to read) a Key Vault object after not having done so for the history window (14 days).
 * The rule (what counts, the term, the window, what alerts say) is Elastic's rule file, the bundled one or the one
 * named by {@code rule}, read when the job is built.
 *
 * <pre>
 *   messages → parse → filter (the rule) → keyBy (upn, properties.id) → first-seen detector → alerts
 *                └→ dead letters
 * </pre>
 *
 * <p>Settings: see {@link JobOptions}; without any, the job runs over its bundled sample and prints its alerts.
 */
public final class KeyVaultNewTermsJob {

    private final JobConfig config;
    private final DetectionRule rule;
    private final MessageInput input;
    private final JobOutputs outputs;

    /** Reads the rule: a rule file the job cannot follow fails here, at submission. */
    public KeyVaultNewTermsJob(JobConfig config, MessageInput input, JobOutputs outputs) {
        OptionRanges.check(config); // on a cluster too, where LocalRun's checks do not run
        this.config = config;
        this.rule = rule(config);
        this.input = input;
        this.outputs = outputs;
    }

    private static final Logger LOG = LoggerFactory.getLogger(KeyVaultNewTermsJob.class);

    /** The start of {@code --help}: how the job is run. */
    static final String USAGE = """
            kvwatch: Azure Key Vault Secret Key Usage by Unusual Identity, a continuous Flink job.

            Run locally (a mini-cluster in one JVM; without options it reads its bundled sample):
              mvn -q compile exec:exec -Dexec.args="--input FILE_OR_DIR --output alerts.ndjson"
            On a cluster:
              flink run target/keyvault-new-terms-*.jar --kafka.topic ... --alerts.topic ...
            A local run exits 0 when done (a summary on stderr), 2 on a setup mistake, 1 when the job failed.""";

    /**
     * Runs the job. Locally (no cluster at hand) it checks the settings, paths and Kafka topics first, ends with a
     * summary or one line saying what went wrong, and exits with the status {@link LocalRun} describes; on a cluster
     * it builds the job and submits it, and failures propagate as exceptions.
     */
    public static void main(String[] args) throws Exception {
        if (LocalRun.wantsHelp(args)) {
            System.out.print(OptionsHelp.text(USAGE));
            return;
        }
        if (LocalRun.isLocal()) {
            LocalRun.runAndExit(args, KeyVaultNewTermsJob::checkedLocally);
            return;
        }
        JobConfig config = JobConfig.fromArgs(args);
        LOG.info("Settings: {}", config); // credentials hidden
        KafkaSettings.from(config).ifPresent(kafka -> LOG.info("Kafka: {}", kafka));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        KeyVaultNewTermsJob job = new KeyVaultNewTermsJob(config, inputFrom(config), outputsFrom(config));
        job.logRule();
        job.build(env);
        env.execute(job.jobName());
    }

    /** A local run: every check a user's mistake can fail, before the job is built on {@code env}. */
    private static LocalRun.Plan checkedLocally(JobConfig config, StreamExecutionEnvironment env) {
        Optional<KafkaSettings> kafka = KafkaSettings.from(config);
        kafka.ifPresent(k -> LOG.info("Kafka: {}", k));
        Preflight.checkJob(config, kafka);
        kafka.ifPresent(k -> KafkaPreflight.check(
                k, config.get(JobOptions.KAFKA_CHECK_TIMEOUT), config.getOptional(JobOptions.KAFKA_TIMESTAMP_TYPE)));
        KeyVaultNewTermsJob job = new KeyVaultNewTermsJob(config, inputFrom(config), outputsFrom(config));
        job.logRule();
        job.build(env);

        boolean reads = kafka.map(KafkaSettings::readsKafka).orElse(false);
        boolean writes = kafka.map(KafkaSettings::writesKafka).orElse(false);
        String input = reads
                ? "Kafka topic(s) " + String.join(", ", kafka.get().topics()) + " at "
                        + kafka.get().bootstrapServers()
                : config.getOptional(JobOptions.INPUT).orElse("the bundled sample");
        String alerts = writes
                ? "Kafka topic " + kafka.get().alertsTopic()
                : config.getOptional(JobOptions.OUTPUT).orElse("stdout");
        String deadLetters = writes
                ? "Kafka topic " + kafka.get().deadLettersTopic()
                : config.getOptional(JobOptions.DEAD_LETTER_OUTPUT).orElse("stderr");
        return new LocalRun.Plan(
                job.jobName(),
                input,
                alerts,
                deadLetters,
                null,
                reads && !kafka.get().bounded());
    }

    private void logRule() {
        LOG.info(
                "Rule: {} ({}), {} history window, from {}; counts records matching {}",
                rule.name(),
                rule.ruleId(),
                rule.historyWindowText(),
                rule.source(),
                rule.query());
    }

    private String jobName() {
        return "Key Vault new-terms: " + rule.name();
    }

    /**
     * The rule in force: the file named by {@code rule}, else the bundled one; {@code history-window}, when set,
     * overrides the file's window. Read here, on the client, and shipped with the job's functions.
     */
    public static DetectionRule rule(JobConfig config) {
        DetectionRule rule = config.getOptional(JobOptions.RULE)
                .map(file -> RuleFile.load(Path.of(file)))
                .orElseGet(DetectionRule::bundled);
        return config.getOptional(JobOptions.HISTORY_WINDOW)
                .map(rule::withHistoryWindow)
                .orElse(rule);
    }

    /**
     * How terms not seen again are freed: {@code term-cleanup}, else by the input. A bounded input (files, the sample,
     * a bounded Kafka read) runs event time far ahead of processing time, so only event-time timers bound its state;
     * a live stream's processing time tracks its event time, and the TTL saves the timer row per term.
     */
    public static TermCleanup termCleanup(JobConfig config, MessageInput input) {
        return config.getOptional(JobOptions.TERM_CLEANUP).orElse(TermCleanup.defaultFor(input.bounded()));
    }

    /** Kafka (or Event Hubs) when {@code kafka.topic} is set; else the files of {@code input}, or the sample. */
    public static MessageInput inputFrom(JobConfig config) {
        Optional<KafkaSettings> kafka = KafkaSettings.from(config).filter(KafkaSettings::readsKafka);
        if (kafka.isPresent()) {
            EventTimeSettings eventTime = EventTimeSettings.forKafka(config, kafka.get());
            LOG.info("Event time: {}", eventTime.describe());
            return new KafkaInput(kafka.get(), eventTime);
        }
        long maxMessageBytes = config.get(JobOptions.MAX_MESSAGE_SIZE).getBytes();
        return config.getOptional(JobOptions.INPUT)
                .map(path -> FileInput.of(path, maxMessageBytes))
                .orElseGet(FileInput::bundledSample);
    }

    /** Kafka (or Event Hubs) topics when {@code alerts.topic} is set; else files or the console. */
    public static JobOutputs outputsFrom(JobConfig config) {
        Optional<KafkaSettings> kafka = KafkaSettings.from(config).filter(KafkaSettings::writesKafka);
        if (kafka.isPresent()) {
            return new KafkaOutputs(kafka.get());
        }
        return new LocalOutputs(config.get(JobOptions.OUTPUT), config.get(JobOptions.DEAD_LETTER_OUTPUT));
    }

    /** Adds the whole pipeline to {@code env}. */
    public void build(StreamExecutionEnvironment env) {
        configure(env);
        Duration window = rule.historyWindow();

        SingleOutputStreamOperator<AuditRecord> records = parse(input.open(env), config);
        DataStream<AuditRecord> counting = counting(records, config, rule);
        if (input.bounded()) {
            EarliestRuleTime clock = new EarliestRuleTime(!input.stampsIngestTime(), learningPeriod() != null);
            counting = counting.transform("Event time held until the input is read", counting.getType(), clock)
                    .uid(EarliestRuleTime.UID);
        } else if (!input.stampsIngestTime()) {
            counting = counting.assignTimestampsAndWatermarks(recordTimeWatermarks())
                    .uid("record-time-watermarks")
                    .name("Event time from record time");
        }

        DataStream<Detection> detections = counting.keyBy(new ByTerm())
                .process(new FirstSeenDetector(
                        window,
                        learningPeriod(),
                        config.getOptional(JobOptions.STATE_TTL).orElse(null),
                        termCleanup(config, input)))
                .uid(FirstSeenDetector.UID)
                .name("First seen in " + rule.historyWindowText());

        List<RecordField> suppressBy = SuppressionKey.parseList(config.get(JobOptions.SUPPRESSION_FIELDS));
        DataStream<Alert> alerts;
        if (suppressBy.isEmpty()) {
            alerts = detections.map(new FormatAlerts(rule)).uid("format-alerts").name("Alert documents");
        } else {
            alerts = detections
                    .keyBy(AlertSuppressor.keySelector(suppressBy))
                    .process(new AlertSuppressor(
                            suppressBy, config.get(JobOptions.SUPPRESSION_DURATION), input.bounded()))
                    .uid(AlertSuppressor.UID)
                    .name("Suppress by "
                            + suppressBy.stream().map(RecordField::userName).toList())
                    .map(new FormatAlerts.Suppressed(rule))
                    .uid("format-alerts")
                    .name("Alert documents");
        }
        outputs.alerts(alerts);
        outputs.deadLetters(deadLetterDocuments(records));
    }

    // The three steps below are shared with BootstrapHistory, so that history is read and counted exactly as live
    // input is: a record the job would count is history, and nothing else is.

    /** Event Hubs messages to Key Vault audit records; dead letters go to a side output. */
    static SingleOutputStreamOperator<AuditRecord> parse(DataStream<RawMessage> messages, JobConfig config) {
        return messages.process(new ParseMessages(parser(config))).uid("parse").name("Parse Event Hubs messages");
    }

    /** The parser with the message size limit and dead-letter length of the settings. */
    public static EnvelopeParser parser(JobConfig config) {
        long maxSize = config.get(JobOptions.MAX_MESSAGE_SIZE).getBytes();
        return new EnvelopeParser(
                (int) Math.min(Integer.MAX_VALUE, maxSize), config.get(JobOptions.DEAD_LETTER_MAX_ORIGINAL));
    }

    /** The records that count for the rule and are not excepted, with their term key. */
    static SingleOutputStreamOperator<AuditRecord> counting(
            DataStream<AuditRecord> records, JobConfig config, DetectionRule rule) {
        return records.flatMap(ruleFilter(config, rule))
                .uid(RuleFilter.UID)
                .name("Key Vault reads by a user (the rule)");
    }

    /** The rule's filter with the exceptions, read here so that a bad file fails the submission. */
    static RuleFilter ruleFilter(JobConfig config, DetectionRule rule) {
        RetrievalFilter filter = new RetrievalFilter(rule, config.get(JobOptions.REQUIRE_2XX));
        String file = config.get(JobOptions.EXCEPTIONS);
        if (file == null) {
            return new RuleFilter(filter);
        }
        ExceptionList exceptions;
        try {
            exceptions = ExceptionList.load(Path.of(file));
        } catch (NoSuchFileException e) {
            throw new SetupException("--" + JobOptions.EXCEPTIONS.key() + " " + file + ": no such file", e);
        } catch (IOException e) {
            throw new SetupException(
                    "Cannot read the exceptions file " + file + ": "
                            + (e instanceof AccessDeniedException ? "permission denied" : e.getMessage()),
                    e);
        }
        return new RuleFilter(filter, exceptions, file, config.get(JobOptions.EXCEPTIONS_RELOAD_INTERVAL));
    }

    /** The parser's dead letters as JSON documents. */
    static DataStream<String> deadLetterDocuments(SingleOutputStreamOperator<AuditRecord> parsed) {
        return parsed.getSideOutput(ParseMessages.DEAD_LETTERS)
                .map(d -> DeadLetterDocument.toJson(d, Instant.now()))
                .uid("format-dead-letters")
                .name("Dead-letter documents");
    }

    private void configure(StreamExecutionEnvironment env) {
        Configuration pipeline = new Configuration();
        // Every type crossing the network has a Flink serializer; a Kryo fallback would be a silent slowdown.
        pipeline.set(PipelineOptions.GENERIC_TYPES, false);
        // Chained operators hand records on without a copy: every function here emits new objects or forwards its
        // input after its last use of it, and none keeps an input across calls except the keyed ones (detector,
        // suppressor), whose input comes off the network, where Flink always deserialises a new object.
        pipeline.set(PipelineOptions.OBJECT_REUSE, true);
        // Locally, what 'flink run -s' does on a cluster: start from a savepoint. One that BootstrapHistory wrote
        // holds only the detector's state, so every other operator starts fresh and none of it goes unclaimed.
        config.getOptional(JobOptions.SAVEPOINT)
                .ifPresent(path -> pipeline.set(StateRecoveryOptions.SAVEPOINT_PATH, path));
        env.configure(pipeline);
        env.setMaxParallelism(config.get(JobOptions.MAX_PARALLELISM));
        config.getOptional(JobOptions.PARALLELISM).ifPresent(env::setParallelism);
        if (env.getCheckpointConfig().getCheckpointInterval() <= 0) {
            env.enableCheckpointing(config.get(JobOptions.CHECKPOINT_INTERVAL).toMillis());
        }
    }

    private Duration learningPeriod() {
        if (!config.get(JobOptions.LEARNING)) {
            return null;
        }
        return config.getOptional(JobOptions.LEARNING_PERIOD).orElse(rule.historyWindow());
    }

    /**
     * Event time for unbounded inputs without an ingest timestamp of their own: each record's rule time. (A bounded
     * input holds event time back until it is read, see {@link EarliestRuleTime}: alerts wait until the whole input
     * is read, so that each is decided on the full history, whatever order files and lines come in. The cost is
     * memory: every term and every pending alert of the input is held until the end.)
     */
    WatermarkStrategy<AuditRecord> recordTimeWatermarks() {
        EventTimeSettings eventTime = EventTimeSettings.forRecordTime(config);
        return WatermarkStrategy.<AuditRecord>forBoundedOutOfOrderness(eventTime.outOfOrderness())
                .withTimestampAssigner((record, ignored) -> record.ruleTime)
                .withIdleness(eventTime.idleness());
    }

    /** Partitions by the term's digest, computed once by the rule filter. */
    static final class ByTerm implements KeySelector<AuditRecord, TermKey> {
        private static final long serialVersionUID = 1L;

        @Override
        public TermKey getKey(AuditRecord record) {
            return new TermKey(record.termHi, record.termLo);
        }
    }
}
