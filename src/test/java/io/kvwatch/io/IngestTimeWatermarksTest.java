package io.kvwatch.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.util.clock.ManualClock;
import org.junit.jupiter.api.Test;

/**
 * Bounded disorder while records flow; the wall clock minus the lag once the partition is quiet: at once when the
 * partition was read to its end, after the idle timeout otherwise; time the source is blocked does not count. Driven
 * by a manual activity clock and a settable wall clock.
 */
class IngestTimeWatermarksTest {

    static final long T0 = 1_790_000_000_000L;
    static final Duration LAG = Duration.ofSeconds(1);
    static final Duration IDLE = Duration.ofMinutes(1);

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

    /** The Event Hubs defaults: no disorder within a partition, a lag of 1 s, idleness 1 min. */
    final IngestTimeWatermarks<String> generator = generator(Duration.ZERO);

    IngestTimeWatermarks<String> generator(Duration bound) {
        return new IngestTimeWatermarks<>(bound, LAG, IDLE, activity, () -> wall);
    }

    /** Time passes for the source, unblocked: both clocks advance. */
    void pass(long millis) {
        activity.advanceTime(Duration.ofMillis(millis));
        wall += millis;
    }

    @Test
    void followsRecordsMinusTheBoundWhileTheyFlow() {
        IngestTimeWatermarks<String> bounded = generator(Duration.ofSeconds(30));
        bounded.onEvent("r", T0, output);
        bounded.onPeriodicEmit(output);
        bounded.onEvent("r", T0 + 5_000, output);
        bounded.onEvent("r", T0 + 2_000, output); // disorder: the watermark never goes back
        bounded.onPeriodicEmit(output);
        assertThat(emitted).containsExactly(T0 - 30_001, T0 + 5_000 - 30_001);
    }

    @Test
    void aBusyPartitionReadToItsEndIsHeldByItsRecordsNotByTheClock() {
        for (int i = 0; i < 10; i++) {
            wall = T0 + 100L * i + 20; // each read 20 ms after its append
            generator.onEvent("r", T0 + 100L * i, output);
            generator.onPeriodicEmit(output);
        }
        assertThat(emitted)
                .as("the newest timestamp less 1 ms, with a bound of 0: a record at that same instant may follow")
                .containsExactly(
                        T0 - 1, T0 + 99, T0 + 199, T0 + 299, T0 + 399, T0 + 499, T0 + 599, T0 + 699, T0 + 799,
                        T0 + 899);
    }

    @Test
    void aQuietPartitionReadToItsEndFollowsTheClockLessTheLagWithoutWaitingForIdleness() {
        wall = T0 + 50;
        generator.onEvent("r", T0, output); // read 50 ms after its append: the reader is at the partition's end
        generator.onPeriodicEmit(output);
        pass(900);
        generator.onPeriodicEmit(output);
        assertThat(emitted)
                .as("within the lag of the record: held by the record")
                .containsExactly(T0 - 1);

        pass(1_100);
        generator.onPeriodicEmit(output);
        assertThat(emitted)
                .as("2 s quiet: the wall clock (T0 + 2050) less the lag, 1 min before the idle timeout")
                .containsExactly(T0 - 1, T0 + 2_050 - 1_001);
    }

    @Test
    void theClockLagAddsToTheBound() {
        IngestTimeWatermarks<String> bounded = generator(Duration.ofSeconds(30));
        bounded.onEvent("r", T0, output);
        pass(5_000);
        bounded.onPeriodicEmit(output);
        assertThat(emitted)
                .as("an unread record was appended after the clock less the lag, and is at most the bound older")
                .containsExactly(T0 + 5_000 - 1_000 - 30_001);
    }

    @Test
    void aRecordReadLongAfterItsAppendWaitsForTheIdleTimeout() {
        wall = T0 + 600_000; // ten minutes behind: fetching a backlog, which a stalled fetch must not cut short
        generator.onEvent("r", T0, output);
        pass(59_000);
        generator.onPeriodicEmit(output);
        assertThat(emitted).as("not quiet long enough yet").containsExactly(T0 - 1);

        pass(1_000);
        generator.onPeriodicEmit(output);
        assertThat(emitted)
                .as("quiet for the idle timeout: wall clock minus the lag")
                .containsExactly(T0 - 1, T0 + 660_000 - 1_001);
    }

    @Test
    void aPartitionThatNeverHadRecordsFollowsTheClockOnceQuietForTheIdleTimeout() {
        generator.onPeriodicEmit(output);
        pass(59_999);
        generator.onPeriodicEmit(output);
        assertThat(emitted).as("it may still be fetching its first records").isEmpty();
        pass(1);
        generator.onPeriodicEmit(output);
        assertThat(emitted).containsExactly(T0 + 60_000 - 1_001);
    }

    @Test
    void backpressureIsNotQuietAndTheClockStopsWithTheSource() {
        generator.onEvent("r", T0, output); // read at its append
        wall = T0 + 600_000; // ten minutes of wall clock pass while the activity clock is paused (backpressure)
        generator.onPeriodicEmit(output);
        assertThat(emitted)
                .as("records held up in the job must not fall behind")
                .containsExactly(T0 - 1);

        activity.advanceTime(Duration.ofSeconds(3)); // unblocked for 3 s
        wall += 3_000;
        generator.onPeriodicEmit(output);
        assertThat(emitted)
                .as("the clock at the last record plus the unblocked time only")
                .containsExactly(T0 - 1, T0 + 3_000 - 1_001);
    }

    @Test
    void aLateRecordNeverMovesTheWatermarkBackAndSuspendsFollowingUntilAFreshOne() {
        generator.onEvent("r", T0, output);
        pass(5_000);
        generator.onPeriodicEmit(output);
        generator.onEvent("r", T0 + 3_000, output); // behind the watermark: a fetch that stalled past the lag
        generator.onPeriodicEmit(output);
        pass(3_000);
        generator.onPeriodicEmit(output);
        assertThat(emitted)
                .as("read 2 s after its append: the reader may be behind, so the idle timeout applies again")
                .containsExactly(T0 + 5_000 - 1_001);

        generator.onEvent("r", wall - 10, output); // read 10 ms after its append: at the end again
        pass(2_000);
        generator.onPeriodicEmit(output);
        assertThat(emitted).containsExactly(T0 + 5_000 - 1_001, T0 + 10_000 - 1_001);
    }

    @Test
    void catchingUpWithTheEndSwitchesFromTheIdleTimeoutToTheLag() {
        wall = T0 + 600_000;
        generator.onEvent("r", T0, output); // backlog
        wall = T0 + 600_010;
        generator.onEvent("r", T0 + 600_000, output); // the end, 10 ms after its append
        pass(2_000);
        generator.onPeriodicEmit(output);
        assertThat(emitted).containsExactly(T0 + 602_010 - 1_001);
    }
}
