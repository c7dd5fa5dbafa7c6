package io.kvwatch.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.util.clock.ManualClock;
import org.junit.jupiter.api.Test;

/** Bounded disorder while records flow; the wall clock minus the bound once the partition is quiet. */
class IngestTimeWatermarksTest {

    static final long T0 = 1_790_000_000_000L;

    final ManualClock activity = new ManualClock();
    long wall = T0;
    final List<Long> emitted = new ArrayList<>();
    final WatermarkOutput output = new WatermarkOutput() {
        @Override
        public void emitWatermark(Watermark watermark) {
            emitted.add(watermark.getTimestamp());
        }

        @Override
        public void markIdle() {}

        @Override
        public void markActive() {}
    };
    final IngestTimeWatermarks<String> generator =
            new IngestTimeWatermarks<>(Duration.ofSeconds(30), Duration.ofMinutes(1), activity, () -> wall);

    @Test
    void followsRecordsMinusTheBoundWhileTheyFlow() {
        generator.onEvent("r", T0, output);
        generator.onPeriodicEmit(output);
        generator.onEvent("r", T0 + 5_000, output);
        generator.onEvent("r", T0 + 2_000, output); // disorder: the watermark never goes back
        generator.onPeriodicEmit(output);
        assertThat(emitted).containsExactly(T0 - 30_001, T0 + 5_000 - 30_001);
    }

    @Test
    void followsTheWallClockOnceQuiet() {
        generator.onEvent("r", T0, output);
        activity.advanceTime(Duration.ofSeconds(59));
        wall = T0 + 59_000;
        generator.onPeriodicEmit(output);
        assertThat(emitted).as("not quiet long enough yet").containsExactly(T0 - 30_001);

        activity.advanceTime(Duration.ofSeconds(1));
        wall = T0 + 60_000;
        generator.onPeriodicEmit(output);
        assertThat(emitted)
                .as("quiet for the idle timeout: wall clock minus the bound")
                .containsExactly(T0 - 30_001, T0 + 60_000 - 30_001);
    }

    @Test
    void backpressureIsNotQuiet() {
        generator.onEvent("r", T0, output);
        wall = T0 + 600_000; // ten minutes of wall clock pass while the activity clock is paused (backpressure)
        generator.onPeriodicEmit(output);
        assertThat(emitted).containsExactly(T0 - 30_001);
    }

    @Test
    void aPartitionThatNeverHadRecordsFollowsTheClockOnceQuiet() {
        generator.onPeriodicEmit(output);
        assertThat(emitted).isEmpty();
        activity.advanceTime(Duration.ofMinutes(1));
        generator.onPeriodicEmit(output);
        assertThat(emitted).containsExactly(T0 - 30_001);
    }
}
