package io.kvwatch.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.apache.flink.util.FileUtils;

/**
 * Runs the benchmarks and prints the results table (also written to {@code target/bench/results.md}).
 *
 * <pre>
 * mvn -B -Pbench -DskipTests verify exec:exec@bench [-Dbench.args="..."]
 *
 *   --only throughput|kafka|jmh|latency|all  what to run (default all)
 *   --terms 1000000,10000000              distinct terms preloaded into the state
 *   --parallelism 1,2                     job parallelism
 *   --backends hashmap,rocksdb            state backends
 *   --term-cleanup ttl,event-time         the job's term-cleanup modes to run (default: the job's default, ttl)
 *   --flink-conf k=v;k=v                  Flink settings over the bench's own (e.g. RocksDB tuning)
 *   --records 1000000                     records in the timed phase
 *   --runs 3                              runs per configuration (the table shows medians)
 *   --runs-large 1                        runs per configuration at 10 M terms and more
 *   --baselines true|false                run the single-threaded baselines (default true)
 *   --latency-rate 2000                   latency: input records per second
 *   --latency-seconds 40                  latency: length of the measured window per row
 *   --latency-configs G/O/C,...           latency: rows as delivery guarantee/out-of-orderness/checkpoint interval;
 *                                         O "eventhubs" (the job's defaults for Event Hubs timestamps), "kafka"
 *                                         (its defaults for producer timestamps) or a duration; C "default" or a duration
 *   --peers job,sql-dedup,sql-lag         kafka: the readers of the topic (the job, its Flink SQL peers)
 *   --sql-check true|false                kafka: the SQL peers' alerts against the oracle (default true)
 *                                         (kafka takes --terms, --parallelism, --backends, --records too; its
 *                                         defaults: 1000000, 1, hashmap, 1000000)
 *   --jmh-include REGEX                   JMH: which benchmarks (default all of io.kvwatch.bench.jmh)
 *   --jmh-forks 1                         JMH: forks per benchmark
 *
 * -Dbench.jfr=true (in -Dbench.jvm) records the timed phase of each job run with JFR into target/bench/ (kafka: each
 * reader's whole read).
 * </pre>
 */
public final class BenchMain {

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = parse(args);
        String only = opts.getOrDefault("only", "all");
        Path out = Path.of(System.getProperty("project.build.directory", "target"), "bench");
        Files.createDirectories(out);
        StringBuilder report = new StringBuilder();
        report.append(Machine.describe()).append("\n\n");
        if (only.equals("all") || only.equals("throughput")) {
            report.append(throughput(opts, out)).append('\n');
        }
        if (only.equals("all") || only.equals("kafka")) {
            report.append(KafkaBench.runAll(opts, out)).append('\n');
        }
        if (only.equals("all") || only.equals("latency")) {
            report.append(LatencyBench.runAll(opts, out)).append('\n');
        }
        if (only.equals("all") || only.equals("jmh")) {
            report.append(Micro.run(opts)).append('\n');
        }
        Files.writeString(out.resolve("results.md"), report.toString());
        System.out.println();
        System.out.println(report);
        System.out.println("(also in " + out.resolve("results.md") + ")");
        System.exit(0); // Flink and Kafka client threads must not keep the JVM alive
    }

    static String throughput(Map<String, String> opts, Path out) throws Exception {
        long[] termCounts = Arrays.stream(
                        opts.getOrDefault("terms", "1000000,10000000").split(","))
                .mapToLong(Long::parseLong)
                .toArray();
        int[] parallelisms = Arrays.stream(
                        opts.getOrDefault("parallelism", "1,2").split(","))
                .mapToInt(Integer::parseInt)
                .toArray();
        String[] backends = opts.getOrDefault("backends", "hashmap,rocksdb").split(",");
        String[] cleanups =
                opts.containsKey("term-cleanup") ? opts.get("term-cleanup").split(",") : new String[] {null};
        long records = Long.parseLong(opts.getOrDefault("records", "1000000"));
        int runs = Integer.parseInt(opts.getOrDefault("runs", "3"));
        int runsLarge = Integer.parseInt(opts.getOrDefault("runs-large", "1"));

        StringBuilder table = new StringBuilder();
        table.append("### Throughput and state (medians of the runs shown)\n\n")
                .append(
                        "| terms | state | p | runs | records/s | per core (÷ p) | per CPU-second | ÷ plain loop | ÷ plain loop (CPU) "
                                + "| bytes/term full | bytes/term incremental | heap bytes/term | checkpoint full "
                                + "| checkpoint incremental | preload | load (1 min) |\n")
                .append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        StringBuilder baselines = new StringBuilder("### Same-run baselines (single thread, same bytes)\n\n"
                + "| terms | plain loop (Jackson tree, HashMap<String,Long>) records/s | per CPU-second "
                + "| job code loop (the job's parser, filter, digest, episodes; HashMap) records/s | per CPU-second "
                + "| load (1 min) |\n|---:|---:|---:|---:|---:|---|\n");
        for (long terms : termCounts) {
            int r = terms >= 10_000_000 ? runsLarge : runs;
            BenchWorkload workload = new BenchWorkload(terms);
            log("generating " + records + " records over " + terms + " terms (" + workload.users + " users × "
                    + workload.objects + " objects)");
            BenchWorkload.Measured measured = workload.measured(records, 1);
            log(String.format(
                    Locale.ROOT,
                    "%d messages, %d records (%d counting, %d new terms), %.0f bytes/record",
                    measured.messages().length,
                    measured.records(),
                    measured.counting(),
                    measured.newTerms(),
                    (double) measured.bytes() / measured.records()));

            String loadBefore = Machine.load();
            boolean withBaselines = Boolean.parseBoolean(opts.getOrDefault("baselines", "true"));
            Baselines.Rate none = new Baselines.Rate(Double.NaN, Double.NaN);
            Baselines.Rate plain = withBaselines ? Baselines.plainLoop(workload, measured, r) : none;
            Baselines.Rate jobCode = withBaselines ? Baselines.jobCodeLoop(workload, measured, r) : none;
            baselines.append(String.format(
                    Locale.ROOT,
                    "| %s | %s | %s | %s | %s | %s → %s |\n",
                    millions(terms),
                    rate(plain.perSecond()),
                    rate(plain.perCpuSecond()),
                    rate(jobCode.perSecond()),
                    rate(jobCode.perCpuSecond()),
                    loadBefore,
                    Machine.load()));

            for (String backend : backends) {
                for (String cleanup : cleanups) {
                    for (int p : parallelisms) {
                        List<ThroughputBench.Result> results = new ArrayList<>();
                        List<String> loads = new ArrayList<>();
                        for (int i = 0; i < r; i++) {
                            loads.add(Machine.load());
                            log("run " + (i + 1) + "/" + r + ": " + backend + " p=" + p + " terms=" + terms
                                    + " term-cleanup=" + (cleanup == null ? "default" : cleanup) + " load "
                                    + loads.get(i));
                            Path work = Files.createTempDirectory(out, "run-");
                            try {
                                ThroughputBench.Result res = ThroughputBench.run(
                                        workload, measured, p, backend, cleanup, flinkConf(opts), work);
                                log(String.format(
                                        Locale.ROOT,
                                        "  %.0f records/s (%.0f per core, %.0f per CPU-second) over %.1f s; "
                                                + "preload %.0f s; heap %d bytes; full checkpoint %d bytes in %d ms%s",
                                        res.recordsPerSecond(),
                                        res.perCore(),
                                        res.perCpuSecond(),
                                        res.seconds(),
                                        res.preloadSeconds(),
                                        res.heapBytes(),
                                        res.full().bytes(),
                                        res.full().millis(),
                                        res.incremental() == null
                                                ? ""
                                                : "; incremental "
                                                        + res.incremental().bytes() + " bytes in "
                                                        + res.incremental().millis() + " ms"));
                                results.add(res);
                            } finally {
                                FileUtils.deleteDirectoryQuietly(work.toFile());
                            }
                        }
                        double total = median(results, ThroughputBench.Result::recordsPerSecond);
                        double perCpu = median(results, ThroughputBench.Result::perCpuSecond);
                        boolean rocks = backend.equals("rocksdb");
                        table.append(String.format(
                                Locale.ROOT,
                                "| %s | %s | %d | %d | %s | %s | %s | %s | %s | %.0f | %s | %.0f | %s | %s | %.0f s | %s |\n",
                                millions(terms),
                                backend + " (" + (cleanup == null ? "ttl" : cleanup) + ")",
                                p,
                                r,
                                rate(total),
                                rate(median(results, ThroughputBench.Result::perCore)),
                                rate(perCpu),
                                percent(total / plain.perSecond()),
                                percent(perCpu / plain.perCpuSecond()),
                                median(results, x -> (double) x.full().bytes() / terms),
                                rocks
                                        ? String.format(
                                                Locale.ROOT,
                                                "%.0f",
                                                median(
                                                        results,
                                                        x -> (double) x.incremental()
                                                                        .bytes()
                                                                / terms))
                                        : "–",
                                median(results, x -> (double) x.heapBytes() / terms),
                                millis(median(results, x -> x.full().millis())),
                                rocks
                                        ? millis(median(
                                                results, x -> x.incremental().millis()))
                                        : "–",
                                median(results, ThroughputBench.Result::preloadSeconds),
                                String.join(", ", loads)));
                        System.out.println(table);
                    }
                }
            }
        }
        return table + "\n" + baselines;
    }

    static <T> double median(List<T> xs, ToDoubleFunction<T> f) {
        double[] v = xs.stream().mapToDouble(f).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    static String rate(double perSecond) {
        if (Double.isNaN(perSecond)) {
            return "–";
        }
        return perSecond >= 1e6
                ? String.format(Locale.ROOT, "%.2f M", perSecond / 1e6)
                : String.format(Locale.ROOT, "%.1f k", perSecond / 1e3);
    }

    static String percent(double ratio) {
        return Double.isNaN(ratio) ? "–" : String.format(Locale.ROOT, "%.0f%%", 100 * ratio);
    }

    static String millis(double ms) {
        if (ms >= 1000 && ms % 1000 == 0) {
            return String.format(Locale.ROOT, "%.0f s", ms / 1e3);
        }
        return ms >= 10_000
                ? String.format(Locale.ROOT, "%.1f s", ms / 1e3)
                : String.format(Locale.ROOT, "%.0f ms", ms);
    }

    static String millions(long n) {
        return n % 1_000_000 == 0 ? (n / 1_000_000) + " M" : Long.toString(n);
    }

    static void log(String s) {
        System.out.println("[bench " + java.time.LocalTime.now().withNano(0) + "] " + s);
    }

    /** {@code --flink-conf k=v;k=v}: Flink settings laid over the bench's own. */
    static Map<String, String> flinkConf(Map<String, String> opts) {
        Map<String, String> conf = new LinkedHashMap<>();
        for (String kv : opts.getOrDefault("flink-conf", "").split(";")) {
            if (!kv.isBlank()) {
                int eq = kv.indexOf('=');
                conf.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
            }
        }
        return conf;
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --key value pairs, got " + Arrays.toString(args));
            }
            m.put(args[i].substring(2), args[++i]);
        }
        return m;
    }
}
