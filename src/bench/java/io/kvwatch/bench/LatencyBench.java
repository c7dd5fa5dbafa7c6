package io.kvwatch.bench;

import java.nio.file.Path;
import java.util.Map;

/** Alert latency against the real broker: needs the job's Kafka I/O. */
final class LatencyBench {

    private LatencyBench() {}

    static String runAll(Map<String, String> opts, Path out) {
        return "### Alert latency\n\n(not yet: needs the Kafka I/O)\n";
    }
}
