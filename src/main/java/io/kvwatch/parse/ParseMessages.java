package io.kvwatch.parse;

import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.DeadLetter;
import io.kvwatch.model.RawMessage;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/** The parser as a pipeline step: Key Vault audit records out, dead letters to a side output, all of it counted. */
public class ParseMessages extends ProcessFunction<RawMessage, AuditRecord> {

    private static final long serialVersionUID = 1L;

    public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters") {};

    private final EnvelopeParser parser;

    private transient Counter messagesIn;
    private transient Counter recordsIn;
    private transient Counter recordsIgnored;
    private transient Counter deadLetters;
    private transient Map<String, Counter> deadLettersByReason;

    public ParseMessages(EnvelopeParser parser) {
        this.parser = parser;
    }

    @Override
    public void open(OpenContext openContext) {
        var metrics = getRuntimeContext().getMetricGroup();
        messagesIn = metrics.counter("messagesIn");
        recordsIn = metrics.counter("recordsIn");
        recordsIgnored = metrics.counter("recordsIgnored");
        deadLetters = metrics.counter("deadLetters");
        // Also per reason, as deadLetterReason.<code>.deadLetters: which mistake the input makes, not only how often.
        deadLettersByReason = new HashMap<>();
        for (DeadLetterReason reason : DeadLetterReason.values()) {
            deadLettersByReason.put(
                    reason.code(),
                    metrics.addGroup("deadLetterReason", reason.code()).counter("deadLetters"));
        }
    }

    @Override
    public void processElement(RawMessage message, Context ctx, Collector<AuditRecord> out) {
        messagesIn.inc();
        parser.parse(message, new EnvelopeParser.Output() {
            @Override
            public void record(AuditRecord record) {
                recordsIn.inc();
                out.collect(record);
            }

            @Override
            public void deadLetter(DeadLetter deadLetter) {
                deadLetters.inc();
                Counter byReason = deadLettersByReason.get(deadLetter.reason);
                if (byReason != null) {
                    byReason.inc();
                }
                ctx.output(DEAD_LETTERS, deadLetter);
            }

            @Override
            public void ignored() {
                recordsIgnored.inc();
            }
        });
    }
}
