package io.kvwatch.alert;

import io.kvwatch.model.Detection;
import java.time.Duration;
import java.time.Instant;
import org.apache.flink.api.common.functions.MapFunction;

/** Renders detections as alert documents, stamped with the wall-clock time the alert was made. */
public class FormatAlerts implements MapFunction<Detection, Alert> {

    private static final long serialVersionUID = 1L;

    private final Duration historyWindow;

    public FormatAlerts(Duration historyWindow) {
        this.historyWindow = historyWindow;
    }

    @Override
    public Alert map(Detection detection) {
        return AlertDocument.of(detection, Instant.now(), historyWindow);
    }
}
