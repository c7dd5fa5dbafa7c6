package io.kvwatch.parse;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.RawMessage;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The digit-by-digit reading of UTC times agrees with {@link Instant#parse} and {@link Instant#toString()}. */
class TimestampsTest {

    @Test
    void readsEveryPrecisionAsInstantDoes() {
        Random random = new Random(5);
        for (int i = 0; i < 20_000; i++) {
            long second = -2_000_000_000L + (long) (random.nextDouble() * 300_000_000_000L); // years 1906 to 11476
            int digits = random.nextInt(10);
            int nanos = random.nextInt(5) == 0 ? 0 : random.nextInt(1_000_000_000);
            String base = Instant.ofEpochSecond(second).toString();
            String text = base.substring(0, base.length() - 1)
                    + (digits == 0 ? "" : "." + String.format("%09d", nanos).substring(0, digits)) + "Z";
            AuditRecord r = new AuditRecord();
            boolean read = Timestamps.parseInto(text, r, RawMessage.NO_TIMESTAMP);
            Instant expected = Instant.parse(text);
            assertThat(read).as(text).isTrue();
            assertThat(r.originalTime).as(text).isEqualTo(expected.toString());
            assertThat(r.ruleTime).as(text).isEqualTo(expected.toEpochMilli());
        }
    }

    @Test
    void acceptsAndRefusesWhatInstantDoesForZonedIsoTimes() {
        for (String text : new String[] {
            "2026-02-30T00:00:00Z",
            "2026-11-02T24:00:00Z",
            "2026-11-02T08:14:03.Z",
            "2026-11-02T08:14:03.1234567890Z",
            "yesterday",
            "2026-13-01T00:00:00Z",
            "2026-11-02T08:14:60Z",
            "0999-11-02T08:14:03Z",
            "2026-11-02t08:14:03z",
            "2026-11-02T09:14:03+01:00"
        }) {
            Instant expected;
            try {
                expected = Instant.parse(text);
            } catch (java.time.format.DateTimeParseException e) {
                expected = null;
            }
            AuditRecord r = new AuditRecord();
            assertThat(Timestamps.parseInto(text, r, RawMessage.NO_TIMESTAMP))
                    .as(text)
                    .isEqualTo(expected != null);
            if (expected != null) {
                assertThat(r.originalTime).as(text).isEqualTo(expected.toString());
                assertThat(r.ruleTime).as(text).isEqualTo(expected.toEpochMilli());
            }
        }
        AuditRecord zoneless = new AuditRecord();
        assertThat(Timestamps.parseInto("2026-11-02T08:14:03", zoneless, RawMessage.NO_TIMESTAMP))
                .as("a zoneless ISO time is read as UTC, as Elastic's Azure pipeline reads it")
                .isTrue();
        assertThat(zoneless.originalTime).isEqualTo("2026-11-02T08:14:03Z");
        AuditRecord r = new AuditRecord();
        assertThat(Timestamps.parseInto("2026-11-02T09:14:03+01:00", r, 7L)).isTrue();
        assertThat(r.ruleTime).as("the ingest timestamp wins").isEqualTo(7L);
    }
}
