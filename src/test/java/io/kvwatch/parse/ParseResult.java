package io.kvwatch.parse;

import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.DeadLetter;
import io.kvwatch.model.RawMessage;
import java.util.ArrayList;
import java.util.List;

/** Everything one message yields, collected for assertions. */
public final class ParseResult implements EnvelopeParser.Output {
    public final List<AuditRecord> records = new ArrayList<>();
    public final List<DeadLetter> deadLetters = new ArrayList<>();
    public int ignored;

    static ParseResult of(String payload) {
        return of(new EnvelopeParser(4 << 20, 16 * 1024), payload, RawMessage.NO_TIMESTAMP);
    }

    static ParseResult of(EnvelopeParser parser, String payload, long ingestTimestamp) {
        return of(parser, new RawMessage(payload, ingestTimestamp, "test"));
    }

    public static ParseResult of(EnvelopeParser parser, RawMessage message) {
        ParseResult result = new ParseResult();
        parser.parse(message, result);
        return result;
    }

    @Override
    public void record(AuditRecord record) {
        records.add(record);
    }

    @Override
    public void deadLetter(DeadLetter deadLetter) {
        deadLetters.add(deadLetter);
    }

    @Override
    public void ignored() {
        ignored++;
    }
}
