package io.kvwatch.rule;

import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.RecordField;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A rule's KQL query compiled into a predicate on {@link AuditRecord}: fields bound through {@link RecordField},
 * conditions on fields that are the same for every record decided once, {@code field: (a or b ...)} of exact values
 * turned into one set look-up. Serializable, so that it is compiled on the client and shipped with the job.
 */
public final class RecordQuery implements Serializable {

    private static final long serialVersionUID = 1L;

    private final String text;
    private final Predicate predicate;

    private RecordQuery(String text, Predicate predicate) {
        this.text = text;
        this.predicate = predicate;
    }

    /**
     * Compiles a query; a construct outside the supported subset, an unknown field or a value the field cannot hold
     * throws, naming it and its place in the query.
     */
    public static RecordQuery compile(String kql) {
        Predicate p = compile(Kql.parse(kql));
        if (p == Const.FALSE) {
            throw new IllegalArgumentException("the query can match no record: every record of this job has "
                    + RecordField.EVENT_DATASET.path() + " \"" + RecordField.DATASET + "\"");
        }
        return new RecordQuery(kql, p);
    }

    public boolean matches(AuditRecord r) {
        return predicate.test(r);
    }

    /** This query, and the fields present: what a new-terms rule requires of a record before it has a term. */
    RecordQuery requiringPresent(List<RecordField> fields) {
        List<Predicate> all = new ArrayList<>(List.of(predicate));
        fields.forEach(f -> all.add(exists(f)));
        return new RecordQuery(text, and(all));
    }

    /**
     * The values a record must have in {@code field} for the query to match, when the query is a conjunction with one
     * condition {@code field: (a or b ...)} of exact values; empty otherwise. For code that evaluates the rule
     * without the job's records (the benchmark's plain-Java baseline).
     */
    public Set<String> requiredValues(RecordField field) {
        List<Predicate> conjuncts = predicate instanceof And a ? Arrays.asList(a.items) : List.of(predicate);
        for (Predicate p : conjuncts) {
            if (p instanceof In in && in.field == field) {
                return in.values;
            }
            if (p instanceof Equals eq && eq.field == field) {
                return Set.of(eq.value);
            }
        }
        return Set.of();
    }

    /** The query as written. */
    public String text() {
        return text;
    }

    /** The compiled form, e.g. {@code (event.outcome = "success" and event.action in [20 values] and ...)}. */
    @Override
    public String toString() {
        return predicate.toString();
    }

    // ---- compiling

    private static Predicate compile(Kql.Node node) {
        if (node instanceof Kql.AnyOf any) {
            return or(any.items().stream().map(RecordQuery::compile).toList());
        }
        if (node instanceof Kql.AllOf all) {
            return and(all.items().stream().map(RecordQuery::compile).toList());
        }
        if (node instanceof Kql.Negation not) {
            return not(compile(not.item()));
        }
        Kql.Match m = (Kql.Match) node;
        RecordField field = RecordField.byPath(m.field());
        if (field == null) {
            throw new IllegalArgumentException("unknown field '" + m.field() + "' at " + m.at() + ": the job's records"
                    + " hold " + RecordField.paths());
        }
        return compile(field, m.values());
    }

    private static Predicate compile(RecordField field, Kql.Values values) {
        if (values instanceof Kql.AnyValue any) {
            return or(any.items().stream().map(v -> compile(field, v)).toList());
        }
        if (values instanceof Kql.AllValues all) {
            return and(all.items().stream().map(v -> compile(field, v)).toList());
        }
        if (values instanceof Kql.NoValue not) {
            return not(compile(field, not.item()));
        }
        Kql.Value v = (Kql.Value) values;
        Predicate p;
        if (v.exists()) {
            p = exists(field);
        } else if (v.isWildcard()) {
            if (field.type() != RecordField.Type.KEYWORD) {
                throw new IllegalArgumentException("wildcard value '" + v.text() + "' at " + v.at() + " on "
                        + field.path() + ", a" + (field.type() == RecordField.Type.IP ? "n IP" : " number")
                        + " field, is not supported");
            }
            p = new Wildcard(field, v.parts().toArray(String[]::new));
        } else {
            p = switch (field.type()) {
                case KEYWORD -> new Equals(field, v.text());
                case LONG -> new NumberEquals(field, number(field, v));
                case IP -> new InRange(field, ipRange(field, v));
            };
        }
        if (field == RecordField.EVENT_OUTCOME && !v.exists() && !matchesAnOutcome(p)) {
            // Elastic writes it in lower case: "Success" matches no document there either, and a rule with it would
            // run without ever alerting (or, under 'not', on everything).
            throw new IllegalArgumentException("'" + v.text() + "' at " + v.at() + " matches no record: " + field.path()
                    + " holds only 'success' or 'failure', in lower case");
        }
        // A field with one value on every record: decide the condition now, on any record.
        return field.isConstant() ? Const.of(p.test(new AuditRecord())) : p;
    }

    private static boolean matchesAnOutcome(Predicate p) {
        AuditRecord success = new AuditRecord();
        success.outcomeSuccess = true;
        return p.test(success) || p.test(new AuditRecord());
    }

    private static long number(RecordField field, Kql.Value v) {
        try {
            return Long.parseLong(v.text().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "'" + v.text() + "' at " + v.at() + " is not a whole number, which " + field.path() + " holds");
        }
    }

    private static IpRange ipRange(RecordField field, Kql.Value v) {
        try {
            return IpRange.parse(v.text());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + v.text() + "' at " + v.at() + " is not an IP address or CIDR"
                    + " block, which " + field.path() + " holds");
        }
    }

    private static Predicate exists(RecordField field) {
        return field.isConstant() ? Const.TRUE : new Exists(field);
    }

    /** Flattened, constants folded, duplicates dropped (first kept, so the written order is the evaluation order). */
    private static Predicate and(List<Predicate> items) {
        Set<Predicate> flat = new LinkedHashSet<>();
        for (Predicate p : items) {
            if (p == Const.FALSE) {
                return Const.FALSE;
            }
            if (p instanceof And a) {
                flat.addAll(Arrays.asList(a.items));
            } else if (p != Const.TRUE) {
                flat.add(p);
            }
        }
        return flat.isEmpty()
                ? Const.TRUE
                : flat.size() == 1 ? flat.iterator().next() : new And(flat.toArray(Predicate[]::new));
    }

    /** As {@link #and}; exact values of one field, wherever they stand in the list, become one set. */
    private static Predicate or(List<Predicate> items) {
        Set<Predicate> flat = new LinkedHashSet<>();
        for (Predicate p : items) {
            if (p == Const.TRUE) {
                return Const.TRUE;
            }
            if (p instanceof Or o) {
                flat.addAll(Arrays.asList(o.items));
            } else if (p != Const.FALSE) {
                flat.add(p);
            }
        }
        List<Predicate> merged = new ArrayList<>();
        for (Predicate p : flat) {
            RecordField field = p instanceof Equals eq ? eq.field : p instanceof In in ? in.field : null;
            if (field == null) {
                merged.add(p);
                continue;
            }
            int at = indexOfValuesOf(merged, field);
            if (at < 0) {
                merged.add(p);
            } else {
                Set<String> values = new LinkedHashSet<>(valuesOf(merged.get(at)));
                values.addAll(valuesOf(p));
                merged.set(at, new In(field, values));
            }
        }
        return merged.isEmpty()
                ? Const.FALSE
                : merged.size() == 1 ? merged.get(0) : new Or(merged.toArray(Predicate[]::new));
    }

    private static int indexOfValuesOf(List<Predicate> list, RecordField field) {
        for (int i = 0; i < list.size(); i++) {
            Predicate p = list.get(i);
            if ((p instanceof Equals eq && eq.field == field) || (p instanceof In in && in.field == field)) {
                return i;
            }
        }
        return -1;
    }

    private static Set<String> valuesOf(Predicate p) {
        return p instanceof Equals eq ? Set.of(eq.value) : ((In) p).values;
    }

    private static Predicate not(Predicate p) {
        if (p instanceof Const c) {
            return Const.of(!c.value);
        }
        return p instanceof Not n ? n.item : new Not(p);
    }

    // ---- the compiled form: small immutable nodes with value equality (for folding and de-duplication)

    abstract static class Predicate implements Serializable {
        private static final long serialVersionUID = 1L;

        abstract boolean test(AuditRecord r);
    }

    static final class Const extends Predicate {
        private static final long serialVersionUID = 1L;
        static final Const TRUE = new Const(true);
        static final Const FALSE = new Const(false);

        final boolean value;

        private Const(boolean value) {
            this.value = value;
        }

        static Const of(boolean value) {
            return value ? TRUE : FALSE;
        }

        /** Keeps {@code TRUE} and {@code FALSE} the only instances, so that identity comparisons hold after shipping. */
        private Object readResolve() {
            return of(value);
        }

        @Override
        boolean test(AuditRecord r) {
            return value;
        }

        @Override
        public String toString() {
            return Boolean.toString(value);
        }
    }

    /**
     * A keyword present with a non-blank value (a blank UPN or object id is no identity and no object, so it makes no
     * term), a number other than 0, an IP field holding an address.
     */
    static final class Exists extends Predicate {
        private static final long serialVersionUID = 1L;
        final RecordField field;

        Exists(RecordField field) {
            this.field = field;
        }

        @Override
        boolean test(AuditRecord r) {
            return switch (field.type()) {
                case KEYWORD -> {
                    String v = field.text(r);
                    yield v != null && !v.isBlank();
                }
                case LONG -> field.number(r) != 0;
                case IP -> {
                    String v = field.text(r);
                    yield v != null && IpRange.literal(v.trim()) != null;
                }
            };
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Exists e && e.field == field;
        }

        @Override
        public int hashCode() {
            return field.hashCode();
        }

        @Override
        public String toString() {
            return field.path() + " exists";
        }
    }

    static final class Equals extends Predicate {
        private static final long serialVersionUID = 1L;
        final RecordField field;
        final String value;

        Equals(RecordField field, String value) {
            this.field = field;
            this.value = value;
        }

        @Override
        boolean test(AuditRecord r) {
            return value.equals(field.text(r));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Equals e && e.field == field && e.value.equals(value);
        }

        @Override
        public int hashCode() {
            return Objects.hash(field, value);
        }

        @Override
        public String toString() {
            return field.path() + " = \"" + value + "\"";
        }
    }

    static final class In extends Predicate {
        private static final long serialVersionUID = 1L;
        final RecordField field;
        final Set<String> values;

        In(RecordField field, Set<String> values) {
            this.field = field;
            this.values = Set.copyOf(values);
        }

        @Override
        boolean test(AuditRecord r) {
            String v = field.text(r);
            return v != null && values.contains(v);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof In i && i.field == field && i.values.equals(values);
        }

        @Override
        public int hashCode() {
            return Objects.hash(field, values);
        }

        @Override
        public String toString() {
            return field.path() + " in [" + values.size() + " values]";
        }
    }

    /** An unquoted value with {@code *}: any run of characters, case-sensitive, as a keyword wildcard query. */
    static final class Wildcard extends Predicate {
        private static final long serialVersionUID = 1L;
        final RecordField field;
        /** The literal pieces between the stars; at least two. */
        final String[] parts;

        Wildcard(RecordField field, String[] parts) {
            this.field = field;
            this.parts = parts;
        }

        @Override
        boolean test(AuditRecord r) {
            String v = field.text(r);
            return v != null && matches(v, parts);
        }

        /** Prefix, suffix, and the middle pieces in order between them: leftmost placement never misses a match. */
        static boolean matches(String v, String[] parts) {
            String first = parts[0];
            String last = parts[parts.length - 1];
            if (v.length() < first.length() + last.length() || !v.startsWith(first) || !v.endsWith(last)) {
                return false;
            }
            int from = first.length();
            int end = v.length() - last.length();
            for (int i = 1; i < parts.length - 1; i++) {
                int at = v.indexOf(parts[i], from);
                if (at < 0 || at + parts[i].length() > end) {
                    return false;
                }
                from = at + parts[i].length();
            }
            return true;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Wildcard w && w.field == field && Arrays.equals(w.parts, parts);
        }

        @Override
        public int hashCode() {
            return 31 * field.hashCode() + Arrays.hashCode(parts);
        }

        @Override
        public String toString() {
            return field.path() + " like \"" + String.join("*", parts) + "\"";
        }
    }

    static final class NumberEquals extends Predicate {
        private static final long serialVersionUID = 1L;
        final RecordField field;
        final long value;

        NumberEquals(RecordField field, long value) {
            this.field = field;
            this.value = value;
        }

        @Override
        boolean test(AuditRecord r) {
            long v = field.number(r);
            return v != 0 && v == value;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof NumberEquals n && n.field == field && n.value == value;
        }

        @Override
        public int hashCode() {
            return Objects.hash(field, value);
        }

        @Override
        public String toString() {
            return field.path() + " = " + value;
        }
    }

    /** An address, or a CIDR block, as Elasticsearch matches an {@code ip} field. */
    static final class InRange extends Predicate {
        private static final long serialVersionUID = 1L;
        final RecordField field;
        final IpRange range;

        InRange(RecordField field, IpRange range) {
            this.field = field;
            this.range = range;
        }

        @Override
        boolean test(AuditRecord r) {
            return range.contains(field.text(r));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof InRange i
                    && i.field == field
                    && i.range.toString().equals(range.toString());
        }

        @Override
        public int hashCode() {
            return 31 * field.hashCode() + range.toString().hashCode();
        }

        @Override
        public String toString() {
            return field.path() + " in " + range;
        }
    }

    /**
     * All of its items, in order. Up to four are tested from fields, each at a call site of its own: with one rule in
     * the job each site sees one kind of condition, which the JIT inlines, where a loop's single site would see all
     * kinds and dispatch on each.
     */
    static final class And extends Predicate {
        private static final long serialVersionUID = 1L;
        final Predicate[] items;
        private final Predicate p0;
        private final Predicate p1;
        private final Predicate p2;
        private final Predicate p3;

        And(Predicate[] items) {
            this.items = items;
            p0 = items[0];
            p1 = items[1];
            p2 = items.length > 2 ? items[2] : Const.TRUE;
            p3 = items.length > 3 ? items[3] : Const.TRUE;
        }

        @Override
        boolean test(AuditRecord r) {
            if (items.length <= 4) {
                return p0.test(r) && p1.test(r) && p2.test(r) && p3.test(r);
            }
            for (Predicate p : items) {
                if (!p.test(r)) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof And a && Arrays.equals(a.items, items);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(items);
        }

        @Override
        public String toString() {
            return join(" and ", items);
        }
    }

    static final class Or extends Predicate {
        private static final long serialVersionUID = 1L;
        final Predicate[] items;

        Or(Predicate[] items) {
            this.items = items;
        }

        @Override
        boolean test(AuditRecord r) {
            for (Predicate p : items) {
                if (p.test(r)) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Or a && Arrays.equals(a.items, items);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(items) + 1;
        }

        @Override
        public String toString() {
            return join(" or ", items);
        }
    }

    static final class Not extends Predicate {
        private static final long serialVersionUID = 1L;
        final Predicate item;

        Not(Predicate item) {
            this.item = item;
        }

        @Override
        boolean test(AuditRecord r) {
            return !item.test(r);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Not n && n.item.equals(item);
        }

        @Override
        public int hashCode() {
            return ~item.hashCode();
        }

        @Override
        public String toString() {
            return "not " + item;
        }
    }

    private static String join(String op, Predicate[] items) {
        List<String> parts = new ArrayList<>();
        for (Predicate p : items) {
            parts.add(p.toString());
        }
        return "(" + String.join(op, parts) + ")";
    }
}
