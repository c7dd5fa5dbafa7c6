package io.kvwatch.parse;

import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.DeadLetter;
import io.kvwatch.model.RawMessage;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

/**
 * What a parser made of one message, as comparable lines (every public field of each record and dead letter, in
 * order): the equivalence tests compare two parse paths by these.
 */
final class ParseOutcomes implements EnvelopeParser.Output {

    final List<String> lines = new ArrayList<>();

    static List<String> describe(EnvelopeParser parser, RawMessage message) {
        ParseOutcomes out = new ParseOutcomes();
        parser.parse(message, out);
        return out.lines;
    }

    @Override
    public void record(AuditRecord record) {
        lines.add("record " + fields(record));
    }

    @Override
    public void deadLetter(DeadLetter d) {
        lines.add("dead letter " + fields(d));
    }

    @Override
    public void ignored() {
        lines.add("ignored");
    }

    private static String fields(Object o) {
        StringBuilder sb = new StringBuilder();
        for (Field f : o.getClass().getFields()) {
            if (Modifier.isStatic(f.getModifiers())) {
                continue;
            }
            try {
                sb.append(f.getName()).append('=').append(f.get(o)).append(' ');
            } catch (IllegalAccessException e) {
                throw new AssertionError(e);
            }
        }
        return sb.toString();
    }
}
