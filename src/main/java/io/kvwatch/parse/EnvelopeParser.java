package io.kvwatch.parse;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.DeadLetter;
import io.kvwatch.model.RawMessage;
import java.io.IOException;
import java.io.Serializable;
import java.util.List;

/**
 * Turns one Event Hubs message into Key Vault audit records. A message is a {@code {"records":[...]}} envelope (what
 * Azure Monitor sends), a single record, or an ECS document. Records of other log categories are ignored; anything
 * malformed becomes a dead letter, and a bad record never costs the good records beside it.
 */
public final class EnvelopeParser implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Receives what one message yields. */
    public interface Output {
        void record(AuditRecord record);

        void deadLetter(DeadLetter deadLetter);

        /** A well-formed record that is not a Key Vault audit record (another category in the same hub). */
        void ignored();
    }

    // A key given twice anywhere in a message refuses it (as Elasticsearch refuses such a document): with the last
    // value winning, a second "records" array would silently replace the first, and a repeated field could hide the
    // value another reader of the same document sees.
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    /** Only to tell a repeated key from other malformed JSON. */
    private static final ObjectMapper LENIENT =
            new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final int maxMessageLength;
    private final int maxDeadLetterLength;
    private final boolean streaming;

    /**
     * @param maxMessageLength longer messages are dead-lettered unparsed: bytes where the transport tells the size,
     *     else characters
     * @param maxDeadLetterLength the original text in a dead letter is cut to this many characters
     */
    public EnvelopeParser(int maxMessageLength, int maxDeadLetterLength) {
        this(maxMessageLength, maxDeadLetterLength, true);
    }

    /** @param streaming false to read every message as a tree: the reference the fast path is tested against */
    EnvelopeParser(int maxMessageLength, int maxDeadLetterLength, boolean streaming) {
        this.maxMessageLength = maxMessageLength;
        this.maxDeadLetterLength = maxDeadLetterLength;
        this.streaming = streaming;
    }

    public void parse(RawMessage message, Output out) {
        if (streaming && message.payload == null && message.bytes != null && readBytes(message, out)) {
            return;
        }
        String payload = message.text();
        if (payload == null || payload.isBlank()) {
            return; // an empty line between NDJSON messages, or a Kafka record without a value, is not a message
        }
        if (message.sizeBytes > maxMessageLength) {
            out.deadLetter(deadLetter(
                    message,
                    -1,
                    payload,
                    DeadLetterReason.MESSAGE_TOO_LARGE,
                    "message of " + message.sizeBytes + " bytes exceeds the limit of " + maxMessageLength));
            return;
        }
        if (payload.length() > maxMessageLength) {
            out.deadLetter(deadLetter(
                    message,
                    -1,
                    payload,
                    DeadLetterReason.MESSAGE_TOO_LARGE,
                    "message of " + payload.length() + " characters exceeds the limit of " + maxMessageLength));
            return;
        }
        if (message.notUtf8) {
            // Decoded with replacement characters it might still parse, but into different names: a term that never
            // occurred. Refuse it whole rather than count it.
            out.deadLetter(deadLetter(
                    message,
                    -1,
                    payload,
                    DeadLetterReason.NOT_UTF8,
                    "the message is not valid UTF-8; the original shows U+FFFD for the invalid bytes"));
            return;
        }
        if (streaming && readStreaming(message, out)) {
            return;
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(payload);
        } catch (JsonProcessingException e) {
            out.deadLetter(notJsonOrDuplicateKey(message, e));
            return;
        }
        if (root == null || !root.isObject()) {
            out.deadLetter(deadLetter(
                    message,
                    -1,
                    payload,
                    DeadLetterReason.NOT_AN_OBJECT,
                    "expected a JSON object but found "
                            + (root == null
                                    ? "nothing"
                                    : root.getNodeType().name().toLowerCase())));
            return;
        }
        JsonNode records = root.get("records");
        if (records == null) {
            readOne(root, -1, message, out);
            return;
        }
        if (!records.isArray()) {
            out.deadLetter(deadLetter(
                    message,
                    -1,
                    payload,
                    DeadLetterReason.RECORDS_NOT_AN_ARRAY,
                    "records: expected an array but found "
                            + records.getNodeType().name().toLowerCase()));
            return;
        }
        for (int i = 0; i < records.size(); i++) {
            readOne(records.get(i), i, message, out);
        }
    }

    /**
     * The fast path on a message's UTF-8 bytes, without a {@code String} of the whole message; false when the message
     * needs the text path, which decides everything unusual exactly as for text: too large, not UTF-8, not an
     * envelope, not JSON, a repeated key.
     */
    private boolean readBytes(RawMessage message, Output out) {
        byte[] b = message.bytes;
        if (message.notUtf8 || message.sizeBytes > maxMessageLength || b.length > maxMessageLength) {
            return false;
        }
        int first = 0;
        while (first < b.length && isAsciiWhitespace(b[first])) {
            first++;
        }
        if (first == b.length) {
            return true; // blank, as String.isBlank() would say: not a message
        }
        // Jackson guesses the encoding from the first four bytes (and skips a byte order mark): only JSON text that
        // cannot be mistaken for UTF-16 or UTF-32 is read here; everything else takes the text path.
        if (b[first] != '{') {
            return false;
        }
        for (int i = 0; i < Math.min(4, b.length); i++) {
            if (b[i] == 0) {
                return false;
            }
        }
        List<StreamingEnvelopeReader.Item> items = StreamingEnvelopeReader.read(b, message.ingestTimestamp);
        if (items == null) {
            return false;
        }
        emit(items, message, out, again -> MAPPER.readTree(b, again.start(), again.end() - again.start()));
        return true;
    }

    /** What {@link Character#isWhitespace} says of an ASCII byte (and so {@link String#isBlank()}). */
    private static boolean isAsciiWhitespace(byte c) {
        return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
    }

    /** The fast path (see {@link StreamingEnvelopeReader}); false when the message needs the tree path. */
    private boolean readStreaming(RawMessage message, Output out) {
        List<StreamingEnvelopeReader.Item> items =
                StreamingEnvelopeReader.read(message.payload, message.ingestTimestamp);
        if (items == null) {
            return false;
        }
        String payload = message.payload;
        emit(items, message, out, again -> MAPPER.readTree(payload.substring(again.start(), again.end())));
        return true;
    }

    private interface Reread {
        JsonNode tree(StreamingEnvelopeReader.Reparse again) throws IOException;
    }

    private void emit(List<StreamingEnvelopeReader.Item> items, RawMessage message, Output out, Reread reread) {
        for (int i = 0; i < items.size(); i++) {
            StreamingEnvelopeReader.Item item = items.get(i);
            if (item instanceof StreamingEnvelopeReader.Read read) {
                AuditRecord record = read.record();
                record.origin = message.origin + "#" + i;
                out.record(record);
            } else if (item instanceof StreamingEnvelopeReader.Reparse again) {
                JsonNode node;
                try {
                    node = reread.tree(again);
                } catch (IOException e) {
                    throw new IllegalStateException("a record of a well-formed message did not parse again", e);
                }
                readOne(node, again.index(), message, out);
            } else { // StreamingEnvelopeReader.Ignored
                out.ignored();
            }
        }
    }

    private void readOne(JsonNode node, int index, RawMessage message, Output out) {
        try {
            if (!node.isObject()) {
                throw JsonFields.wrongType(index < 0 ? "message" : "records[" + index + "]", "an object", node);
            }
            AuditRecord record;
            if (EcsDocumentReader.looksLikeEcs(node)) {
                if (!EcsDocumentReader.isPlatformLog(node)) {
                    out.ignored();
                    return;
                }
                record = EcsDocumentReader.read(node, message.ingestTimestamp);
            } else {
                if (!AzureRecordReader.isKeyVaultAudit(node)) {
                    out.ignored();
                    return;
                }
                record = AzureRecordReader.read(node, message.ingestTimestamp);
            }
            record.origin = index < 0 ? message.origin : message.origin + "#" + index;
            out.record(record);
        } catch (RejectedRecordException e) {
            DeadLetterReason reason = e.reason() == DeadLetterReason.WRONG_FIELD_TYPE && !node.isObject()
                    ? DeadLetterReason.RECORD_NOT_AN_OBJECT
                    : e.reason();
            String text = index < 0 ? message.text() : node.toString();
            out.deadLetter(deadLetter(message, index, text, reason, e.getMessage()));
        }
    }

    private DeadLetter notJsonOrDuplicateKey(RawMessage message, JsonProcessingException strict) {
        try {
            LENIENT.readTree(message.text());
        } catch (JsonProcessingException malformed) {
            return deadLetter(message, -1, message.text(), DeadLetterReason.NOT_JSON, malformed.getOriginalMessage());
        }
        return deadLetter(message, -1, message.text(), DeadLetterReason.DUPLICATE_KEY, strict.getOriginalMessage());
    }

    private DeadLetter deadLetter(RawMessage message, int index, String text, DeadLetterReason reason, String detail) {
        DeadLetter d = new DeadLetter();
        d.reason = reason.code();
        d.detail = detail;
        d.origin = message.origin;
        d.recordIndex = index;
        d.ingestTimestamp = message.ingestTimestamp;
        d.originalLength = text.length();
        d.truncated = text.length() > maxDeadLetterLength;
        d.original = d.truncated ? text.substring(0, maxDeadLetterLength) : text;
        return d;
    }
}
