package io.kvwatch;

import io.kvwatch.config.JobConfig;
import io.kvwatch.config.OptionRanges;
import io.kvwatch.config.SetupException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How {@code main} runs a job on the user's own machine ({@code mvn -q compile exec:exec}, {@code java -cp ...}): on
 * a mini-cluster of its own, started only once the settings, paths and Kafka cluster have been checked; with few
 * restarts, so that a failing job ends instead of restarting forever; and with an exit status a script can use:
 *
 * <ul>
 *   <li>{@value #OK}: the job ran (and, for bounded input, finished): a summary of what it did is on stderr;
 *   <li>{@value #FAILED}: the job failed while running, after its restarts: one line on stderr, the trace in the log;
 *   <li>{@link SetupException#EXIT_CODE}: a setup mistake, found before the job started: one line on stderr.
 * </ul>
 *
 * <p>Every line this prints starts with {@code kvwatch:}. On a cluster ({@code flink run}, application mode) and
 * under a test's mini-cluster none of this applies: exceptions propagate and the configured restart strategy governs.
 */
final class LocalRun {

    static final int OK = 0;
    static final int FAILED = 1;

    /** Restarts of a local run: a transient failure is ridden out, a lasting one ends the run within seconds. */
    static final int LOCAL_RESTARTS = 2;

    static final Duration LOCAL_RESTART_DELAY = Duration.ofSeconds(1);

    /** The log file that log4j-local.properties writes, when the run command names it. */
    static final String LOG_FILE_PROPERTY = "kvwatch.log.file";

    private static final Logger LOG = LoggerFactory.getLogger(LocalRun.class);

    /**
     * The job's name, what it reads and where its outputs go, in words, for the summary.
     *
     * @param alerts where alerts go; null for a job without a detector (BootstrapHistory)
     * @param savepoint the savepoint the job writes, or null
     * @param endless whether the input has no end (Kafka without kafka.bounded): the run says so as it starts
     */
    /**
     * The job's name, what it reads and where its outputs go, in words, for the summary.
     *
     * @param alerts where alerts go; null for a job without a detector (BootstrapHistory)
     * @param savepoint the savepoint the job writes, or null
     * @param endless whether the input has no end (Kafka without kafka.bounded): the run says so as it starts
     */
    record Plan(String jobName, String input, String alerts, String deadLetters, String savepoint, boolean endless) {}

    /** Checks the settings and the world, then adds the job to {@code env}. */
    interface Setup {
        Plan build(JobConfig config, StreamExecutionEnvironment env) throws Exception;
    }

    private LocalRun() {}

    static boolean wantsHelp(String[] args) {
        for (String arg : args) {
            if (arg.equals("--help") || arg.equals("-h") || arg.equals("-help")) {
                return true;
            }
        }
        return false;
    }

    /** Whether no cluster is at hand, so that running means starting a mini-cluster in this JVM. */
    static boolean isLocal() {
        return StreamExecutionEnvironment.getExecutionEnvironment() instanceof LocalStreamEnvironment;
    }

    /** Runs {@code main} locally and exits the JVM with the run's status. */
    static void runAndExit(String[] args, Setup setup) {
        int status = run(args, setup, System.err);
        System.err.flush();
        System.exit(status);
    }

    static int run(String[] args, Setup setup, PrintStream err) {
        long start = System.nanoTime();
        StreamExecutionEnvironment env;
        Plan plan;
        try {
            JobConfig config = JobConfig.fromArgs(args).checkValues();
            OptionRanges.check(config);
            LOG.info("Settings: {}", config); // credentials hidden
            env = StreamExecutionEnvironment.getExecutionEnvironment(localConfiguration());
            plan = setup.build(config, env);
        } catch (IllegalArgumentException e) {
            // SetupException, and any other refusal of a setting while the job is built: a mistake in the settings.
            return setupError(e, err);
        } catch (Exception e) {
            LOG.error("The job could not be built", e);
            err.println("kvwatch: the job could not be built: " + oneLine(e) + logHint());
            return FAILED;
        }
        if (plan.endless()) {
            // No summary will come: say now what the run does, so that a quiet job is not taken for a stuck one.
            err.println("kvwatch: running on " + plan.input() + " until stopped (Ctrl-C); alerts to " + plan.alerts()
                    + ", dead letters to " + plan.deadLetters());
        }
        try {
            env.execute(plan.jobName());
        } catch (Exception e) {
            SetupException mistake = find(e, SetupException.class);
            if (mistake != null) {
                return setupError(mistake, err);
            }
            LOG.error("The job failed", e);
            err.println("kvwatch: the job failed: " + oneLine(rootCause(e)) + logHint());
            return FAILED;
        }
        err.print(summary(RunCounters.totals(), plan, Duration.ofNanos(System.nanoTime() - start)));
        return OK;
    }

    private static int setupError(Exception e, PrintStream err) {
        LOG.info("Setup error", e); // the trace, for the log file only
        err.println("kvwatch: " + oneLine(e));
        return SetupException.EXIT_CODE;
    }

    /** A local mini-cluster that gives up after a few restarts and keeps the job's counters for the summary. */
    static Configuration localConfiguration() {
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, LOCAL_RESTARTS);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, LOCAL_RESTART_DELAY);
        RunCounters.configure().forEach(conf::setString);
        return conf;
    }

    /** The block a finished run prints: what came in, what became of it, and where it went. */
    static String summary(Map<String, Long> c, Plan plan, Duration took) {
        Map<String, Long> reasons = new TreeMap<>();
        c.forEach((name, n) -> {
            if (name.startsWith("deadLetters.") && n > 0) {
                reasons.put(name.substring("deadLetters.".length()), n);
            }
        });
        StringBuilder byReason = new StringBuilder();
        reasons.forEach((reason, n) -> byReason.append(byReason.length() == 0 ? "" : ", ")
                .append(reason)
                .append(' ')
                .append(n));
        long records = c.get("recordsIn");
        long counted = c.get("recordsCounted");
        long excepted = c.get("recordsExcepted");
        String f = "  %-22s %9d  %s%n";
        StringBuilder out = new StringBuilder();
        out.append(String.format(
                Locale.ROOT, "kvwatch: finished in %.1f s; read %s%n", took.toMillis() / 1000.0, plan.input()));
        out.append(String.format(Locale.ROOT, "  %-22s %9d%n", "messages", c.get("messagesIn")));
        out.append(String.format(Locale.ROOT, f, "records", records, "Key Vault audit records"));
        out.append(String.format(Locale.ROOT, f, "  counted", counted, "reads by a user: the rule's terms"));
        out.append(String.format(Locale.ROOT, f, "  excepted", excepted, "by the exceptions file"));
        out.append(String.format(
                Locale.ROOT,
                f,
                "  not the rule's",
                records - counted - excepted,
                "other operations, identities or results"));
        out.append(String.format(Locale.ROOT, f, "ignored", c.get("recordsIgnored"), "records of other categories"));
        out.append(String.format(
                Locale.ROOT,
                f,
                "dead letters",
                c.get("deadLetters"),
                (byReason.length() == 0 ? "" : byReason + "; ") + "to " + plan.deadLetters()));
        if (plan.savepoint() != null) {
            out.append("  savepoint written to ").append(plan.savepoint()).append(System.lineSeparator());
        }
        if (plan.alerts() == null) {
            return out.toString(); // no detector, no alerts
        }
        out.append(String.format(Locale.ROOT, f, "late", c.get("recordsLate"), "decided after the watermark"));
        long alerts = c.get("alerts") - c.get("alertsSuppressed");
        long updates = c.get(RunCounters.ALERT_DOCUMENTS) - alerts;
        out.append(String.format(
                Locale.ROOT,
                f,
                "alerts",
                alerts,
                "to " + plan.alerts()
                        + (updates > 0
                                ? " (and " + updates + " updates: the counts of suppressed alerts, same alert id)"
                                : "")));
        out.append(String.format(Locale.ROOT, f, "  suppressed", c.get("alertsSuppressed"), "by suppression-fields"));
        out.append(String.format(Locale.ROOT, f, "  held back", c.get("alertsHeldBackLearning"), "while learning"));
        return out.toString();
    }

    static String oneLine(Throwable e) {
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            return e.getClass().getSimpleName();
        }
        String line = message.replaceAll("\\s*\\R\\s*", " ").strip();
        return e instanceof IllegalArgumentException ? line : e.getClass().getSimpleName() + ": " + line;
    }

    private static Throwable rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    private static <T extends Throwable> T find(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    private static String logHint() {
        String file = System.getProperty(LOG_FILE_PROPERTY);
        return file == null ? " (the full trace is in the log)" : " (the full trace is in " + file + ")";
    }
}
