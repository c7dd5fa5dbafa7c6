package io.kvwatch.model;

import io.kvwatch.parse.CallerAddress;
import java.io.IOException;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInfoFactory;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * The audit record on the wire (parse → detector) and in the detector's pending alerts. Written field by field
 * without reflection, and its strings as bytes: Flink's string serializer writes a string char by char through
 * the output view, which was a fifth of the job's time for these records of seventeen strings. Any change of the
 * fields needs a new snapshot version.
 */
public final class AuditRecordSerializer extends TypeSerializerSingleton<AuditRecord> {

    private static final long serialVersionUID = 1L;

    public static final AuditRecordSerializer INSTANCE = new AuditRecordSerializer();

    private static final byte NULL = 0;
    /** Every char below 256: one byte each (what UPNs, URLs and ids almost always are). */
    private static final byte LATIN1 = 1;

    private static final byte UTF16 = 2;

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public AuditRecord createInstance() {
        return new AuditRecord();
    }

    @Override
    public AuditRecord copy(AuditRecord from) {
        AuditRecord r = new AuditRecord();
        r.ruleTime = from.ruleTime;
        r.originalTime = from.originalTime;
        r.operation = from.operation;
        r.outcomeSuccess = from.outcomeSuccess;
        r.httpStatusCode = from.httpStatusCode;
        r.resultSignature = from.resultSignature;
        r.upn = from.upn;
        r.appId = from.appId;
        r.objectId = from.objectId;
        r.vaultName = from.vaultName;
        r.resourceId = from.resourceId;
        r.sourceIp = from.sourceIp;
        r.sourcePort = from.sourcePort;
        r.sourceAddress = from.sourceAddress;
        r.requestUri = from.requestUri;
        r.clientInfo = from.clientInfo;
        r.correlationId = from.correlationId;
        r.origin = from.origin;
        r.shape = from.shape;
        r.termHi = from.termHi;
        r.termLo = from.termLo;
        return r;
    }

    @Override
    public AuditRecord copy(AuditRecord from, AuditRecord reuse) {
        return copy(from);
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(AuditRecord r, DataOutputView out) throws IOException {
        write(r, out, true);
    }

    @Override
    public AuditRecord deserialize(DataInputView in) throws IOException {
        return read(in, true);
    }

    /** The record's layout; without the source fields it is the layout of release 0.1.0 (snapshot version 3). */
    private static void write(AuditRecord r, DataOutputView out, boolean sourceFields) throws IOException {
        out.writeLong(r.ruleTime);
        out.writeLong(r.termHi);
        out.writeLong(r.termLo);
        out.writeInt(r.httpStatusCode);
        if (sourceFields) {
            out.writeInt(r.sourcePort);
        }
        out.writeBoolean(r.outcomeSuccess);
        writeString(r.originalTime, out);
        writeString(r.operation, out);
        writeString(r.resultSignature, out);
        writeString(r.upn, out);
        writeString(r.appId, out);
        writeString(r.objectId, out);
        writeString(r.vaultName, out);
        writeString(r.resourceId, out);
        writeString(r.sourceIp, out);
        if (sourceFields) {
            writeString(r.sourceAddress, out);
        }
        writeString(r.requestUri, out);
        writeString(r.clientInfo, out);
        writeString(r.correlationId, out);
        writeString(r.origin, out);
        writeString(r.shape, out);
    }

    private static AuditRecord read(DataInputView in, boolean sourceFields) throws IOException {
        AuditRecord r = new AuditRecord();
        r.ruleTime = in.readLong();
        r.termHi = in.readLong();
        r.termLo = in.readLong();
        r.httpStatusCode = in.readInt();
        if (sourceFields) {
            r.sourcePort = in.readInt();
        }
        r.outcomeSuccess = in.readBoolean();
        r.originalTime = readString(in);
        r.operation = readString(in);
        r.resultSignature = readString(in);
        r.upn = readString(in);
        r.appId = readString(in);
        r.objectId = readString(in);
        r.vaultName = readString(in);
        r.resourceId = readString(in);
        r.sourceIp = readString(in);
        if (sourceFields) {
            r.sourceAddress = readString(in);
        } else {
            // Release 0.1.0 kept callerIpAddress as it came: split it as the parser now does.
            CallerAddress.fromRaw(r.sourceIp, r);
        }
        r.requestUri = readString(in);
        r.clientInfo = readString(in);
        r.correlationId = readString(in);
        r.origin = readString(in);
        r.shape = readString(in);
        return r;
    }

    @Override
    public AuditRecord deserialize(AuditRecord reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
        serialize(deserialize(in), out);
    }

    static void writeString(String s, DataOutputView out) throws IOException {
        if (s == null) {
            out.writeByte(NULL);
            return;
        }
        int n = s.length();
        boolean latin1 = true;
        for (int i = 0; i < n && latin1; i++) {
            latin1 = s.charAt(i) < 256;
        }
        out.writeByte(latin1 ? LATIN1 : UTF16);
        out.writeInt(n);
        if (latin1) {
            out.write(s.getBytes(StandardCharsets.ISO_8859_1));
        } else {
            for (int i = 0; i < n; i++) {
                out.writeChar(s.charAt(i)); // every UTF-16 unit as it is, unpaired surrogates included
            }
        }
    }

    static String readString(DataInputView in) throws IOException {
        byte kind = in.readByte();
        if (kind == NULL) {
            return null;
        }
        int n = in.readInt();
        if (kind == LATIN1) {
            byte[] bytes = new byte[n];
            in.readFully(bytes);
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }
        char[] chars = new char[n];
        for (int i = 0; i < n; i++) {
            chars[i] = in.readChar();
        }
        return new String(chars);
    }

    @Override
    public TypeSerializerSnapshot<AuditRecord> snapshotConfiguration() {
        return new Snapshot();
    }

    /**
     * Restores the serializer from checkpoints and savepoints (the detector keeps records of pending alerts).
     *
     * <p>Versions: 3 (what {@link SimpleTypeSerializerSnapshot} wrote for release 0.1.0) is the record layout without
     * {@code sourcePort} and {@code sourceAddress}; {@value #FORMAT_WITH_SOURCE_FIELDS} adds them. State of the old
     * layout is read with {@link Release010Layout} and migrated: Flink reads it with that serializer and writes it
     * with this one.
     */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<AuditRecord> {
        static final int RELEASE_010_LAYOUT = 3;
        static final int FORMAT_WITH_SOURCE_FIELDS = 4;

        private int format;

        public Snapshot() {
            this(FORMAT_WITH_SOURCE_FIELDS);
        }

        private Snapshot(int format) {
            super(() -> INSTANCE);
            this.format = format;
        }

        @Override
        public int getCurrentVersion() {
            return format;
        }

        @Override
        public void readSnapshot(int version, DataInputView in, ClassLoader classLoader) throws IOException {
            format = version;
            if (version < FORMAT_WITH_SOURCE_FIELDS) {
                super.readSnapshot(version, in, classLoader);
            }
        }

        @Override
        public TypeSerializer<AuditRecord> restoreSerializer() {
            return format < FORMAT_WITH_SOURCE_FIELDS ? Release010Layout.INSTANCE : INSTANCE;
        }

        @Override
        public TypeSerializerSchemaCompatibility<AuditRecord> resolveSchemaCompatibility(
                TypeSerializerSnapshot<AuditRecord> oldSnapshot) {
            if (oldSnapshot instanceof Snapshot old && old.format < FORMAT_WITH_SOURCE_FIELDS) {
                return TypeSerializerSchemaCompatibility.compatibleAfterMigration();
            }
            return super.resolveSchemaCompatibility(oldSnapshot);
        }
    }

    /** Reads (and writes) the record layout of release 0.1.0, for state taken by that release. */
    public static final class Release010Layout extends TypeSerializerSingleton<AuditRecord> {
        private static final long serialVersionUID = 1L;

        public static final Release010Layout INSTANCE = new Release010Layout();

        @Override
        public boolean isImmutableType() {
            return false;
        }

        @Override
        public AuditRecord createInstance() {
            return new AuditRecord();
        }

        @Override
        public AuditRecord copy(AuditRecord from) {
            return AuditRecordSerializer.INSTANCE.copy(from);
        }

        @Override
        public AuditRecord copy(AuditRecord from, AuditRecord reuse) {
            return copy(from);
        }

        @Override
        public int getLength() {
            return -1;
        }

        @Override
        public void serialize(AuditRecord r, DataOutputView out) throws IOException {
            write(r, out, false);
        }

        @Override
        public AuditRecord deserialize(DataInputView in) throws IOException {
            return read(in, false);
        }

        @Override
        public AuditRecord deserialize(AuditRecord reuse, DataInputView in) throws IOException {
            return deserialize(in);
        }

        @Override
        public void copy(DataInputView in, DataOutputView out) throws IOException {
            serialize(deserialize(in), out);
        }

        @Override
        public TypeSerializerSnapshot<AuditRecord> snapshotConfiguration() {
            return new Snapshot(Snapshot.RELEASE_010_LAYOUT);
        }
    }

    /** Named by {@code @TypeInfo} on {@link AuditRecord}. */
    public static final class Factory extends TypeInfoFactory<AuditRecord> {
        @Override
        public TypeInformation<AuditRecord> createTypeInfo(Type t, Map<String, TypeInformation<?>> genericParameters) {
            return new SerializerTypeInfo<>(AuditRecord.class, INSTANCE, false);
        }
    }
}
