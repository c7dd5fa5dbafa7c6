package io.kvwatch.parse;

import com.fasterxml.jackson.databind.JsonNode;
import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.RawMessage;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.util.List;
import java.util.Locale;

/** Time values as Azure and Elastic write them. */
final class Timestamps {

    private Timestamps() {}

    /**
     * The rule's clock for a record: the ingest timestamp its transport gave (the Event Hubs enqueued time), or the
     * record's own time where there is none (files).
     */
    static long ruleTime(long ingestTimestamp, long recordTimeMillis) {
        return ingestTimestamp != RawMessage.NO_TIMESTAMP ? ingestTimestamp : recordTimeMillis;
    }

    /**
     * Parses a time as Elastic's Azure integration accepts it (see {@link #parseText}). A number is taken as epoch
     * milliseconds. Returns null for a missing value.
     */
    static Instant parse(JsonNode node, String field) throws RejectedRecordException {
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isIntegralNumber()) {
            return Instant.ofEpochMilli(node.asLong());
        }
        if (!node.isTextual()) {
            throw new RejectedRecordException(
                    DeadLetterReason.BAD_TIME, field + ": expected an ISO-8601 time but found " + node.getNodeType());
        }
        Instant time = parseText(node.textValue());
        if (time == null) {
            throw new RejectedRecordException(
                    DeadLetterReason.BAD_TIME,
                    field + ": not a time in a format Elastic's Azure integration reads: "
                            + abbreviate(node.textValue()));
        }
        return time;
    }

    // The US forms Azure writes in some categories ("1/9/2007 9:41:00 AM", optionally with an offset) and their
    // 24-hour variant; Elastic's pipeline reads them, and so without an offset as UTC.
    private static final List<DateTimeFormatter> US_FORMS =
            List.of(usForm("M/d/uuuu h:mm:ss a"), usForm("M/d/uuuu h:mm:ss a XXX"), usForm("M/d/uuuu H:mm:ss"));

    private static DateTimeFormatter usForm(String pattern) {
        return new DateTimeFormatterBuilder()
                .parseCaseInsensitive()
                .appendPattern(pattern)
                .toFormatter(Locale.US)
                .withResolverStyle(ResolverStyle.STRICT);
    }

    /**
     * A time text as Elastic's Azure integration reads it, or null: ISO-8601 with {@code Z} or an offset and up to nine
     * fractional digits (Azure writes seven); ISO-8601 without a zone, read as UTC; {@code M/d/yyyy h:mm:ss a}
     * with or without an offset, and {@code M/d/yyyy H:mm:ss}, without an offset read as UTC.
     */
    static Instant parseText(String text) {
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException notZoned) {
            // try the other forms
        }
        try {
            return LocalDateTime.parse(text).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException notLocal) {
            // try the other forms
        }
        if (text.indexOf('/') < 0) {
            return null;
        }
        for (int i = 0; i < US_FORMS.size(); i++) {
            try {
                return i == 1
                        ? OffsetDateTime.parse(text, US_FORMS.get(i)).toInstant()
                        : LocalDateTime.parse(text, US_FORMS.get(i)).toInstant(ZoneOffset.UTC);
            } catch (DateTimeParseException notThisForm) {
                // the next
            }
        }
        return null;
    }

    /**
     * Sets the record's {@code originalTime} and {@code ruleTime} from a time text, as {@link #parse} and
     * {@link Instant#toString()} would; false when the text is not a time {@link #parseText} reads. The UTC form Azure writes
     * ({@code 2026-11-02T08:14:03.1200000Z}) is read digit by digit: {@link Instant#parse} and its formatter cost
     * more than the rest of the record's fields together.
     */
    static boolean parseInto(String text, AuditRecord r, long ingestTimestamp) {
        long epochSecond = Long.MIN_VALUE;
        int nanos = 0;
        int n = text.length();
        if (n >= 20
                && n <= 30
                && n != 21
                && text.charAt(n - 1) == 'Z'
                && text.charAt(4) == '-'
                && text.charAt(7) == '-'
                && text.charAt(10) == 'T'
                && text.charAt(13) == ':'
                && text.charAt(16) == ':'
                && (n == 20 || text.charAt(19) == '.')) {
            int year = digits(text, 0, 4);
            int hour = digits(text, 11, 2);
            int minute = digits(text, 14, 2);
            int second = digits(text, 17, 2);
            int fraction = n == 20 ? 0 : digits(text, 20, n - 21);
            if (year >= 1000
                    && hour >= 0
                    && hour <= 23
                    && minute >= 0
                    && minute <= 59
                    && second >= 0
                    && second <= 59
                    && fraction >= 0) {
                try {
                    long day = LocalDate.of(year, digits(text, 5, 2), digits(text, 8, 2))
                            .toEpochDay();
                    epochSecond = day * 86_400 + hour * 3_600L + minute * 60L + second;
                    nanos = fraction * POWERS_OF_TEN[9 - (n - 21 < 0 ? 0 : n - 21)];
                } catch (DateTimeException notADate) {
                    epochSecond = Long.MIN_VALUE; // e.g. February 30th: left to Instant.parse to refuse
                }
            }
        }
        if (epochSecond != Long.MIN_VALUE) {
            r.originalTime = text.substring(0, 19) + fractionAsInstantPrintsIt(nanos) + "Z";
            r.ruleTime = ruleTime(ingestTimestamp, epochSecond * 1000 + nanos / 1_000_000);
            return true;
        }
        Instant time = parseText(text);
        if (time == null) {
            return false;
        }
        r.originalTime = time.toString();
        r.ruleTime = ruleTime(ingestTimestamp, time.toEpochMilli());
        return true;
    }

    private static final int[] POWERS_OF_TEN = {
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000
    };

    /** The value of {@code count} decimal digits at {@code from}, or -1 if any is not a digit. */
    private static int digits(String s, int from, int count) {
        int v = 0;
        for (int i = from; i < from + count; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    /** As {@link Instant#toString()} writes nanoseconds: none, or groups of three digits, as many as needed. */
    private static String fractionAsInstantPrintsIt(int nanos) {
        if (nanos == 0) {
            return "";
        }
        if (nanos % 1_000_000 == 0) {
            return "." + pad(nanos / 1_000_000, 3);
        }
        if (nanos % 1_000 == 0) {
            return "." + pad(nanos / 1_000, 6);
        }
        return "." + pad(nanos, 9);
    }

    private static String pad(int value, int width) {
        String s = Integer.toString(value);
        return "0".repeat(width - s.length()) + s;
    }

    static String abbreviate(String s) {
        return s.length() <= 64 ? '"' + s + '"' : '"' + s.substring(0, 64) + "...\"";
    }
}
