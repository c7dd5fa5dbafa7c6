package io.kvwatch;

import io.kvwatch.config.JobConfig;
import io.kvwatch.config.JobOptions;
import io.kvwatch.config.OptionRanges;
import io.kvwatch.config.OptionsHelp;
import io.kvwatch.config.SetupException;
import io.kvwatch.detect.FirstSeenDetector;
import io.kvwatch.detect.TermCleanup;
import io.kvwatch.detect.TermHistoryBootstrap;
import io.kvwatch.io.FileInput;
import io.kvwatch.io.JobOutputs;
import io.kvwatch.io.LocalOutputs;
import io.kvwatch.io.MessageInput;
import io.kvwatch.io.Preflight;
import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.TermKey;
import io.kvwatch.rule.DetectionRule;
import java.time.Duration;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.runtime.state.hashmap.HashMapStateBackend;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.OperatorTransformation;
import org.apache.flink.state.api.SavepointWriter;
import org.apache.flink.state.api.StateBootstrapTransformation;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Bootstrap from history: reads archived Key Vault audit logs and writes a savepoint holding every term's sightings,
 * so that {@link KeyVaultNewTermsJob} started from it alerts only on terms new relative to that history, instead of on
 * every (user, object) pair it sees on its first day.
 *
 * <pre>
 *   files → parse → filter (the rule) → keyBy (upn, properties.id) → term history → savepoint of the detector
 *                └→ dead letters
 * </pre>
 *
 * <p>A batch job. Settings ({@link JobOptions}): {@code input} (file or directory, required), {@code savepoint} (the
 * directory to write, required), {@code dead-letters}, {@code parallelism}; and those that must equal the job's:
 * {@code rule}, {@code history-window}, {@code max-parallelism}, {@code require-2xx}, {@code max-message-size}.
 * {@code term-cleanup} says whether each term gets its cleanup timer: by default it does (event-time), which suits
 * a job in either mode (in TTL mode the timers fire once, prune, and are gone); {@code term-cleanup=ttl} writes none,
 * for a job that runs in TTL mode, and a smaller savepoint.
 */
public final class BootstrapHistory {

    private final JobConfig config;
    private final MessageInput input;
    private final JobOutputs outputs;

    /** @param outputs where the dead letters of the history go; it has no alerts */
    public BootstrapHistory(JobConfig config, MessageInput input, JobOutputs outputs) {
        OptionRanges.check(config);
        this.config = config;
        this.input = input;
        this.outputs = outputs;
    }

    static final String USAGE = """
            kvwatch BootstrapHistory: reads archived Key Vault audit logs and writes a savepoint of the detector's
            history, for KeyVaultNewTermsJob to start from.

            Run locally:
              mvn -q compile exec:exec -Dmain.class=io.kvwatch.BootstrapHistory \
                  -Dexec.args="--input ARCHIVE_DIR --savepoint NEW_DIR"
            It needs --input and --savepoint (a directory that does not exist yet). A local run exits 0 when done,
            2 on a setup mistake, 1 when the job failed.""";

    /** Runs the bootstrap: locally as {@link LocalRun} describes, on a cluster by submitting it. */
    public static void main(String[] args) throws Exception {
        if (LocalRun.wantsHelp(args)) {
            System.out.print(OptionsHelp.text(USAGE));
            return;
        }
        if (LocalRun.isLocal()) {
            LocalRun.runAndExit(args, BootstrapHistory::checkedLocally);
            return;
        }
        JobConfig config = JobConfig.fromArgs(args);
        String input = required(config, JobOptions.INPUT);
        required(config, JobOptions.SAVEPOINT);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        new BootstrapHistory(
                        config, FileInput.of(input), new LocalOutputs(null, config.get(JobOptions.DEAD_LETTER_OUTPUT)))
                .build(env);
        env.execute("Key Vault new-terms: bootstrap from " + input);
    }

    private static LocalRun.Plan checkedLocally(JobConfig config, StreamExecutionEnvironment env) {
        String input = required(config, JobOptions.INPUT);
        String savepoint = required(config, JobOptions.SAVEPOINT);
        Preflight.checkBootstrap(config);
        String deadLetters = config.get(JobOptions.DEAD_LETTER_OUTPUT);
        new BootstrapHistory(config, FileInput.of(input), new LocalOutputs(null, deadLetters)).build(env);
        return new LocalRun.Plan(
                "Key Vault new-terms: bootstrap from " + input,
                input,
                null,
                deadLetters == null ? "stderr" : deadLetters,
                savepoint,
                false);
    }

    /** Adds the whole batch pipeline, up to the savepoint, to {@code env}. */
    public void build(StreamExecutionEnvironment env) {
        configure(env);
        DetectionRule rule = KeyVaultNewTermsJob.rule(config);
        Duration window = rule.historyWindow();
        int maxParallelism = config.get(JobOptions.MAX_PARALLELISM);

        SingleOutputStreamOperator<AuditRecord> records = KeyVaultNewTermsJob.parse(input.open(env), config);
        StateBootstrapTransformation<AuditRecord> history = OperatorTransformation.bootstrapWith(
                        KeyVaultNewTermsJob.counting(records, config, rule))
                .keyBy(new KeyVaultNewTermsJob.ByTerm(), TypeInformation.of(TermKey.class))
                .transform(new TermHistoryBootstrap(
                        window,
                        config.getOptional(JobOptions.STATE_TTL).orElse(null),
                        config.getOptional(JobOptions.TERM_CLEANUP).orElse(TermCleanup.EVENT_TIME)));

        // Savepoints are written in the canonical format, which every state backend restores: the job may run on
        // RocksDB. The heap backend needs no native library, and one long[] per term fits it easily.
        SavepointWriter.newSavepoint(env, new HashMapStateBackend(), maxParallelism)
                .withOperator(OperatorIdentifier.forUid(FirstSeenDetector.UID), history)
                .write(config.get(JobOptions.SAVEPOINT));

        outputs.deadLetters(KeyVaultNewTermsJob.deadLetterDocuments(records));
    }

    private void configure(StreamExecutionEnvironment env) {
        Configuration pipeline = new Configuration();
        pipeline.set(ExecutionOptions.RUNTIME_MODE, RuntimeExecutionMode.BATCH);
        // Unlike the job, generic types stay allowed: the State Processor API ships its subtask states through Kryo.
        env.configure(pipeline);
        config.getOptional(JobOptions.PARALLELISM).ifPresent(env::setParallelism);
    }

    private static String required(JobConfig config, ConfigOption<String> option) {
        return config.getOptional(option)
                .orElseThrow(
                        () -> new SetupException("BootstrapHistory needs --" + option.key() + " (--help says more)"));
    }
}
