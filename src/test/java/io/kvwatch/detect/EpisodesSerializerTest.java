package io.kvwatch.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

class EpisodesSerializerTest {

    private static final EpisodesSerializer SERIALIZER = EpisodesSerializer.INSTANCE;
    private static final long T = 1_790_000_000_000L; // 2026-09: the size of real epoch milliseconds

    @Test
    void roundTripsEveryKindOfHistory() throws IOException {
        List<long[]> cases = new ArrayList<>(List.of(
                new long[0],
                new long[] {T, T},
                new long[] {T, T + 3_600_000},
                new long[] {T, T + 14 * 86_400_000L, T + 30 * 86_400_000L, T + 31 * 86_400_000L},
                new long[] {Long.MIN_VALUE, Long.MAX_VALUE, 0, -1, 1, Long.MIN_VALUE},
                new long[] {-T, T, -T}));
        Random random = new Random(42);
        for (int i = 0; i < 2_000; i++) {
            long[] times = new long[2 * random.nextInt(5)];
            for (int j = 0; j < times.length; j++) {
                times[j] = switch (random.nextInt(3)) {
                    case 0 -> random.nextLong();
                    case 1 -> T + random.nextInt(1_000_000_000);
                    default -> j == 0 ? T : times[j - 1] + random.nextInt(100_000);
                };
            }
            cases.add(times);
        }
        for (long[] times : cases) {
            byte[] bytes = serialize(times);
            assertThat(SERIALIZER.deserialize(new DataInputDeserializer(bytes)))
                    .as("round trip")
                    .isEqualTo(times);

            DataOutputSerializer copied = new DataOutputSerializer(16);
            SERIALIZER.copy(new DataInputDeserializer(bytes), copied);
            assertThat(copied.getCopyOfBuffer())
                    .as("stream copy, byte for byte")
                    .isEqualTo(bytes);

            long[] copy = SERIALIZER.copy(times);
            assertThat(copy).isEqualTo(times).isNotSameAs(times);
        }
    }

    @Test
    void oneEpisodeTakesAboutHalfOfWhatALongArrayTakes() throws IOException {
        assertThat(serialize(new long[] {T, T + 3 * 3_600_000}))
                .as("an episode of three hours")
                .hasSizeLessThanOrEqualTo(11);
        assertThat(serialize(new long[] {T, T + 14 * 86_400_000L}))
                .as("of fourteen days")
                .hasSizeLessThanOrEqualTo(12);
    }

    @Test
    void readsOneValueAfterAnother() throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        SERIALIZER.serialize(new long[] {T, T + 1}, out);
        SERIALIZER.serialize(new long[] {5, 7, 9, 11}, out);
        DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());
        assertThat(SERIALIZER.deserialize(in)).containsExactly(T, T + 1);
        assertThat(SERIALIZER.deserialize(in)).containsExactly(5, 7, 9, 11);
        assertThat(in.available()).isZero();
    }

    @Test
    void refusesCorruptInput() {
        byte[] elevenContinuationBytes = new byte[11];
        java.util.Arrays.fill(elevenContinuationBytes, (byte) 0x80);
        assertThatThrownBy(() -> SERIALIZER.deserialize(new DataInputDeserializer(elevenContinuationBytes)))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> SERIALIZER.deserialize(new DataInputDeserializer(new byte[] {4, 2})))
                .as("fewer values than announced")
                .isInstanceOf(IOException.class);
    }

    @Test
    void itsSnapshotRestoresItAsIs() throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        TypeSerializerSnapshot.writeVersionedSnapshot(out, SERIALIZER.snapshotConfiguration());
        TypeSerializerSnapshot<long[]> restored = TypeSerializerSnapshot.readVersionedSnapshot(
                new DataInputDeserializer(out.getCopyOfBuffer()), getClass().getClassLoader());
        assertThat(restored.restoreSerializer()).isSameAs(SERIALIZER);
        TypeSerializerSchemaCompatibility<long[]> compatibility =
                SERIALIZER.snapshotConfiguration().resolveSchemaCompatibility(restored);
        assertThat(compatibility.isCompatibleAsIs()).isTrue();
    }

    private static byte[] serialize(long[] times) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(16);
        SERIALIZER.serialize(times, out);
        return out.getCopyOfBuffer();
    }
}
