package io.kvwatch.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvwatch.testing.FakeSecrets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.util.TimeUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Settings that would be read other than meant are refused with one line that says what to write instead. */
class OptionsCannotBeMisreadTest {

    @TempDir
    Path dir;

    static final List<ConfigOption<?>> DURATIONS = JobOptions.all().stream()
            .filter(o -> JobOptions.valueType(o) == Duration.class)
            .toList();

    @Test
    void everyDurationRefusesABareNumberWhereverItComesFrom() throws Exception {
        assertThat(DURATIONS).as("the duration options").hasSizeGreaterThanOrEqualTo(10);
        for (ConfigOption<?> option : DURATIONS) {
            String key = option.key();
            assertThatThrownBy(() -> JobConfig.load(new String[] {"--" + key, "14"}, Map.of()))
                    .as("--%s 14", key)
                    .isInstanceOf(SetupException.class)
                    .hasMessageContaining(key)
                    .hasMessageContaining("without a unit")
                    .hasMessageContaining("ms, s, min, h, d");
            assertThatThrownBy(() -> JobConfig.load(new String[0], Map.of(JobConfig.envName(key), " 30 ")))
                    .as("%s from the environment", key)
                    .isInstanceOf(SetupException.class)
                    .hasMessageContaining(key);
            Path file = Files.writeString(dir.resolve(key + ".properties"), key + "=1.5\n");
            assertThatThrownBy(() -> JobConfig.load(new String[] {"--config", file.toString()}, Map.of()))
                    .as("%s from a file", key)
                    .isInstanceOf(SetupException.class)
                    .hasMessageContaining(key);
            assertThatThrownBy(() -> JobConfig.of(Map.of(key, "7")))
                    .as("%s given directly", key)
                    .isInstanceOf(SetupException.class);
        }
    }

    @Test
    void durationsWithAUnitAndZeroAreTaken() {
        JobConfig c = JobConfig.load(
                        new String[] {
                            "--history-window",
                            "14 d",
                            "--out-of-orderness",
                            "30s",
                            "--idleness",
                            "2min",
                            "--exceptions-reload-interval",
                            "0",
                            "--checkpoint-interval",
                            "500ms",
                            "--suppression-duration",
                            "1h"
                        },
                        Map.of())
                .checkValues();
        assertThat(c.get(JobOptions.HISTORY_WINDOW)).isEqualTo(Duration.ofDays(14));
        assertThat(c.get(JobOptions.OUT_OF_ORDERNESS)).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.get(JobOptions.IDLENESS)).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.get(JobOptions.EXCEPTIONS_RELOAD_INTERVAL))
                .as("0 is 0 in every unit")
                .isZero();
        assertThat(c.get(JobOptions.CHECKPOINT_INTERVAL)).isEqualTo(Duration.ofMillis(500));
        assertThat(c.get(JobOptions.SUPPRESSION_DURATION)).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void everyValueOptionRefusesAMissingValue() {
        for (ConfigOption<?> option : JobOptions.all()) {
            String key = option.key();
            if (JobOptions.valueType(option) == Boolean.class) {
                JobConfig flag = JobConfig.load(new String[] {"--" + key}, Map.of());
                assertThat(flag.get(option)).as("--%s alone", key).isEqualTo(true);
                continue;
            }
            assertThatThrownBy(() -> JobConfig.load(new String[] {"--" + key}, Map.of()))
                    .as("--%s last", key)
                    .isInstanceOf(SetupException.class)
                    .hasMessageStartingWith("--" + key + " needs a value");
            assertThatThrownBy(() -> JobConfig.load(new String[] {"--" + key, "--learning"}, Map.of()))
                    .as("--%s before another option", key)
                    .isInstanceOf(SetupException.class)
                    .hasMessageStartingWith("--" + key + " needs a value");
            assertThatThrownBy(() -> JobConfig.load(new String[] {"--" + key + "="}, Map.of()))
                    .as("--%s= (empty)", key)
                    .isInstanceOf(SetupException.class)
                    .hasMessageStartingWith("--" + key + " needs a value");
        }
        assertThatThrownBy(() -> JobConfig.load(new String[] {"--config"}, Map.of()))
                .hasMessageContaining("--config");
        assertThatThrownBy(() -> JobConfig.load(new String[] {"--kafka.properties.acks"}, Map.of()))
                .hasMessageContaining("--kafka.properties.acks needs a value");
    }

    @Test
    void aValueOfTheWrongFormFailsTheStartNamingItsType() {
        JobConfig c = JobConfig.load(new String[] {"--parallelism", "two"}, Map.of());
        assertThatThrownBy(c::checkValues)
                .isInstanceOf(SetupException.class)
                .hasMessageContaining("'parallelism': two")
                .hasMessageContaining("a whole number");
        JobConfig e = JobConfig.load(new String[] {"--kafka.starting-offsets", "newest"}, Map.of());
        assertThatThrownBy(e::checkValues)
                .hasMessageContaining("one of committed-earliest, committed-latest, earliest, latest");
    }

    @Test
    void typosNameTheNearestKnownKey() {
        assertThatThrownBy(() -> JobConfig.load(new String[] {"--ouptut", "a.ndjson"}, Map.of()))
                .isInstanceOf(SetupException.class)
                .hasMessage("Unknown setting 'ouptut' (did you mean 'output'?); --help lists every option (and"
                        + " kafka.properties.<Kafka client property> passes one to Kafka)");
        assertThatThrownBy(() -> JobConfig.load(new String[] {"--kafka.bootstrap-server", "k:9092"}, Map.of()))
                .hasMessageContaining("did you mean 'kafka.bootstrap-servers'?");
        assertThatThrownBy(() -> JobConfig.load(new String[] {"--colour", "blue"}, Map.of()))
                .as("nothing near: no guess")
                .hasMessageStartingWith("Unknown setting 'colour';");
    }

    @Test
    void kafkaOutputsWithoutAnInputTopicAreRefused() {
        Map<String, String> outputs = Map.of(
                "kafka.bootstrap-servers",
                "k:9092",
                "alerts.topic",
                "kv-alerts",
                "dead-letters.topic",
                "kv-dead-letters");
        assertThatThrownBy(() -> KafkaSettings.from(JobConfig.of(outputs)))
                .isInstanceOf(SetupException.class)
                .hasMessageContaining("without kafka.topic")
                .hasMessageContaining("bundled sample");
        Map<String, String> withFiles = new java.util.HashMap<>(outputs);
        withFiles.put("input", "/data/archive");
        assertThatThrownBy(() -> KafkaSettings.from(JobConfig.of(withFiles)))
                .hasMessageContaining("without kafka.topic");
    }

    @Test
    void eventHubsCredentialsWithoutATopicAreRefusedUnshown() {
        String key = FakeSecrets.sharedAccessKey();
        JobConfig config = JobConfig.of(
                Map.of(),
                Map.of(JobConfig.EVENTHUBS_CONNECTION_STRING_ENV, FakeSecrets.connectionString("kv-logs", key)));
        assertThatThrownBy(() -> KafkaSettings.from(config))
                .isInstanceOf(SetupException.class)
                .hasMessageContaining("the Event Hubs connection string set, but not kafka.topic")
                .hasMessageNotContaining(key);
    }

    @Test
    void helpShowsEveryOptionWithTypeDefaultAndMeaning() {
        String help = OptionsHelp.text("usage line");
        assertThat(help).startsWith("usage line");
        for (ConfigOption<?> option : JobOptions.all()) {
            assertThat(help).as("--help names %s", option.key()).contains("  --" + option.key());
            assertThat(option.description().getBlocks())
                    .as("%s has a meaning", option.key())
                    .isNotEmpty();
            if (option.hasDefaultValue()) {
                Object d = option.defaultValue();
                String shown =
                        d instanceof Duration duration ? TimeUtils.formatWithHighestUnit(duration) : d.toString();
                assertThat(help)
                        .as("--help gives the default of %s", option.key())
                        .containsPattern("--" + java.util.regex.Pattern.quote(option.key()) + "[^\\n]*\\(default: "
                                + java.util.regex.Pattern.quote(shown) + "\\)");
            }
        }
        assertThat(help)
                .contains(
                        "--idleness DURATION   (default: 1 min)",
                        "--out-of-orderness DURATION\n",
                        "--kafka.timestamp-type log-append-time|create-time\n",
                        "--input PATH",
                        "--learning   (default: false)",
                        "--kafka.starting-offsets CHOICE   (default: committed-earliest)",
                        "One of committed-earliest, committed-latest, earliest, latest.",
                        "A duration (units ms, s, min, h, d; e.g. 14d)",
                        "--kafka.properties.<name> VALUE",
                        JobConfig.EVENTHUBS_CONNECTION_STRING_ENV);
        assertThat(help.lines())
                .as("lines fit a terminal")
                .allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(100));
    }

    @Test
    void nearestKeyToleratesASwapAndAFewEdits() {
        assertThat(JobConfig.editDistance("histroy-window", "history-window")).isEqualTo(1);
        assertThat(JobConfig.nearest("histroy-window", java.util.Set.of("history-window", "idleness")))
                .isEqualTo("history-window");
        assertThat(JobConfig.nearest("zzz", java.util.Set.of("history-window", "idleness")))
                .isNull();
    }
}
