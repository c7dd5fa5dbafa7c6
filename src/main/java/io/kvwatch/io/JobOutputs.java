package io.kvwatch.io;

import io.kvwatch.alert.Alert;
import org.apache.flink.streaming.api.datastream.DataStream;

/** Where the job's two results go: alerts, and dead letters (JSON documents). */
public interface JobOutputs {

    void alerts(DataStream<Alert> alerts);

    void deadLetters(DataStream<String> deadLetters);
}
