package io.kvwatch.bench;

import io.kvwatch.alert.Alert;
import io.kvwatch.io.JobOutputs;
import io.kvwatch.io.MessageInput;
import io.kvwatch.model.RawMessage;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

/** The job's ends for the throughput benchmark: the in-memory source, and sinks that discard. */
final class BenchOutputs implements JobOutputs {

    @Override
    public void alerts(DataStream<Alert> alerts) {
        alerts.sinkTo(new DiscardingSink<>()).uid("alert-sink").name("Alerts discarded");
    }

    @Override
    public void deadLetters(DataStream<String> deadLetters) {
        deadLetters.sinkTo(new DiscardingSink<>()).uid("dead-letter-sink").name("Dead letters discarded");
    }

    /** Messages from {@link PreloadedSource}; like files, they carry no ingest timestamp. */
    static final class Input implements MessageInput {
        @Override
        public DataStream<RawMessage> open(StreamExecutionEnvironment env) {
            return env.fromSource(
                            new PreloadedSource(),
                            WatermarkStrategy.noWatermarks(),
                            "Messages in memory",
                            TypeInformation.of(RawMessage.class))
                    .uid("bench-source");
        }

        @Override
        public boolean stampsIngestTime() {
            return false;
        }
    }
}
