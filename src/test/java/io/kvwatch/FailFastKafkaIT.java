package io.kvwatch;

import static io.kvwatch.FailFastTest.assertSetupError;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvwatch.testing.JobProcess;
import io.kvwatch.testing.KafkaBrokerExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kafka setup mistakes that need a real broker: a topic the job reads or writes does not exist. A local run
 * asks the broker before it starts (the job creates no topics) and ends with one line naming the topic.
 */
class FailFastKafkaIT {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @TempDir
    Path dir;

    @Test
    void inputTopicMissing() throws Exception {
        JobProcess.Result r = job("--kafka.bootstrap-servers", KAFKA.bootstrapServers(),
                "--kafka.topic", "kv-audit-nobody-made", "--kafka.check-timeout", "10s");
        assertSetupError(r, "No topic 'kv-audit-nobody-made' (kafka.topic)", KAFKA.bootstrapServers());
    }

    @Test
    void outputTopicsMissing() throws Exception {
        KAFKA.broker().createTopic("kv-audit-present", 1);
        JobProcess.Result r = job("--kafka.bootstrap-servers", KAFKA.bootstrapServers(),
                "--kafka.topic", "kv-audit-present", "--alerts.topic", "kv-alerts-absent",
                "--dead-letters.topic", "kv-dead-letters-absent", "--kafka.check-timeout", "10s");
        assertSetupError(r, "'kv-alerts-absent' (alerts.topic)", "'kv-dead-letters-absent' (dead-letters.topic)");
        assertThat(r.stderrLines().get(0)).as("the topic that is there is not named").doesNotContain("kv-audit-present");
    }

    private JobProcess.Result job(String... args) throws Exception {
        return JobProcess.run(dir, Duration.ofSeconds(90), Map.of(), KeyVaultNewTermsJob.class.getName(), args);
    }
}
