package io.kvwatch.alert;

import io.kvwatch.model.Detection;
import io.kvwatch.rule.DetectionRule;
import java.time.Instant;
import org.apache.flink.api.common.functions.MapFunction;

/** Renders detections as alert documents of the rule, stamped with the wall-clock time the alert was made. */
public class FormatAlerts implements MapFunction<Detection, Alert> {

    private static final long serialVersionUID = 1L;

    /** Read from the rule file when the job was built; shipped with the function. */
    private final DetectionRule rule;

    public FormatAlerts(DetectionRule rule) {
        this.rule = rule;
    }

    @Override
    public Alert map(Detection detection) {
        return AlertDocument.of(detection, Instant.now(), rule);
    }

    /** The same for the alerts of {@link AlertSuppressor}, which carry their suppression window. */
    public static class Suppressed implements MapFunction<SuppressionWindow, Alert> {

        private static final long serialVersionUID = 1L;

        private final DetectionRule rule;

        public Suppressed(DetectionRule rule) {
            this.rule = rule;
        }

        @Override
        public Alert map(SuppressionWindow window) {
            return AlertDocument.of(window, Instant.now(), rule);
        }
    }
}
