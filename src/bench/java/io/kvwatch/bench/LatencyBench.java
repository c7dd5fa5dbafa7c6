package io.kvwatch.bench;

import io.kvwatch.KeyVaultNewTermsJob;
import io.kvwatch.config.EventTimeSettings;
import io.kvwatch.config.JobConfig;
import io.kvwatch.config.JobOptions;
import io.kvwatch.testing.KafkaBroker;
import io.kvwatch.testing.LoopbackMiniCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.TimeUtils;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Alert latency against the real broker: from a record's append to the input topic to its alert's append to the
 * alert topic, both timestamps assigned by the broker ({@code LogAppendTime}), and to the alert being readable by a
 * {@code read_committed} consumer (which, with exactly-once delivery, is only after the checkpoint commits it).
 *
 * <p>Per configuration: a fresh job on a MiniCluster reading a two-partition topic; a preload of every term (their
 * first-sight alerts are not measured); then the measured traffic at a steady rate, 95% repeats, so about one record
 * in twenty alerts; then traffic continues past the out-of-orderness bound, so that the last measured alerts can
 * leave. The alert's {@code kvwatch.origin} names its input record (partition, offset), whose append time the
 * producer learnt from the broker.
 *
 * <p>A row's out-of-orderness is {@code eventhubs}: the job's own defaults for broker timestamps, as it resolves them
 * for Event Hubs (the topic is declared {@code kafka.timestamp-type=log-append-time}, which is what the Event Hubs
 * preset implies, and no event-time setting is given); {@code kafka}: its defaults for a plain Kafka topic (producer
 * timestamps assumed); or a duration, set by hand with quiet partitions following the clock after 5 s. A checkpoint
 * interval of {@code default} leaves the job's own.
 */
final class LatencyBench {

    private static final Pattern ORIGIN = Pattern.compile("\"kvwatch\\.origin\":\"[^\"@]*-(\\d+)@(\\d+)#\\d+\"");
    private static final Map<String, String> LOG_APPEND_TIME =
            Map.of("message.timestamp.type", "LogAppendTime", "retention.ms", "-1");

    record Result(
            String guarantee,
            String outOfOrderness,
            Duration checkpointInterval,
            int alerts,
            double[] appendToAppend,
            double[] appendToVisible,
            String load) {}

    private LatencyBench() {}

    static String runAll(Map<String, String> opts, Path out) throws Exception {
        int rate = Integer.parseInt(opts.getOrDefault("latency-rate", "2000"));
        int seconds = Integer.parseInt(opts.getOrDefault("latency-seconds", "40"));
        List<String[]> configs = new ArrayList<>();
        for (String c : opts.getOrDefault(
                        "latency-configs",
                        "at-least-once/eventhubs/default,exactly-once/eventhubs/default,"
                                + "at-least-once/kafka/default,exactly-once/kafka/default")
                .split(",")) {
            configs.add(c.strip().split("/"));
        }
        StringBuilder table = new StringBuilder("### Alert latency (real broker, LogAppendTime; p=2, 2 partitions, "
                + rate + " records/s, " + seconds + " s measured per row)\n\n"
                + "| delivery | out-of-orderness | checkpoint interval | alerts | append→append p50 | p99 | max "
                + "| append→readable (read_committed) p50 | p99 | max | load (1 min) |\n"
                + "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
        try (KafkaBroker broker = KafkaBroker.start()) {
            int n = 0;
            for (String[] c : configs) {
                Duration checkpoints = c[2].equals("default") ? null : TimeUtils.parseDuration(c[2]);
                Result r = run(broker, "run" + (n++), c[0], c[1], checkpoints, rate, seconds, out);
                table.append(String.format(
                        Locale.ROOT,
                        "| %s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s |\n",
                        r.guarantee(),
                        r.outOfOrderness(),
                        BenchMain.millis(r.checkpointInterval().toMillis()),
                        r.alerts(),
                        ms(r.appendToAppend(), 0.5),
                        ms(r.appendToAppend(), 0.99),
                        ms(r.appendToAppend(), 1.0),
                        ms(r.appendToVisible(), 0.5),
                        ms(r.appendToVisible(), 0.99),
                        ms(r.appendToVisible(), 1.0),
                        r.load()));
                System.out.println(table);
            }
        }
        return table.toString();
    }

    static Result run(
            KafkaBroker broker,
            String name,
            String guarantee,
            String outOfOrderness,
            Duration checkpointInterval,
            int rate,
            int seconds,
            Path out)
            throws Exception {
        String in = "kv-audit-" + name;
        String alerts = "kv-alerts-" + name;
        broker.createTopic(in, 2, LOG_APPEND_TIME);
        broker.createTopic(alerts, 2, LOG_APPEND_TIME);
        broker.createTopic("kv-dead-letters-" + name, 1, LOG_APPEND_TIME);
        String load = Machine.load();

        Map<String, String> settings = new HashMap<>();
        settings.put("kafka.bootstrap-servers", broker.bootstrapServers());
        settings.put("kafka.topic", in);
        settings.put("kafka.group-id", "bench-" + name);
        settings.put("alerts.topic", alerts);
        settings.put("dead-letters.topic", "kv-dead-letters-" + name);
        settings.put("delivery-guarantee", guarantee);
        settings.put("transactional-id-prefix", "bench-" + name);
        switch (outOfOrderness) {
            case "eventhubs" -> settings.put("kafka.timestamp-type", "log-append-time"); // as the preset implies
            case "kafka" -> {} // plain Kafka: producer timestamps assumed
            default -> {
                settings.put("out-of-orderness", outOfOrderness);
                settings.put("idleness", "5 s");
                settings.put("idle-watermark-follows-clock", "true"); // the topic's timestamps are the broker's
            }
        }
        if (checkpointInterval != null) {
            settings.put("checkpoint-interval", checkpointInterval.toMillis() + " ms");
        }
        settings.put("parallelism", "2");
        JobConfig config = JobConfig.of(settings);
        // What the job resolves, not what the row asked for: the table shows the settings in force.
        EventTimeSettings eventTime = EventTimeSettings.forKafka(config, false);
        Duration checkpoints = config.get(JobOptions.CHECKPOINT_INTERVAL);
        String shownOutOfOrderness = BenchMain.millis(eventTime.outOfOrderness().toMillis())
                + (outOfOrderness.equals("eventhubs")
                        ? " (Event Hubs defaults)"
                        : outOfOrderness.equals("kafka") ? " (Kafka defaults)" : "");

        Configuration conf = new Configuration();
        LoopbackMiniCluster.withSlots(2).getConfiguration().toMap().forEach(conf::setString);
        conf.setString(
                "execution.checkpointing.dir",
                Files.createDirectories(out.resolve("latency-checkpoints"))
                        .toUri()
                        .toString());
        BenchWorkload workload = new BenchWorkload(20_000);
        BenchWorkload.Measured traffic = workload.measured((long) rate * (seconds + 120), 9);

        Map<Long, Long> appendTimes = new ConcurrentHashMap<>(); // partition << 48 | offset → append time
        List<long[]> seen = new ArrayList<>(); // partition, offset, alert append time, readable at
        AtomicBoolean stop = new AtomicBoolean();
        try (MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder()
                        .setConfiguration(conf)
                        .setNumTaskManagers(1)
                        .setNumSlotsPerTaskManager(2)
                        .build());
                KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProperties(broker))) {
            cluster.start();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
            new KeyVaultNewTermsJob(
                            config, KeyVaultNewTermsJob.inputFrom(config), KeyVaultNewTermsJob.outputsFrom(config))
                    .build(env);
            JobID job = cluster.submitJob(env.getStreamGraph()).get().getJobID();

            Thread reader = new Thread(() -> readAlerts(broker, alerts, stop, seen), "alert-reader");
            reader.setDaemon(true);
            reader.start();

            // Preload: every term once, as fast as the broker takes it; their alerts are not measured.
            for (long e = 0; e < workload.preloadEnvelopes(); e++) {
                producer.send(new ProducerRecord<>(in, bytes(workload.preloadEnvelope(e))));
            }
            producer.flush();
            long preloadDeadline = System.currentTimeMillis() + 180_000;
            int next = 0;
            while (size(seen) < workload.terms * 0.99 && System.currentTimeMillis() < preloadDeadline) {
                next = paced(
                        producer, in, traffic, rate, 1_000, null, next); // event time moves on, as with live traffic
            }
            BenchMain.log(name + ": preload alerted " + size(seen) + " of " + workload.terms + " terms; measuring "
                    + guarantee + ", " + eventTime.describe() + ", checkpoints every " + checkpoints);

            // Warm-up, measured window, and a tail that lets the window's last alerts out.
            next = paced(producer, in, traffic, rate, 10_000, null, next);
            next = paced(producer, in, traffic, rate, seconds * 1000L, appendTimes, next);
            long tail = Math.max(10_000, eventTime.outOfOrderness().toMillis() + 2 * checkpoints.toMillis() + 5_000);
            paced(producer, in, traffic, rate, tail, null, next);
            stop.set(true);
            reader.join(10_000);
            cluster.cancelJob(job).get(1, TimeUnit.MINUTES);

            List<Double> toAppend = new ArrayList<>();
            List<Double> toVisible = new ArrayList<>();
            synchronized (seen) {
                for (long[] s : seen) {
                    Long appended = appendTimes.get((s[0] << 48) | s[1]);
                    if (appended != null) {
                        toAppend.add((double) (s[2] - appended));
                        toVisible.add((double) (s[3] - appended));
                    }
                }
            }
            return new Result(
                    guarantee,
                    shownOutOfOrderness,
                    checkpoints,
                    toAppend.size(),
                    sorted(toAppend),
                    sorted(toVisible),
                    load + " → " + Machine.load());
        }
    }

    /**
     * Sends messages at {@code rate} records per second for {@code millis}, starting at message {@code from}; with
     * {@code appendTimes}, records each message's broker-assigned append time. Returns the next message index.
     */
    private static int paced(
            KafkaProducer<byte[], byte[]> producer,
            String topic,
            BenchWorkload.Measured traffic,
            int rate,
            long millis,
            Map<Long, Long> appendTimes,
            int from)
            throws InterruptedException {
        double recordsPerMessage = (double) traffic.records() / traffic.messages().length;
        long intervalNanos = (long) (1e9 * recordsPerMessage / rate);
        long start = System.nanoTime();
        long end = start + millis * 1_000_000;
        int i = from;
        for (long due = start; due < end; due += intervalNanos, i++) {
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            producer.send(
                    new ProducerRecord<>(topic, bytes(traffic.messages()[i % traffic.messages().length])),
                    appendTimes == null
                            ? null
                            : (meta, e) -> {
                                if (e == null) {
                                    appendTimes.put(((long) meta.partition() << 48) | meta.offset(), meta.timestamp());
                                }
                            });
        }
        producer.flush();
        return i;
    }

    private static void readAlerts(KafkaBroker broker, String topic, AtomicBoolean stop, List<long[]> seen) {
        Properties p = new Properties();
        p.putAll(broker.clientProperties());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-alert-reader-" + topic);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "10");
        try (KafkaConsumer<byte[], String> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of(topic));
            while (!stop.get()) {
                for (ConsumerRecord<byte[], String> r : consumer.poll(Duration.ofMillis(50))) {
                    long now = System.currentTimeMillis();
                    Matcher m = ORIGIN.matcher(r.value());
                    if (m.find()) {
                        synchronized (seen) {
                            seen.add(new long[] {
                                Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), r.timestamp(), now
                            });
                        }
                    }
                }
            }
        }
    }

    private static Properties producerProperties(KafkaBroker broker) {
        Properties p = new Properties();
        p.putAll(broker.clientProperties());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(4 << 20));
        return p;
    }

    private static int size(List<long[]> seen) {
        synchronized (seen) {
            return seen.size();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static double[] sorted(List<Double> xs) {
        double[] v = xs.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(v);
        return v;
    }

    private static String ms(double[] sorted, double quantile) {
        if (sorted.length == 0) {
            return "–";
        }
        int i = (int) Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1);
        return BenchMain.millis(sorted[Math.max(0, i)]);
    }
}
