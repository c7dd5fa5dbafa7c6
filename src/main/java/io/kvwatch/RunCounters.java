package io.kvwatch;

import io.kvwatch.io.KafkaOutputs;
import io.kvwatch.io.LocalOutputs;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;
import org.apache.flink.state.api.OperatorIdentifier;

/**
 * The job's own counters (messages, records, dead letters, alerts, ...) as a local run ends, for its summary.
 *
 * <p>A metric reporter that a local run configures on its mini-cluster ({@link #configure}): the operators register
 * their counters as they always do, and as Flink metrics on a cluster; this reporter keeps a reference to each, and
 * {@link #totals()} adds them up across subtasks once the job is done. Nothing in an operator knows of it. A restarted
 * task registers new counters under the same operator and subtask, which replace the old ones: the totals are those
 * of the attempt that finished, as the outputs are.
 */
public final class RunCounters implements MetricReporter {

    /** The reporter's name in the configuration: {@code metrics.reporter.kvwatch-run.factory.class}. */
    static final String NAME = "kvwatch-run";

    /** The counters this job's operators register (and only those: Flink's own are not this summary's). */
    static final java.util.Set<String> JOB_COUNTERS = java.util.Set.of(
            "messagesIn",
            "recordsIn",
            "recordsIgnored",
            "deadLetters",
            "recordsCounted",
            "recordsExcepted",
            "recordsLate",
            "alerts",
            "alertsHeldBackLearning",
            "alertsSuppressed");

    /** The documents the alert sink was given, by Flink's count at its writer: alerts and suppression updates. */
    static final String ALERT_DOCUMENTS = "alertDocuments";
    /**
     * The operator ids of the alert sinks' writers: Flink derives a sink writer's id from the sink's uid (its name
     * may be cut short in metrics, and its committer has a name like it).
     */
    private static final java.util.Set<String> ALERT_SINK_WRITERS = java.util.Set.of(
            OperatorIdentifier.forUid(LocalOutputs.ALERT_SINK_UID)
                    .getOperatorId()
                    .toHexString(),
            OperatorIdentifier.forUid(KafkaOutputs.ALERT_SINK_UID)
                    .getOperatorId()
                    .toHexString());

    /** The per-reason dead-letter counters are under a group of this key, whose value is the reason's code. */
    static final String REASON_GROUP = "deadLetterReason";

    // One JVM, one local run: the mini-cluster's reporter and main share this.
    private static final Map<String, Counter> COUNTERS = new ConcurrentHashMap<>();

    /** The properties that install the reporter on a local mini-cluster. */
    static Map<String, String> configure() {
        COUNTERS.clear();
        return Map.of("metrics.reporter." + NAME + ".factory.class", Factory.class.getName());
    }

    /**
     * The counters summed over subtasks, by name; per-reason dead letters as {@code deadLetters.<reason>}. Zero for
     * a counter nobody registered, so that a summary line is there even when an operator was not (no suppression).
     */
    static Map<String, Long> totals() {
        Map<String, Long> totals = new TreeMap<>();
        JOB_COUNTERS.forEach(name -> totals.put(name, 0L));
        totals.put(ALERT_DOCUMENTS, 0L);
        COUNTERS.forEach(
                (id, counter) -> totals.merge(id.substring(0, id.indexOf('@')), counter.getCount(), Long::sum));
        return totals;
    }

    @Override
    public void open(MetricConfig config) {}

    @Override
    public void close() {}

    @Override
    public void notifyOfAddedMetric(Metric metric, String metricName, MetricGroup group) {
        if (!(metric instanceof Counter counter)) {
            return;
        }
        Map<String, String> variables = group.getAllVariables();
        String name;
        if (JOB_COUNTERS.contains(metricName)) {
            String reason = variables.get("<" + REASON_GROUP + ">");
            name = reason == null ? metricName : metricName + "." + reason;
        } else if (metricName.equals("numRecordsIn")
                // Task-level metrics have no operator id, and Set.of(...) refuses to look up null.
                && variables.get("<operator_id>") != null
                && ALERT_SINK_WRITERS.contains(variables.get("<operator_id>"))) {
            name = ALERT_DOCUMENTS; // Flink's own count of what the alert sink was given: alerts and their updates
        } else {
            return;
        }
        // Operator and subtask, not the attempt: a restarted subtask's counter replaces its predecessor's.
        COUNTERS.put(name + "@" + variables.get("<operator_id>") + "/" + variables.get("<subtask_index>"), counter);
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String metricName, MetricGroup group) {
        // Kept: a finished task removes its metrics before the job's end, and the summary is read after it.
    }

    /** Found by Flink through {@code META-INF/services}, named in the configuration by {@link #configure()}. */
    public static final class Factory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(Properties properties) {
            return new RunCounters();
        }
    }
}
