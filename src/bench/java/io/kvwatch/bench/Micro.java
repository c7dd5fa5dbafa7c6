package io.kvwatch.bench;

import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/** Runs the JMH microbenchmarks of {@code io.kvwatch.bench.jmh} and formats their scores. */
final class Micro {

    private Micro() {}

    static String run(Map<String, String> opts) throws Exception {
        Options options = new OptionsBuilder()
                .include(opts.getOrDefault("jmh-include", "io\\.kvwatch\\.bench\\.jmh\\..*"))
                .forks(Integer.parseInt(opts.getOrDefault("jmh-forks", "1")))
                .warmupIterations(3)
                .warmupTime(TimeValue.seconds(2))
                .measurementIterations(5)
                .measurementTime(TimeValue.seconds(2))
                .jvmArgsAppend(
                        "-Xmx2g",
                        "--add-opens=java.base/java.util=ALL-UNNAMED",
                        "--add-opens=java.base/java.lang=ALL-UNNAMED",
                        "-Dlog4j.configurationFile=" + System.getProperty("log4j.configurationFile", ""))
                .build();
        String load = Machine.load();
        Collection<RunResult> results = new Runner(options).run();
        StringBuilder sb = new StringBuilder("### JMH microbenchmarks (load average " + load + " → " + Machine.load()
                + ")\n\n| benchmark | score | error (99.9%) | unit |\n|---|---:|---:|---|\n");
        for (RunResult r : results) {
            var primary = r.getPrimaryResult();
            String name = r.getParams().getBenchmark().replace("io.kvwatch.bench.jmh.", "");
            sb.append(String.format(
                    Locale.ROOT,
                    "| %s | %.3f | %.3f | %s |\n",
                    name,
                    primary.getScore(),
                    primary.getScoreError(),
                    primary.getScoreUnit()));
        }
        return sb.toString();
    }
}
