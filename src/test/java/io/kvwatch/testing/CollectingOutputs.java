package io.kvwatch.testing;

import io.kvwatch.alert.Alert;
import io.kvwatch.io.JobOutputs;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.streaming.api.datastream.DataStream;

/** Outputs for MiniCluster tests: everything the job emits, collected in memory of this JVM. */
public final class CollectingOutputs implements JobOutputs {

    private static final Map<String, ConcurrentLinkedQueue<String>> RESULTS = new ConcurrentHashMap<>();

    private final String alertsId = UUID.randomUUID().toString();
    private final String deadLettersId = UUID.randomUUID().toString();

    @Override
    public void alerts(DataStream<Alert> alerts) {
        alerts.map(a -> a.json).name("alert json").sinkTo(new Collecting(alertsId)).name("collect alerts");
    }

    @Override
    public void deadLetters(DataStream<String> deadLetters) {
        deadLetters.sinkTo(new Collecting(deadLettersId)).name("collect dead letters");
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
