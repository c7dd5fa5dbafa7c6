package io.kvwatch.testing;

import io.kvwatch.io.MessageInput;
import io.kvwatch.model.RawMessage;
import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.connector.file.src.reader.TextLineInputFormat;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * An unbounded test input: NDJSON files in a directory, watched for new files, so that a job can be stopped with a
 * savepoint mid-stream and restored over more files. Its uids are part of the savepoints made with it: never change
 * them.
 */
public final class WatchedDirectoryInput implements MessageInput {

    private final String directory;

    public WatchedDirectoryInput(String directory) {
        this.directory = directory;
    }

    @Override
    public DataStream<RawMessage> open(StreamExecutionEnvironment env) {
        FileSource<String> source = FileSource.forRecordStreamFormat(new TextLineInputFormat(), new Path(directory))
                .monitorContinuously(Duration.ofMillis(200))
                .build();
        String origin = "file:" + directory;
        return env.fromSource(source, WatermarkStrategy.noWatermarks(), "Watched directory")
                .uid("watched-directory-source")
                .map(line -> new RawMessage(line, RawMessage.NO_TIMESTAMP, origin))
                .uid("watched-directory-lines")
                .name("Lines to messages");
    }

    @Override
    public boolean stampsIngestTime() {
        return false;
    }
}
