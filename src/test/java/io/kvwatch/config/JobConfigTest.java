package io.kvwatch.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvwatch.KeyVaultNewTermsJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Settings: arguments over environment over file over defaults, typed, with unknown keys refused. */
class JobConfigTest {

    @TempDir
    Path dir;

    @Test
    void defaultsAreTheRulesOwn() {
        JobConfig c = JobConfig.load(new String[0], Map.of());
        assertThat(KeyVaultNewTermsJob.rule(c).historyWindow())
                .as("the bundled rule's window")
                .isEqualTo(Duration.ofDays(14));
        assertThat(c.getOptional(JobOptions.OUT_OF_ORDERNESS))
                .as("derived from the input, not set")
                .isEmpty();
        assertThat(EventTimeSettings.forRecordTime(c).outOfOrderness())
                .as("the bound for the sample's record times")
                .isGreaterThanOrEqualTo(Duration.ofSeconds(30));
        assertThat(c.get(JobOptions.REQUIRE_2XX)).isFalse();
        assertThat(c.getOptional(JobOptions.INPUT)).isEmpty();
    }

    @Test
    void argumentsOverEnvironmentOverFile() throws Exception {
        Path file = dir.resolve("job.properties");
        Files.writeString(file, "history-window=10d\nout-of-orderness=5s\nidleness=2min\n");
        Map<String, String> env = Map.of(
                "KVWATCH_CONFIG", file.toString(),
                "KVWATCH_OUT_OF_ORDERNESS", "7s",
                "KVWATCH_HISTORY_WINDOW", "9d");

        JobConfig c = JobConfig.load(new String[] {"--history-window", "8d", "--require-2xx"}, env);

        assertThat(c.get(JobOptions.HISTORY_WINDOW)).as("argument wins").isEqualTo(Duration.ofDays(8));
        assertThat(c.get(JobOptions.OUT_OF_ORDERNESS))
                .as("environment over file")
                .isEqualTo(Duration.ofSeconds(7));
        assertThat(c.get(JobOptions.IDLENESS)).as("file over default").isEqualTo(Duration.ofMinutes(2));
        assertThat(c.get(JobOptions.REQUIRE_2XX)).as("a bare flag is true").isTrue();
    }

    @Test
    void equalsFormAndConfigArgument() throws Exception {
        Path file = dir.resolve("job.properties");
        Files.writeString(file, "input=/data/in.ndjson\n");
        JobConfig c = JobConfig.load(new String[] {"--config", file.toString(), "--output=/tmp/a b.ndjson"}, Map.of());
        assertThat(c.get(JobOptions.INPUT)).isEqualTo("/data/in.ndjson");
        assertThat(c.get(JobOptions.OUTPUT)).isEqualTo("/tmp/a b.ndjson");
    }

    @Test
    void unknownKeysAreRefusedWithTheKnownOnes() {
        assertThatThrownBy(() -> JobConfig.load(new String[] {"--histroy-window", "7d"}, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("histroy-window")
                .hasMessageContaining("history-window");
    }

    @Test
    void badValuesNameTheirKey() {
        JobConfig c = JobConfig.load(new String[] {"--history-window", "fortnight"}, Map.of());
        assertThatThrownBy(() -> c.get(JobOptions.HISTORY_WINDOW)).hasMessageContaining("history-window");
    }

    @Test
    void environmentNamesFollowTheKeys() {
        assertThat(JobConfig.envName("history-window")).isEqualTo("KVWATCH_HISTORY_WINDOW");
        assertThat(JobConfig.envName("kafka.group-id")).isEqualTo("KVWATCH_KAFKA_GROUP_ID");
    }
}
