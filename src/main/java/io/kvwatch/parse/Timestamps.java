package io.kvwatch.parse;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/** Time values as Azure and Elastic write them. */
final class Timestamps {

    private Timestamps() {}

    /**
     * Parses an ISO-8601 instant with a zone designator ({@code Z} or an offset) and up to nine fractional digits:
     * Azure writes seven. A number is taken as epoch milliseconds. Returns null for a missing value.
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
        try {
            return Instant.parse(node.textValue());
        } catch (DateTimeParseException e) {
            throw new RejectedRecordException(
                    DeadLetterReason.BAD_TIME, field + ": not an ISO-8601 time with a zone: " + abbreviate(node.textValue()));
        }
    }

    static String abbreviate(String s) {
        return s.length() <= 64 ? '"' + s + '"' : '"' + s.substring(0, 64) + "...\"";
    }
}
