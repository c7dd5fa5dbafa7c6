package io.kvwatch.io;

import io.kvwatch.model.RawMessage;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/** Where Event Hubs messages come from: files (local mode) or Kafka / the Event Hubs Kafka endpoint. */
public interface MessageInput {

    /** Adds the source to the pipeline. */
    DataStream<RawMessage> open(StreamExecutionEnvironment env);

    /**
     * Whether the transport stamps each message with its ingest time (the Kafka record timestamp) and the source
     * already emits watermarks from it, per partition. When false, the job derives event time from each record's own
     * time fields after parsing.
     */
    boolean stampsIngestTime();

    /**
     * Whether the input ends (files, a bounded Kafka read). Then the job holds event time back until the input is
     * read, so that every decision is made on the whole history, whatever order the messages come in.
     */
    default boolean bounded() {
        return false;
    }
}
