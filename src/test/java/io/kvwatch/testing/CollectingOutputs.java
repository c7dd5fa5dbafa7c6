package io.kvwatch.testing;

import io.kvwatch.KeyVaultNewTermsJob;
import io.kvwatch.alert.Alert;
import io.kvwatch.config.JobConfig;
import io.kvwatch.io.FileInput;
import io.kvwatch.io.JobOutputs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/** Outputs for MiniCluster tests: everything the job emits, collected in memory of this JVM. */
public final class CollectingOutputs implements JobOutputs {

    private static final Map<String, ConcurrentLinkedQueue<String>> RESULTS = new ConcurrentHashMap<>();

    private final String alertsId = UUID.randomUUID().toString();
    private final String deadLettersId = UUID.randomUUID().toString();

    @Override
    public void alerts(DataStream<Alert> alerts) {
        alerts.map(a -> a.json)
                .name("alert json")
                .sinkTo(new Collecting(alertsId))
                .name("collect alerts");
    }

    @Override
    public void deadLetters(DataStream<String> deadLetters) {
        deadLetters.sinkTo(new Collecting(deadLettersId)).name("collect dead letters");
    }

    /**
     * Runs the job to its end on the MiniCluster of the calling test, over a file or directory of messages, and
     * returns what it emitted. {@code flink}, when not null, is configuration for the job's environment.
     */
    public static CollectingOutputs runJob(Path input, Map<String, String> settings, Configuration flink)
            throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        if (flink != null) {
            env.configure(flink);
        }
        CollectingOutputs outputs = new CollectingOutputs();
        new KeyVaultNewTermsJob(JobConfig.of(settings), FileInput.of(input.toString()), outputs).build(env);
        env.execute();
        return outputs;
    }

    public List<String> alerts() {
        return new ArrayList<>(RESULTS.getOrDefault(alertsId, new ConcurrentLinkedQueue<>()));
    }

    public List<String> deadLetters() {
        return new ArrayList<>(RESULTS.getOrDefault(deadLettersId, new ConcurrentLinkedQueue<>()));
    }

    private static final class Collecting implements Sink<String> {
        private static final long serialVersionUID = 1L;
        private final String id;

        Collecting(String id) {
            this.id = id;
        }

        @Override
        public SinkWriter<String> createWriter(WriterInitContext context) {
            ConcurrentLinkedQueue<String> queue = RESULTS.computeIfAbsent(id, k -> new ConcurrentLinkedQueue<>());
            return new SinkWriter<>() {
                @Override
                public void write(String element, Context ctx) {
                    queue.add(element);
                }

                @Override
                public void flush(boolean endOfInput) {}

                @Override
                public void close() {}
            };
        }
    }
}
