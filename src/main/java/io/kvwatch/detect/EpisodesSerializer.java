package io.kvwatch.detect;

import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * A term's episodes ({@link TermHistory}) in state, compactly: the count, then each time as the variable-length
 * zig-zag difference to the one before (the first to zero). Almost every term has one episode, whose start (an
 * epoch millisecond) takes 6 bytes and whose length (usually hours to days) 4-5: 11-12 bytes instead of the 20 of
 * Flink's {@code long[]} serializer. It is written once per term in every checkpoint, and once per term in RocksDB.
 */
public final class EpisodesSerializer extends TypeSerializerSingleton<long[]> {

    private static final long serialVersionUID = 1L;

    public static final EpisodesSerializer INSTANCE = new EpisodesSerializer();

    private static final long[] EMPTY = new long[0];

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public long[] createInstance() {
        return EMPTY;
    }

    @Override
    public long[] copy(long[] from) {
        return from.clone();
    }

    @Override
    public long[] copy(long[] from, long[] reuse) {
        return from.clone();
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(long[] times, DataOutputView out) throws IOException {
        writeVarLong(times.length, out);
        long previous = 0;
        for (long t : times) {
            long delta = t - previous;
            writeVarLong((delta << 1) ^ (delta >> 63), out); // zig-zag: small magnitudes, either sign, few bytes
            previous = t;
        }
    }

    @Override
    public long[] deserialize(DataInputView in) throws IOException {
        long length = readVarLong(in);
        if (length < 0 || length > Integer.MAX_VALUE - 8) {
            throw new IOException("corrupt episodes: length " + length);
        }
        long[] times = new long[(int) length];
        long previous = 0;
        for (int i = 0; i < times.length; i++) {
            long zigzag = readVarLong(in);
            previous += (zigzag >>> 1) ^ -(zigzag & 1);
            times[i] = previous;
        }
        return times;
    }

    @Override
    public long[] deserialize(long[] reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
        long length = readVarLong(in);
        writeVarLong(length, out);
        for (long i = 0; i < length; i++) {
            writeVarLong(readVarLong(in), out);
        }
    }

    /** Seven bits per byte, low bits first, the high bit set on every byte but the last (at most 10 bytes). */
    static void writeVarLong(long value, DataOutputView out) throws IOException {
        while ((value & ~0x7FL) != 0) {
            out.writeByte((int) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        out.writeByte((int) value);
    }

    static long readVarLong(DataInputView in) throws IOException {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = in.readUnsignedByte();
            value |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new IOException("corrupt episodes: a variable-length number of more than 10 bytes");
    }

    @Override
    public TypeSerializerSnapshot<long[]> snapshotConfiguration() {
        return new Snapshot();
    }

    /** Restores the serializer from checkpoints and savepoints. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<long[]> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }
}
