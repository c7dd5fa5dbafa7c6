package io.kvwatch.io;

import io.kvwatch.model.RawMessage;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * A Kafka record, from Event Hubs' Kafka endpoint or any Kafka broker, as a {@link RawMessage}: the value as text, the
 * record timestamp (for Event Hubs, the enqueued time) as the ingest timestamp, and {@code topic-partition@offset} as the origin. The key is not read (Azure Monitor sends
 * none).
 *
 * <p>Nothing here fails the job or drops a message silently: a record without a value, an invalid UTF-8 value and
 * an oversized value all reach {@code parse.EnvelopeParser}, which decides (skip, dead letter) in one place. The
 * value's byte size travels along, so that an oversized message is refused there without being parsed. Decoding it
 * costs one pass over bytes that the Kafka client already holds in memory; the broker's message size limit bounds it.
 */
public final class KafkaMessageDeserializer implements KafkaRecordDeserializationSchema<RawMessage> {

    private static final long serialVersionUID = 1L;

    private transient CharsetDecoder strictUtf8;

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<RawMessage> out) {
        // Kafka reports -1 for a record without timestamp (only pre-0.10 message formats): then the record's own time
        // is the rule's clock, as for a file.
        long timestamp = record.timestamp() >= 0 ? record.timestamp() : RawMessage.NO_TIMESTAMP;
        RawMessage message =
                new RawMessage(null, timestamp, record.topic() + "-" + record.partition() + "@" + record.offset());
        byte[] value = record.value();
        if (value != null) {
            message.sizeBytes = value.length;
            decode(value, message);
        }
        out.collect(message);
    }

    private void decode(byte[] value, RawMessage message) {
        if (strictUtf8 == null) {
            strictUtf8 = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
        }
        try {
            CharBuffer text = strictUtf8.reset().decode(ByteBuffer.wrap(value));
            message.payload = text.toString();
        } catch (CharacterCodingException e) {
            message.payload = new String(value, StandardCharsets.UTF_8); // U+FFFD for each invalid sequence
            message.notUtf8 = true;
        }
    }

    @Override
    public TypeInformation<RawMessage> getProducedType() {
        return TypeInformation.of(RawMessage.class);
    }
}
