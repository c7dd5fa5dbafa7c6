package io.kvwatch.io;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvwatch.model.RawMessage;
import io.kvwatch.parse.EnvelopeParser;
import io.kvwatch.parse.ParseResult;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/** Kafka records to messages: nothing fails the job, and the parser alone decides what becomes a dead letter. */
class KafkaMessageDeserializerTest {

    private static final String RECORD = "{\"time\":\"2026-11-02T08:14:03.1234567Z\",\"category\":\"AuditEvent\","
            + "\"resourceId\":\"/SUBSCRIPTIONS/S/RESOURCEGROUPS/G/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV-ONE\","
            + "\"operationName\":\"SecretGet\",\"resultType\":\"Success\",\"identity\":{\"claim\":{\"upn\":\"%s\"}},"
            + "\"properties\":{\"id\":\"https://kv-one.vault.azure.net/secrets/a\",\"httpStatusCode\":200}}";
    private static final long ENQUEUED = 1_793_000_000_000L;

    private final KafkaMessageDeserializer deserializer = new KafkaMessageDeserializer();
    private final EnvelopeParser parser = new EnvelopeParser(1024, 400);

    @Test
    void valueTimestampAndOriginOfAnEnvelope() {
        String envelope = "{\"records\":[" + RECORD.formatted("alice@contoso.com") + "]}";
        RawMessage m = deserialize(envelope.getBytes(StandardCharsets.UTF_8));

        assertThat(m.bytes)
                .as("the value as it came, not decoded")
                .isEqualTo(envelope.getBytes(StandardCharsets.UTF_8));
        assertThat(m.notUtf8).isFalse();
        assertThat(m.text()).isEqualTo(envelope);
        assertThat(m.ingestTimestamp).as("the Kafka record timestamp").isEqualTo(ENQUEUED);
        assertThat(m.origin).isEqualTo("insights-logs-auditevent-2@417");
        assertThat(m.sizeBytes).isEqualTo(envelope.length());
        ParseResult p = parse(m);
        assertThat(p.records).singleElement().satisfies(r -> {
            assertThat(r.ruleTime).isEqualTo(ENQUEUED);
            assertThat(r.origin).isEqualTo("insights-logs-auditevent-2@417#0");
        });
    }

    @Test
    void recordWithoutValueIsSkippedNotFailed() {
        RawMessage m = deserialize(null);
        assertThat(m.payload).isNull();
        assertThat(m.bytes).isNull();
        ParseResult p = parse(m);
        assertThat(p.records).isEmpty();
        assertThat(p.deadLetters).as("a tombstone carries nothing to keep").isEmpty();
    }

    @Test
    void invalidUtf8IsADeadLetterEvenWhenTheRestParses() {
        byte[] upn = "b\u00f6b@contoso.com".getBytes(StandardCharsets.ISO_8859_1); // a Latin-1 ö: not UTF-8
        String before = RECORD.formatted("");
        int at = before.indexOf("\"upn\":\"") + 7;
        byte[] head = before.substring(0, at).getBytes(StandardCharsets.UTF_8);
        byte[] tail = before.substring(at).getBytes(StandardCharsets.UTF_8);
        byte[] value = new byte[head.length + upn.length + tail.length];
        System.arraycopy(head, 0, value, 0, head.length);
        System.arraycopy(upn, 0, value, head.length, upn.length);
        System.arraycopy(tail, 0, value, head.length + upn.length, tail.length);

        RawMessage m = deserialize(value);
        assertThat(m.notUtf8).isTrue();
        ParseResult p = parse(m);
        assertThat(p.records)
                .as("a record with a mangled UPN would be a term that never occurred")
                .isEmpty();
        assertThat(p.deadLetters).singleElement().satisfies(d -> {
            assertThat(d.reason).isEqualTo("not_utf8");
            assertThat(d.origin).isEqualTo("insights-logs-auditevent-2@417");
            assertThat(d.original).contains("b\ufffdb@contoso.com");
        });
    }

    @Test
    void oversizedIsJudgedByBytesAndNotParsed() {
        // 600 three-byte characters: 600 characters fit the limit of 1024, 1800 bytes do not.
        String payload = "{\"records\":[\"" + "\u20ac".repeat(600) + "\"]}";
        RawMessage m = deserialize(payload.getBytes(StandardCharsets.UTF_8));
        ParseResult p = parse(m);
        assertThat(p.deadLetters).singleElement().satisfies(d -> {
            assertThat(d.reason).isEqualTo("message_too_large");
            assertThat(d.detail).contains(m.sizeBytes + " bytes").contains("1024");
            assertThat(d.truncated).isTrue();
            assertThat(d.original).hasSize(400);
        });
    }

    @Test
    void garbageIsADeadLetter() {
        ParseResult p = parse(deserialize(new byte[] {'{', '"', 'r', 'e'}));
        assertThat(p.deadLetters).singleElement().extracting(d -> d.reason).isEqualTo("not_json");
    }

    private RawMessage deserialize(byte[] value) {
        ConsumerRecord<byte[], byte[]> record = new ConsumerRecord<>(
                "insights-logs-auditevent",
                2,
                417L,
                ENQUEUED,
                TimestampType.CREATE_TIME,
                -1,
                value == null ? -1 : value.length,
                null,
                value,
                new RecordHeaders(),
                Optional.empty());
        List<RawMessage> out = new ArrayList<>();
        deserializer.deserialize(record, new Collector<>() {
            @Override
            public void collect(RawMessage m) {
                out.add(m);
            }

            @Override
            public void close() {}
        });
        assertThat(out).as("one message per Kafka record, whatever it holds").hasSize(1);
        return out.get(0);
    }

    private ParseResult parse(RawMessage m) {
        return ParseResult.of(parser, m);
    }
}
