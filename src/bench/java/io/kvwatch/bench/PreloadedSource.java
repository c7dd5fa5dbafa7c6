package io.kvwatch.bench;

import io.kvwatch.model.RawMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * A source of Event Hubs messages held in this JVM's memory, so that the source costs next to nothing: the preload
 * envelopes (made on the fly; not timed), a pause until {@link Run#startMeasuring()}, the measured messages (made
 * before the job started), and then a pause until the job is cancelled. Subtask {@code i} of {@code p} reads every
 * {@code p}-th message. Only for a MiniCluster in the same JVM: the data and the clocks are static.
 *
 * <p>Pausing by returning {@link InputStatus#NOTHING_AVAILABLE} keeps the task's mailbox free, so checkpoints can be
 * taken while the source waits: that is how the harness measures the state right after the preload.
 */
final class PreloadedSource implements Source<RawMessage, PreloadedSource.Split, Void> {

    private static final long serialVersionUID = 1L;

    /** The one run at a time: what to read and when. */
    static final class Run {
        final BenchWorkload workload;
        final String[] measured;
        /** The same as UTF-8 bytes, as a Kafka record's value: the job parses these, as it parses Kafka's. */
        final byte[][] measuredUtf8;

        final int parallelism;
        final CountDownLatch preloaded;
        final CountDownLatch finished;
        final CompletableFuture<Void> measureGate = new CompletableFuture<>();
        /** Opened once the job runs, so that the heap can be measured without its state first. */
        final CompletableFuture<Void> preloadGate = new CompletableFuture<>();
        /** Counted down by each reader when it is ready to preload (the job is running). */
        final CountDownLatch started;

        final AtomicLong firstMeasuredNanos = new AtomicLong(Long.MAX_VALUE);
        final AtomicLong lastMeasuredNanos = new AtomicLong(Long.MIN_VALUE);
        /** CPU time of the whole JVM (every thread: tasks, network, GC, JIT) at the same two moments. */
        final AtomicLong firstMeasuredCpuNanos = new AtomicLong(Long.MAX_VALUE);

        final AtomicLong lastMeasuredCpuNanos = new AtomicLong(Long.MIN_VALUE);
        /** The first message timed: those before it warm the JIT up on the measured shapes. */
        final int timedFrom;

        Run(BenchWorkload workload, String[] measured, int parallelism, int timedFrom) {
            this.workload = workload;
            this.measured = measured;
            this.measuredUtf8 = new byte[measured.length][];
            for (int i = 0; i < measured.length; i++) {
                measuredUtf8[i] = measured[i].getBytes(StandardCharsets.UTF_8);
            }
            this.timedFrom = timedFrom;
            this.parallelism = parallelism;
            this.preloaded = new CountDownLatch(parallelism);
            this.started = new CountDownLatch(parallelism);
            this.finished = new CountDownLatch(parallelism);
        }

        void startPreload() {
            preloadGate.complete(null);
        }

        void startMeasuring() {
            measureGate.complete(null);
        }

        double measuredSeconds() {
            return (lastMeasuredNanos.get() - firstMeasuredNanos.get()) / 1e9;
        }

        double measuredCpuSeconds() {
            return (lastMeasuredCpuNanos.get() - firstMeasuredCpuNanos.get()) / 1e9;
        }
    }

    static volatile Run current;

    @Override
    public Boundedness getBoundedness() {
        return Boundedness.CONTINUOUS_UNBOUNDED; // ends by cancellation, so end of input cannot fire every timer
    }

    @Override
    public SourceReader<RawMessage, Split> createReader(SourceReaderContext context) {
        return new Reader(current, context.getIndexOfSubtask());
    }

    @Override
    public SplitEnumerator<Split, Void> createEnumerator(SplitEnumeratorContext<Split> context) {
        return new NoSplits();
    }

    @Override
    public SplitEnumerator<Split, Void> restoreEnumerator(SplitEnumeratorContext<Split> context, Void checkpoint) {
        return new NoSplits();
    }

    @Override
    public SimpleVersionedSerializer<Split> getSplitSerializer() {
        return new Nothing<>();
    }

    @Override
    public SimpleVersionedSerializer<Void> getEnumeratorCheckpointSerializer() {
        return new Nothing<>();
    }

    /** Each reader knows its share from its subtask index: there are no splits to hand out. */
    static final class Split implements SourceSplit {
        @Override
        public String splitId() {
            return "all";
        }
    }

    private static final class Reader implements SourceReader<RawMessage, Split> {
        private final Run run;
        private final int subtask;
        private long nextPreload;
        private int nextMeasured;
        private boolean preloadReported;
        private boolean startReported;
        private boolean finishReported;
        private boolean timing;
        private final CompletableFuture<Void> never = new CompletableFuture<>();

        Reader(Run run, int subtask) {
            this.run = run;
            this.subtask = subtask;
            this.nextPreload = subtask;
            this.nextMeasured = subtask;
        }

        @Override
        public void start() {}

        @Override
        public InputStatus pollNext(ReaderOutput<RawMessage> output) {
            if (!startReported) {
                startReported = true;
                run.started.countDown();
            }
            if (!run.preloadGate.isDone()) {
                return InputStatus.NOTHING_AVAILABLE;
            }
            if (nextPreload < run.workload.preloadEnvelopes()) {
                output.collect(
                        new RawMessage(run.workload.preloadEnvelope(nextPreload), RawMessage.NO_TIMESTAMP, "preload"));
                nextPreload += run.parallelism;
                return InputStatus.MORE_AVAILABLE;
            }
            if (!preloadReported) {
                preloadReported = true;
                run.preloaded.countDown();
            }
            if (!run.measureGate.isDone()) {
                return InputStatus.NOTHING_AVAILABLE;
            }
            if (nextMeasured < run.measured.length) {
                if (!timing && nextMeasured >= run.timedFrom) {
                    timing = true;
                    run.firstMeasuredNanos.accumulateAndGet(System.nanoTime(), Math::min);
                    run.firstMeasuredCpuNanos.accumulateAndGet(Machine.processCpuNanos(), Math::min);
                }
                // What KafkaMessageDeserializer makes of a record: the bytes, checked to be UTF-8 (a cost in the
                // timed window, as it is in the job's Kafka source).
                output.collect(RawMessage.ofBytes(run.measuredUtf8[nextMeasured], RawMessage.NO_TIMESTAMP, "bench"));
                nextMeasured += run.parallelism;
                return InputStatus.MORE_AVAILABLE;
            }
            if (!finishReported) {
                finishReported = true;
                run.lastMeasuredNanos.accumulateAndGet(System.nanoTime(), Math::max);
                run.lastMeasuredCpuNanos.accumulateAndGet(Machine.processCpuNanos(), Math::max);
                run.finished.countDown();
            }
            return InputStatus.NOTHING_AVAILABLE;
        }

        @Override
        public CompletableFuture<Void> isAvailable() {
            if (!run.preloadGate.isDone()) {
                return run.preloadGate;
            }
            if (nextPreload < run.workload.preloadEnvelopes()) {
                return CompletableFuture.completedFuture(null);
            }
            if (finishReported) {
                return never;
            }
            return run.measureGate;
        }

        @Override
        public List<Split> snapshotState(long checkpointId) {
            return List.of();
        }

        @Override
        public void addSplits(List<Split> splits) {}

        @Override
        public void notifyNoMoreSplits() {}

        @Override
        public void close() {}
    }

    private static final class NoSplits implements SplitEnumerator<Split, Void> {
        @Override
        public void start() {}

        @Override
        public void handleSplitRequest(int subtaskId, String requesterHostname) {}

        @Override
        public void addSplitsBack(List<Split> splits, int subtaskId) {}

        @Override
        public void addReader(int subtaskId) {}

        @Override
        public Void snapshotState(long checkpointId) {
            return null;
        }

        @Override
        public void close() {}
    }

    private static final class Nothing<T> implements SimpleVersionedSerializer<T> {
        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(T obj) {
            return new byte[0];
        }

        @Override
        public T deserialize(int version, byte[] serialized) throws IOException {
            return null;
        }
    }
}
