package io.kvwatch.detect;

import io.kvwatch.model.AuditRecord;
import java.io.IOException;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.StreamingRuntimeContext;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Event time for a bounded input, and the start of its learning period: the earliest rule time of the whole input,
 * not of what one subtask happened to see first.
 *
 * <p>The operator, placed before the detector's {@code keyBy}, passes records on (stamped with their rule time for
 * inputs without an ingest timestamp) and emits no watermark: only the final one Flink emits at the end of the input
 * goes through, so every alert waits for the whole input. Before passing that one on, each subtask adds the earliest
 * rule time it saw to a job-wide minimum held by the JobManager (Flink's global aggregates). A detector subtask
 * receives the final watermark only after every upstream subtask passed it on, so when it fires its alerts the
 * minimum is complete; it reads it once ({@link #ofInput}).
 */
public final class EarliestRuleTime extends AbstractStreamOperator<AuditRecord>
        implements OneInputStreamOperator<AuditRecord, AuditRecord> {

    private static final long serialVersionUID = 1L;

    /** The operator's uid. */
    public static final String UID = "earliest-rule-time";

    private static final String AGGREGATE = "kvwatch-earliest-rule-time";

    private final boolean stampRuleTime;
    private final boolean report;
    private transient long earliest;

    /**
     * @param stampRuleTime whether to set each record's timestamp to its rule time (inputs without ingest time)
     * @param report whether to report the earliest rule time (only a learning period needs it)
     */
    public EarliestRuleTime(boolean stampRuleTime, boolean report) {
        this.stampRuleTime = stampRuleTime;
        this.report = report;
    }

    @Override
    public void open() throws Exception {
        super.open();
        earliest = Long.MAX_VALUE;
    }

    @Override
    public void processElement(StreamRecord<AuditRecord> element) {
        long t = element.getValue().ruleTime;
        earliest = Math.min(earliest, t);
        output.collect(stampRuleTime ? element.replace(element.getValue(), t) : element);
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        if (mark.getTimestamp() != Long.MAX_VALUE) {
            return; // held back: a bounded input's decisions wait for its end
        }
        if (report && earliest != Long.MAX_VALUE) {
            report(getRuntimeContext(), earliest);
        }
        super.processWatermark(mark);
    }

    /**
     * The earliest rule time of the input once it has ended: the job-wide minimum, with {@code local} added. On an
     * unbounded input nothing else reports, and it is {@code local}.
     */
    static long ofInput(StreamingRuntimeContext context, long local) throws IOException {
        return report(context, local);
    }

    private static long report(StreamingRuntimeContext context, long value) throws IOException {
        return context.getGlobalAggregateManager().updateGlobalAggregate(AGGREGATE, value, new Min());
    }

    /** The minimum, as the JobManager keeps it. */
    static final class Min implements AggregateFunction<Long, Long, Long> {
        private static final long serialVersionUID = 1L;

        @Override
        public Long createAccumulator() {
            return Long.MAX_VALUE;
        }

        @Override
        public Long add(Long value, Long accumulator) {
            return Math.min(value, accumulator);
        }

        @Override
        public Long getResult(Long accumulator) {
            return accumulator;
        }

        @Override
        public Long merge(Long a, Long b) {
            return Math.min(a, b);
        }
    }
}
