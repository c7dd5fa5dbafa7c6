package io.kvwatch.io;

import io.kvwatch.alert.Alert;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.flink.api.common.serialization.SimpleStringEncoder;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamSink;
import org.apache.flink.streaming.api.functions.sink.PrintSink;

/**
 * The local-mode outputs. Each goes to a file (one document per line), to a directory of part files (Flink's
 * exactly-once file sink) when the path ends in '/' or is an existing directory, or to the console when no path is
 * given: alerts to stdout, dead letters to stderr.
 */
public final class LocalOutputs implements JobOutputs {

    private final String alertPath;
    private final String deadLetterPath;

    /** The alert sink's uid; its writer's operator id derives from it (the run summary counts by it). */
    public static final String ALERT_SINK_UID = "alert-sink";

    public LocalOutputs(String alertPath, String deadLetterPath) {
        this.alertPath = alertPath;
        this.deadLetterPath = deadLetterPath;
    }

    @Override
    public void alerts(DataStream<Alert> alerts) {
        attach(alerts, alertPath, false, ALERT_SINK_UID, "Alerts");
    }

    @Override
    public void deadLetters(DataStream<String> deadLetters) {
        attach(deadLetters, deadLetterPath, true, "dead-letter-sink", "Dead letters");
    }

    private static <T> void attach(DataStream<T> stream, String path, boolean stderr, String uid, String what) {
        boolean directory = path != null && (path.endsWith("/") || Files.isDirectory(Path.of(path)));
        Sink<T> sink;
        if (path == null) {
            sink = new PrintSink<>(stderr);
        } else if (directory) {
            sink = FileSink.<T>forRowFormat(new org.apache.flink.core.fs.Path(path), new SimpleStringEncoder<>())
                    .build();
        } else {
            sink = new LineFileSink<>(path);
        }
        DataStreamSink<T> attached =
                stream.sinkTo(sink).uid(uid).name(what + (path == null ? " to console" : " to " + path));
        if (!directory) {
            attached.setParallelism(1); // one file or one console: a single writer keeps lines whole and in order
        }
    }
}
