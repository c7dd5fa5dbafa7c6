package io.kvwatch.bench;

import io.kvwatch.KeyVaultNewTermsJob;
import io.kvwatch.config.JobConfig;
import io.kvwatch.io.MessageInput;
import io.kvwatch.model.RawMessage;
import io.kvwatch.testing.KafkaBroker;
import io.kvwatch.testing.LoopbackMiniCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.apache.flink.util.FileUtils;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Throughput from a real Kafka topic: the workload's message bytes (preload and measured messages) are written to a
 * topic on the test broker (its own JVM process) before any job starts; then the job as deployed (its own {@code
 * KafkaInput}, alerts and dead letters discarded) and its Flink SQL peers ({@link SqlPeer}) each read the whole topic
 * on a fresh MiniCluster in this JVM.
 *
 * <p>Timing: a pass-through tap right after each job's Kafka source sees every message's partition and offset. The
 * messages are laid out round-robin over the partitions, so the offset says which workload message it is: the clock
 * and this JVM's CPU time are read when the first message of the timed part ({@link
 * BenchWorkload.Measured#timedFrom()}, as in {@link ThroughputBench}) passes, and when the last message of every
 * partition has passed. The preload is read but not timed; its first sights are learnt by the job (learning period,
 * as in {@link ThroughputBench}) and alerted by the SQL peers (SQL has no learning mode), into a discarding sink.
 */
final class KafkaBench {

    /** Where the workload's messages are in the topic, and the clocks of the one run at a time. */
    static final class Timing {
        final int partitions;
        final long[] firstMeasuredOffset;
        final long[] lastOffset;
        final int timedFrom;
        final AtomicLong startNanos = new AtomicLong(Long.MAX_VALUE);
        final AtomicLong startCpuNanos = new AtomicLong(Long.MAX_VALUE);
        final AtomicLong endNanos = new AtomicLong(Long.MIN_VALUE);
        final AtomicLong endCpuNanos = new AtomicLong(Long.MIN_VALUE);
        final AtomicBoolean[] done;
        final AtomicInteger partitionsDone = new AtomicInteger();
        final CountDownLatch finished = new CountDownLatch(1);

        Timing(Topic topic, int timedFrom) {
            this.partitions = topic.partitions();
            this.firstMeasuredOffset = topic.firstMeasuredOffset();
            this.lastOffset = topic.lastOffset();
            this.timedFrom = timedFrom;
            this.done = new AtomicBoolean[partitions];
            Arrays.setAll(done, i -> new AtomicBoolean());
        }

        void observe(int partition, long offset) {
            long m = offset - firstMeasuredOffset[partition];
            if (m < 0) {
                return; // preload
            }
            if (m * partitions + partition >= timedFrom && startNanos.get() == Long.MAX_VALUE) {
                startNanos.accumulateAndGet(System.nanoTime(), Math::min);
                startCpuNanos.accumulateAndGet(Machine.processCpuNanos(), Math::min);
            }
            if (offset == lastOffset[partition] && done[partition].compareAndSet(false, true)) {
                endNanos.accumulateAndGet(System.nanoTime(), Math::max);
                endCpuNanos.accumulateAndGet(Machine.processCpuNanos(), Math::max);
                if (partitionsDone.incrementAndGet() == partitions) {
                    finished.countDown();
                }
            }
        }

        double seconds() {
            return (endNanos.get() - startNanos.get()) / 1e9;
        }

        double cpuSeconds() {
            return (endCpuNanos.get() - startCpuNanos.get()) / 1e9;
        }
    }

    /** A topic holding the preload then the measured messages, message {@code i} in partition {@code i % p}. */
    record Topic(String name, int partitions, long[] firstMeasuredOffset, long[] lastOffset) {}

    record Result(long records, double seconds, double cpuSeconds) {
        double perSecond() {
            return records / seconds;
        }

        double perCpuSecond() {
            return records / cpuSeconds;
        }
    }

    static volatile Timing current;

    private KafkaBench() {}

    static String runAll(Map<String, String> opts, Path out) throws Exception {
        long[] termCounts = Arrays.stream(opts.getOrDefault("terms", "1000000").split(","))
                .mapToLong(Long::parseLong)
                .toArray();
        int[] parallelisms = Arrays.stream(opts.getOrDefault("parallelism", "1").split(","))
                .mapToInt(Integer::parseInt)
                .toArray();
        String[] backends = opts.getOrDefault("backends", "hashmap").split(",");
        String[] peers = opts.getOrDefault("peers", "job,sql-dedup,sql-lag").split(",");
        long records = Long.parseLong(opts.getOrDefault("records", "1000000"));

        StringBuilder table = new StringBuilder("### From a Kafka topic, and the Flink SQL peer\n\n"
                + "| terms | state | p | reader | records/s | per CPU-second | job ÷ this (CPU) | load (1 min) |\n"
                + "|---:|---|---:|---|---:|---:|---:|---|\n");
        String check;
        try (KafkaBroker broker = KafkaBroker.start()) {
            for (long terms : termCounts) {
                BenchWorkload workload = new BenchWorkload(terms);
                BenchWorkload.Measured measured = workload.measured(records, 1);
                for (int p : parallelisms) {
                    Topic topic = produce(broker, workload, measured, p);
                    for (String backend : backends) {
                        Map<String, Result> results = new LinkedHashMap<>();
                        Map<String, String> loads = new LinkedHashMap<>();
                        for (String peer : peers) {
                            String load = Machine.load();
                            BenchMain.log(
                                    "kafka: " + peer + " " + backend + " p=" + p + " terms=" + terms + " load " + load);
                            Path work = Files.createTempDirectory(out, "kafka-");
                            try {
                                Result r = run(peer, broker, topic, measured, p, backend, work);
                                BenchMain.log(String.format(
                                        Locale.ROOT,
                                        "  %.0f records/s, %.0f per CPU-second over %.1f s",
                                        r.perSecond(),
                                        r.perCpuSecond(),
                                        r.seconds()));
                                results.put(peer, r);
                                loads.put(peer, load + " → " + Machine.load());
                            } finally {
                                FileUtils.deleteDirectoryQuietly(work.toFile());
                            }
                        }
                        Result job = results.get("job");
                        results.forEach((peer, r) -> table.append(String.format(
                                Locale.ROOT,
                                "| %s | %s | %d | %s | %s | %s | %s | %s |\n",
                                BenchMain.millions(terms),
                                backend,
                                p,
                                peer,
                                BenchMain.rate(r.perSecond()),
                                BenchMain.rate(r.perCpuSecond()),
                                job == null
                                        ? "–"
                                        : String.format(Locale.ROOT, "%.2f×", job.perCpuSecond() / r.perCpuSecond()),
                                loads.get(peer))));
                        System.out.println(table);
                    }
                }
            }
            check = Boolean.parseBoolean(opts.getOrDefault("sql-check", "true")) ? check(broker) : "";
        }
        return table + "\n" + check;
    }

    /** {@link SqlPeer#check} on a MiniCluster of its own. */
    private static String check(KafkaBroker broker) throws Exception {
        try (MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder()
                .setConfiguration(LoopbackMiniCluster.withSlots(1).getConfiguration())
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(1)
                .build())) {
            cluster.start();
            TestStreamEnvironment.setAsContext(cluster, 1);
            return SqlPeer.table(SqlPeer.check(broker));
        } finally {
            TestStreamEnvironment.unsetAsContext();
        }
    }

    /** Writes the preload then the measured messages, with the rule times as Kafka timestamps. */
    static Topic produce(KafkaBroker broker, BenchWorkload workload, BenchWorkload.Measured measured, int partitions)
            throws Exception {
        String name = "kv-bench-" + workload.terms + "-p" + partitions;
        broker.createTopic(name, partitions, Map.of("retention.ms", "-1"));
        long started = System.nanoTime();
        long[] firstMeasured = new long[partitions];
        long[] last = new long[partitions];
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProperties(broker))) {
            // The job's rule time on Kafka is the record timestamp: the preload's six hours, the measured phase a day
            // later, as the records' own times in BenchWorkload.
            long preload = workload.preloadEnvelopes();
            for (long e = 0; e < preload; e++) {
                long time = BenchWorkload.T0.toEpochMilli()
                        + e
                                * BenchWorkload.PRELOAD_RECORDS_PER_ENVELOPE
                                * BenchWorkload.PRELOAD_SPAN_MS
                                / workload.terms;
                int partition = (int) (e % partitions);
                producer.send(new ProducerRecord<>(name, partition, time, null, bytes(workload.preloadEnvelope(e))));
                firstMeasured[partition]++;
            }
            long made = 0;
            @SuppressWarnings("unchecked")
            Future<RecordMetadata>[] lastOfPartition = new Future[partitions];
            for (int i = 0; i < measured.messages().length; i++) {
                long time = BenchWorkload.MEASURE_START_MS + made * 2;
                made += measured.recordsPerMessage()[i];
                lastOfPartition[i % partitions] = producer.send(
                        new ProducerRecord<>(name, i % partitions, time, null, bytes(measured.messages()[i])));
            }
            producer.flush();
            for (int part = 0; part < partitions; part++) {
                last[part] = lastOfPartition[part].get().offset();
                long expected =
                        firstMeasured[part] + (measured.messages().length - part + partitions - 1) / partitions - 1;
                if (last[part] != expected) {
                    throw new IllegalStateException("partition " + part + " of " + name + " ends at offset "
                            + last[part] + ", not " + expected + ": the offsets do not tell the messages apart");
                }
            }
        }
        BenchMain.log(String.format(
                Locale.ROOT,
                "kafka: wrote %d preload and %d measured messages to %s (%d partitions) in %.0f s",
                workload.preloadEnvelopes(),
                measured.messages().length,
                name,
                partitions,
                (System.nanoTime() - started) / 1e9));
        return new Topic(name, partitions, firstMeasured, last);
    }

    /** One reader ({@code job} or a {@link SqlPeer} variant) over the whole topic, on a fresh MiniCluster. */
    static Result run(
            String peer,
            KafkaBroker broker,
            Topic topic,
            BenchWorkload.Measured measured,
            int parallelism,
            String backend,
            Path workDir)
            throws Exception {
        Configuration conf = ThroughputBench.clusterConfiguration(parallelism, backend, workDir);
        int timedFrom = measured.timedFrom();
        Timing timing = new Timing(topic, timedFrom);
        current = timing;
        String group = "bench-" + peer + "-" + workDir.getFileName();
        try (MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder()
                .setConfiguration(conf)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(parallelism)
                .build())) {
            cluster.start();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
            if (peer.equals("job")) {
                JobConfig config = JobConfig.of(Map.of(
                        "kafka.bootstrap-servers",
                        broker.bootstrapServers(),
                        "kafka.topic",
                        topic.name(),
                        "kafka.group-id",
                        group,
                        "kafka.starting-offsets",
                        "earliest",
                        "parallelism",
                        Integer.toString(parallelism),
                        "learning",
                        "true",
                        "learning-period",
                        "12 h"));
                new KeyVaultNewTermsJob(config, new Tapped(KeyVaultNewTermsJob.inputFrom(config)), new BenchOutputs())
                        .build(env);
            } else {
                env.setParallelism(parallelism);
                SqlPeer.attach(env, peer, broker.bootstrapServers(), topic.name(), group);
            }
            StreamGraph graph = env.getStreamGraph();
            graph.setJobName("bench kafka " + peer + " " + backend + " p" + parallelism);
            // With -Dbench.jfr=true: the whole read, preload included (the timed part starts on a task thread).
            jdk.jfr.Recording profile = ThroughputBench.startProfile();
            JobID job = cluster.submitJob(graph).get().getJobID();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(60);
            while (!timing.finished.await(1, TimeUnit.SECONDS)) {
                JobStatus status = cluster.getJobStatus(job).get();
                if (status.isGloballyTerminalState() || System.nanoTime() > deadline) {
                    Throwable cause = status.isGloballyTerminalState()
                            ? cluster.requestJobResult(job)
                                    .get()
                                    .getSerializedThrowable()
                                    .map(t -> t.deserializeError(KafkaBench.class.getClassLoader()))
                                    .orElse(null)
                            : null;
                    throw new IllegalStateException(peer + " did not read the topic to its end: " + status, cause);
                }
            }
            ThroughputBench.stopProfile(
                    profile,
                    workDir.getParent().resolve("profile-kafka-" + peer + "-" + backend + "-p" + parallelism + ".jfr"));
            cluster.cancelJob(job).get(1, TimeUnit.MINUTES);
            return new Result(measured.recordsFrom(timedFrom), timing.seconds(), timing.cpuSeconds());
        } finally {
            current = null;
        }
    }

    /** The job's own Kafka input, with the timing tap chained after the source. */
    private record Tapped(MessageInput kafka) implements MessageInput {
        @Override
        public DataStream<RawMessage> open(StreamExecutionEnvironment env) {
            DataStream<RawMessage> messages = kafka.open(env);
            return messages.map(new Tap()).returns(messages.getType()).name("Bench tap");
        }

        @Override
        public boolean stampsIngestTime() {
            return kafka.stampsIngestTime();
        }

        @Override
        public boolean bounded() {
            return kafka.bounded();
        }
    }

    /** Reads partition and offset from the origin the job's deserializer writes: {@code topic-partition@offset}. */
    private static final class Tap implements MapFunction<RawMessage, RawMessage> {
        @Override
        public RawMessage map(RawMessage m) {
            int at = m.origin.lastIndexOf('@');
            int dash = m.origin.lastIndexOf('-', at);
            current.observe(
                    Integer.parseInt(m.origin.substring(dash + 1, at)), Long.parseLong(m.origin.substring(at + 1)));
            return m;
        }
    }

    static Properties producerProperties(KafkaBroker broker) {
        Properties p = new Properties();
        p.putAll(broker.clientProperties());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(1 << 20));
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(4 << 20));
        return p;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
