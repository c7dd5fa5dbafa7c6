package io.kvwatch.parse;

import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.DeadLetter;
import io.kvwatch.model.RawMessage;
import java.util.ArrayList;
import java.util.List;

/** Everything one message yields, collected for assertions. */
final class ParseResult implements EnvelopeParser.Output {
    final List<AuditRecord> records = new ArrayList<>();
    final List<DeadLetter> deadLetters = new ArrayList<>();
    int ignored;

    static ParseResult of(String payload) {
        return of(new EnvelopeParser(4 << 20, 16 * 1024), payload, RawMessage.NO_TIMESTAMP);
    }

    static ParseResult of(EnvelopeParser parser, String payload, long ingestTimestamp) {
        ParseResult result = new ParseResult();
        parser.parse(new RawMessage(payload, ingestTimestamp, "test"), result);
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
