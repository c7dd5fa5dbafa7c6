package io.kvwatch.io;

import io.kvwatch.model.RawMessage;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * A Kafka record, from Event Hubs' Kafka endpoint or any Kafka broker, as a {@link RawMessage}: the value's bytes, the
 * record timestamp (for Event Hubs, the enqueued time) as the ingest timestamp, and {@code topic-partition@offset} as the origin. The key is not read (Azure Monitor sends
 * none).
 *
 * <p>Nothing here fails the job or drops a message silently: a record without a value, an invalid UTF-8 value and
 * an oversized value all reach {@code parse.EnvelopeParser}, which decides (skip, dead letter) in one place. The
 * value's byte size travels along, so that an oversized message is refused there without being parsed. The value is
 * not decoded to text: it is only checked to be UTF-8 (one pass, sixteen bytes at a time while they are ASCII), and the
 * parser reads the bytes themselves.
 */
public final class KafkaMessageDeserializer implements KafkaRecordDeserializationSchema<RawMessage> {

    private static final long serialVersionUID = 1L;

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<RawMessage> out) {
        // Kafka reports -1 for a record without timestamp (only pre-0.10 message formats): then the record's own time
        // is the rule's clock, as for a file.
        long timestamp = record.timestamp() >= 0 ? record.timestamp() : RawMessage.NO_TIMESTAMP;
        String origin = record.topic() + "-" + record.partition() + "@" + record.offset();
        byte[] value = record.value();
        out.collect(
                value != null ? RawMessage.ofBytes(value, timestamp, origin) : new RawMessage(null, timestamp, origin));
    }

    @Override
    public TypeInformation<RawMessage> getProducedType() {
        return TypeInformation.of(RawMessage.class);
    }
}
