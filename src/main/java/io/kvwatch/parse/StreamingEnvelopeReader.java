package io.kvwatch.parse;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.kvwatch.model.AuditRecord;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The parser's fast path: one pass of Jackson's streaming parser over a message, reading only the fields the rule
 * and the alert use and skipping the rest of each record unread (no tree, no strings for the padding). It decides
 * only what it is sure of: a well-formed message whose raw Azure records have every field it reads absent, null
 * or of the right type. Anything else is left to the tree path of {@link EnvelopeParser}, which defines the
 * semantics: the whole message when the message itself is unusual (not JSON, not an object, trailing text, an
 * element of {@code records} that is not an object, a single record), or just the one record (an ECS document, a
 * field of the wrong type, a missing or unusual time, a repeated field), re-read as a tree from its own text. So
 * both paths give the same records, ignored records and dead letters, in the same order.
 */
final class StreamingEnvelopeReader {

    /** What the fast path made of one element of {@code records}. */
    sealed interface Item permits Read, Ignored, Reparse {}

    /** A Key Vault audit record, read. */
    record Read(AuditRecord record) implements Item {}

    /** A record the rule does not look at (another category): counted as ignored. */
    enum Ignored implements Item {
        INSTANCE
    }

    /** A record to re-read with the tree path: its index in {@code records} and its text's span. */
    record Reparse(int index, int start, int end) implements Item {}

    // A repeated key fails the pass, and the tree path dead-letters the message (see EnvelopeParser). The pass checks
    // keys itself (Keys), not with Jackson's STRICT_DUPLICATE_DETECTION, which makes a HashSet for every object of
    // more than two keys: 10% of the job's time.
    private static final JsonFactory FACTORY = new JsonFactory();

    /** A key given twice: the tree path words the dead letter. Thrown often enough to skip the stack trace. */
    private static final IOException REPEATED_KEY = new IOException("a repeated key") {
        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    };

    // The fields read, as bits, to notice a field given twice (the tree path keeps the last; we do not guess).
    private static final int TIME = 1,
            CATEGORY = 1 << 1,
            RESOURCE_ID = 1 << 2,
            OPERATION = 1 << 3,
            RESULT_TYPE = 1 << 4,
            RESULT_SIGNATURE = 1 << 5,
            CALLER_IP = 1 << 6,
            CORRELATION_ID = 1 << 7,
            IDENTITY = 1 << 8,
            PROPERTIES = 1 << 9,
            CLAIM = 1 << 10,
            UPN = 1 << 11,
            LONG_UPN = 1 << 12,
            APP_ID = 1 << 13,
            OBJECT_ID = 1 << 14,
            REQUEST_URI = 1 << 15,
            CLIENT_INFO = 1 << 16,
            STATUS = 1 << 17,
            RESOURCE_ID_CAPITALISED = 1 << 18;

    private StreamingEnvelopeReader() {}

    /** What the message holds, in order; or null when the whole message needs the tree path. */
    static List<Item> read(String payload, long ingestTimestamp) {
        try (JsonParser p = FACTORY.createParser(payload)) {
            return read(p, false, ingestTimestamp);
        } catch (IOException e) {
            return null; // not JSON: the tree path words the dead letter
        }
    }

    /**
     * The same for well-formed UTF-8 that starts (after ASCII white space) with {@code {} and has no zero byte in its
     * first four, so that Jackson reads it as UTF-8 (it guesses the encoding from those bytes): the spans of {@link
     * Reparse} are then byte offsets.
     */
    static List<Item> read(byte[] utf8, long ingestTimestamp) {
        try (JsonParser p = FACTORY.createParser(utf8)) {
            return read(p, true, ingestTimestamp);
        } catch (IOException e) {
            return null;
        }
    }

    private static List<Item> read(JsonParser p, boolean bytes, long ingestTimestamp) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT
                || !"records".equals(p.nextFieldName())
                || p.nextToken() != JsonToken.START_ARRAY) {
            return null; // not an envelope: a single record, an ECS document, or something to reject
        }
        List<Item> out = new ArrayList<>();
        RecordFields fields = new RecordFields();
        Keys keys = fields.keys;
        keys.open();
        keys.add("records");
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            if (t != JsonToken.START_OBJECT) {
                return null;
            }
            int start = offset(p, bytes);
            Item result = fields.read(p, ingestTimestamp);
            out.add(result != null ? result : new Reparse(out.size(), start, offset(p, bytes) + 1));
        }
        // Other members of the envelope are not read (a second "records" fails the pass: duplicate keys are
        // refused).
        for (String name = keys.next(p); name != null; name = keys.next(p)) {
            keys.skip(p, p.nextToken());
        }
        return p.nextToken() == null ? out : null; // trailing text: not JSON
    }

    /** Where the current token starts: in bytes or in characters, as the parser reads. */
    private static int offset(JsonParser p, boolean bytes) {
        JsonLocation at = p.currentTokenLocation();
        return (int) (bytes ? at.getByteOffset() : at.getCharOffset());
    }

    /** The fields of one raw Azure record, reused from record to record. */
    private static final class RecordFields {
        final Keys keys = new Keys();
        int seen;
        boolean unsure;
        String time,
                category,
                resourceId,
                resourceIdCapitalised,
                operation,
                resultType,
                resultSignature,
                callerIp,
                correlationId;
        String upn, longUpn, appId, objectId, requestUri, clientInfo;
        int status;

        /** Reads the record at the current START_OBJECT to its END_OBJECT; null when the tree path must decide. */
        Item read(JsonParser p, long ingestTimestamp) throws IOException {
            seen = 0;
            unsure = false;
            time = category = resourceId =
                    resourceIdCapitalised = operation = resultType = resultSignature = callerIp = correlationId = null;
            upn = longUpn = appId = objectId = requestUri = clientInfo = null;
            status = 0;
            keys.open();
            for (String name = keys.next(p); name != null; name = keys.next(p)) {
                JsonToken t = p.nextToken();
                switch (name) {
                    case "time" -> time = text(p, t, TIME);
                    case "category" -> category = text(p, t, CATEGORY);
                    case "resourceId" -> resourceId = text(p, t, RESOURCE_ID);
                    // The other spelling: the tree path decides which wins when a record has both.
                    case "ResourceId" -> resourceIdCapitalised = text(p, t, RESOURCE_ID_CAPITALISED);
                    case "operationName" -> operation = text(p, t, OPERATION);
                    case "resultType" -> resultType = text(p, t, RESULT_TYPE);
                    case "resultSignature" -> resultSignature = text(p, t, RESULT_SIGNATURE);
                    case "callerIpAddress" -> callerIp = text(p, t, CALLER_IP);
                    case "correlationId" -> correlationId = text(p, t, CORRELATION_ID);
                    case "identity" -> object(p, t, IDENTITY, this::identity);
                    case "properties" -> object(p, t, PROPERTIES, this::properties);
                    default -> {
                        // An ECS document: its reader looks fields up under several spellings.
                        if (EcsDocumentReader.MARKER_KEYS.contains(name)) {
                            unsure = true;
                        }
                        keys.skip(p, t);
                    }
                }
            }
            keys.close();
            if (unsure || (seen & (RESOURCE_ID | RESOURCE_ID_CAPITALISED)) == (RESOURCE_ID | RESOURCE_ID_CAPITALISED)) {
                return null;
            }
            if (!AzureRecordReader.isKeyVaultAudit(category)) {
                return Ignored.INSTANCE;
            }
            if (time == null) {
                return null; // a dead letter; worded by the tree path
            }
            AuditRecord r = new AuditRecord();
            if (!Timestamps.parseInto(time, r, ingestTimestamp)) {
                return null;
            }
            r.operation = operation;
            r.resultSignature = resultSignature;
            r.correlationId = correlationId;
            r.appId = appId;
            r.objectId = objectId;
            r.requestUri = requestUri;
            r.clientInfo = clientInfo;
            r.httpStatusCode = status;
            AzureRecordReader.complete(
                    r, resultType, resourceId != null ? resourceId : resourceIdCapitalised, upn, longUpn, callerIp);
            return new Read(r);
        }

        private void identity(JsonParser p) throws IOException {
            for (String name = keys.next(p); name != null; name = keys.next(p)) {
                JsonToken t = p.nextToken();
                if (name.equals("claim")) {
                    object(p, t, CLAIM, this::claim);
                } else {
                    keys.skip(p, t);
                }
            }
        }

        private void claim(JsonParser p) throws IOException {
            for (String name = keys.next(p); name != null; name = keys.next(p)) {
                JsonToken t = p.nextToken();
                switch (name) {
                    case "upn" -> upn = text(p, t, UPN);
                    case AzureRecordReader.UPN_CLAIM_URI -> longUpn = text(p, t, LONG_UPN);
                    case "appid" -> appId = text(p, t, APP_ID);
                    default -> keys.skip(p, t);
                }
            }
        }

        private void properties(JsonParser p) throws IOException {
            for (String name = keys.next(p); name != null; name = keys.next(p)) {
                JsonToken t = p.nextToken();
                switch (name) {
                    case "id" -> objectId = text(p, t, OBJECT_ID);
                    case "requestUri" -> requestUri = text(p, t, REQUEST_URI);
                    case "clientInfo" -> clientInfo = text(p, t, CLIENT_INFO);
                    case "httpStatusCode" -> {
                        once(STATUS);
                        if (t == JsonToken.VALUE_NUMBER_INT && p.getNumberType() == JsonParser.NumberType.INT) {
                            status = p.getIntValue();
                        } else if (t != JsonToken.VALUE_NULL) {
                            unsure = true; // digits in a string, or not a status: the tree path decides
                            keys.skip(p, t);
                        }
                    }
                    default -> keys.skip(p, t);
                }
            }
        }

        private interface Members {
            void read(JsonParser p) throws IOException;
        }

        private void object(JsonParser p, JsonToken t, int bit, Members members) throws IOException {
            once(bit);
            if (t == JsonToken.START_OBJECT) {
                keys.open();
                members.read(p);
                keys.close();
            } else if (t != JsonToken.VALUE_NULL) {
                unsure = true;
                keys.skip(p, t);
            }
        }

        private String text(JsonParser p, JsonToken t, int bit) throws IOException {
            once(bit);
            if (t == JsonToken.VALUE_STRING) {
                return p.getText();
            }
            if (t != JsonToken.VALUE_NULL) {
                unsure = true;
                keys.skip(p, t);
            }
            return null;
        }

        private void once(int bit) {
            if ((seen & bit) != 0) {
                unsure = true;
            }
            seen |= bit;
        }
    }

    /**
     * The keys of the objects open at each depth, to notice a key given twice in one object. An open-addressing table
     * per depth, reused from object to object: no allocation per object, and the names Jackson hands out are
     * canonical, so a repeat is found by identity first.
     */
    private static final class Keys {
        private String[][] tables = new String[8][];
        private int[] counts = new int[8];
        private int depth = -1;

        void open() {
            depth++;
            if (depth == tables.length) {
                tables = Arrays.copyOf(tables, depth * 2);
                counts = Arrays.copyOf(counts, depth * 2);
            }
            if (tables[depth] == null) {
                tables[depth] = new String[32];
            } else if (counts[depth] > 0) {
                Arrays.fill(tables[depth], null);
            }
            counts[depth] = 0;
        }

        void close() {
            depth--;
        }

        /** The next key of the innermost open object, or null at its end; a repeated key fails the pass. */
        String next(JsonParser p) throws IOException {
            String name = p.nextFieldName();
            if (name != null) {
                add(name);
            }
            return name;
        }

        void add(String name) throws IOException {
            String[] table = tables[depth];
            int mask = table.length - 1;
            int h = name.hashCode();
            int i = (h ^ (h >>> 16)) & mask;
            for (String s; (s = table[i]) != null; i = (i + 1) & mask) {
                if (s == name || s.equals(name)) {
                    throw REPEATED_KEY;
                }
            }
            table[i] = name;
            if (++counts[depth] * 2 > table.length) {
                grow();
            }
        }

        private void grow() {
            String[] old = tables[depth];
            String[] table = new String[old.length * 2];
            int mask = table.length - 1;
            for (String s : old) {
                if (s != null) {
                    int h = s.hashCode();
                    int i = (h ^ (h >>> 16)) & mask;
                    while (table[i] != null) {
                        i = (i + 1) & mask;
                    }
                    table[i] = s;
                }
            }
            tables[depth] = table;
        }

        /** Skips the value at {@code t} (what {@link JsonParser#skipChildren()} does), checking every object in it. */
        void skip(JsonParser p, JsonToken t) throws IOException {
            if (t == JsonToken.START_OBJECT) {
                open();
                for (String name = next(p); name != null; name = next(p)) {
                    skip(p, p.nextToken());
                }
                close();
            } else if (t == JsonToken.START_ARRAY) {
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    if (e == null) {
                        throw new IOException("end of input in an array"); // Jackson reports it first
                    }
                    skip(p, e);
                }
            }
        }
    }
}
