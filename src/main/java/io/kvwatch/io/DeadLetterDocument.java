package io.kvwatch.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kvwatch.model.DeadLetter;
import io.kvwatch.model.RawMessage;
import java.time.Instant;

/** A dead letter as one JSON document: reason, detail, where it came from, and the (truncated) original text. */
public final class DeadLetterDocument {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private DeadLetterDocument() {}

    public static String toJson(DeadLetter d, Instant now) {
        ObjectNode doc = MAPPER.createObjectNode();
        doc.put("@timestamp", now.toString());
        doc.put("reason", d.reason);
        doc.put("detail", d.detail);
        doc.put("origin", d.origin);
        if (d.recordIndex >= 0) {
            doc.put("record_index", d.recordIndex);
        } else {
            doc.putNull("record_index");
        }
        if (d.ingestTimestamp != RawMessage.NO_TIMESTAMP) {
            doc.put("ingest_time", Instant.ofEpochMilli(d.ingestTimestamp).toString());
        }
        doc.put("original", d.original);
        doc.put("original_length", d.originalLength);
        doc.put("truncated", d.truncated);
        return doc.toString();
    }
}
