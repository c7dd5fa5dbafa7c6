package io.kvwatch.model;

import java.io.IOException;
import java.lang.reflect.Type;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInfoFactory;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * The state key as its 16 bytes and nothing else. The POJO serializer would add a flag byte for the class and one
 * per field: 19 bytes, and the key is written twice per term in RocksDB (the value's row and the timer's row).
 */
public final class TermKeySerializer extends TypeSerializerSingleton<TermKey> {

    private static final long serialVersionUID = 1L;

    public static final TermKeySerializer INSTANCE = new TermKeySerializer();

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public TermKey createInstance() {
        return new TermKey();
    }

    @Override
    public TermKey copy(TermKey from) {
        return new TermKey(from.hi, from.lo);
    }

    @Override
    public TermKey copy(TermKey from, TermKey reuse) {
        return copy(from);
    }

    @Override
    public int getLength() {
        return 16;
    }

    @Override
    public void serialize(TermKey key, DataOutputView out) throws IOException {
        out.writeLong(key.hi);
        out.writeLong(key.lo);
    }

    @Override
    public TermKey deserialize(DataInputView in) throws IOException {
        return new TermKey(in.readLong(), in.readLong());
    }

    @Override
    public TermKey deserialize(TermKey reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
        out.write(in, 16);
    }

    @Override
    public TypeSerializerSnapshot<TermKey> snapshotConfiguration() {
        return new Snapshot();
    }

    /** Restores the serializer from checkpoints and savepoints. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<TermKey> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }

    /** Named by {@code @TypeInfo} on {@link TermKey}. */
    public static final class Factory extends TypeInfoFactory<TermKey> {
        @Override
        public TypeInformation<TermKey> createTypeInfo(Type t, Map<String, TypeInformation<?>> genericParameters) {
            return new SerializerTypeInfo<>(TermKey.class, INSTANCE, true);
        }
    }
}
