package io.kvwatch.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.HighAvailabilityOptions;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.metrics.reporter.MetricReporterFactory;
import org.apache.logging.log4j.core.config.ConfigurationSource;
import org.apache.logging.log4j.core.config.properties.PropertiesConfigurationFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The recommended cluster configuration, read by Flink's own parser, says what its comments say. */
class FlinkConfTest {

    static final Path FLINK_CONF = Path.of("flink-conf");

    @Test
    void flinkParsesTheRecommendedConfigurationIntoTheIntendedValues() {
        Configuration conf = GlobalConfiguration.loadConfiguration(FLINK_CONF.toString());

        assertThat(conf.get(StateBackendOptions.STATE_BACKEND))
                .as("state backend")
                .isEqualTo("rocksdb");
        assertThat(conf.get(CheckpointingOptions.INCREMENTAL_CHECKPOINTS))
                .as("incremental checkpoints")
                .isTrue();
        assertThat(conf.get(CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE))
                .isEqualTo(CheckpointingMode.EXACTLY_ONCE);
        assertThat(conf.get(CheckpointingOptions.CHECKPOINTING_INTERVAL)).isEqualTo(Duration.ofSeconds(30));
        assertThat(conf.get(CheckpointingOptions.MIN_PAUSE_BETWEEN_CHECKPOINTS)).isEqualTo(Duration.ofSeconds(10));
        assertThat(conf.get(CheckpointingOptions.CHECKPOINTING_TIMEOUT)).isEqualTo(Duration.ofMinutes(5));
        assertThat(conf.get(CheckpointingOptions.TOLERABLE_FAILURE_NUMBER)).isEqualTo(3);
        assertThat(conf.get(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION))
                .as("retained checkpoints survive a cancel")
                .isEqualTo(ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        assertThat(conf.get(CheckpointingOptions.MAX_RETAINED_CHECKPOINTS)).isEqualTo(3);
        assertThat(conf.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY)).isNotBlank();
        assertThat(conf.get(CheckpointingOptions.SAVEPOINT_DIRECTORY)).isNotBlank();

        assertThat(conf.get(RestartStrategyOptions.RESTART_STRATEGY)).isEqualTo("exponential-delay");
        assertThat(conf.get(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_INITIAL_BACKOFF))
                .isEqualTo(Duration.ofSeconds(1));
        assertThat(conf.get(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF))
                .isEqualTo(Duration.ofMinutes(1));
        assertThat(conf.get(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_BACKOFF_MULTIPLIER))
                .isEqualTo(2.0);
        assertThat(conf.get(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_RESET_BACKOFF_THRESHOLD))
                .isEqualTo(Duration.ofHours(1));
        assertThat(conf.get(JobManagerOptions.EXECUTION_FAILOVER_STRATEGY)).isEqualTo("region");

        assertThat(conf.get(MetricOptions.REPORTERS_LIST)).isEqualTo("prom");
        assertThat(conf.getString("metrics.reporter.prom.factory.class", null))
                .isEqualTo("org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
        assertThat(conf.getString("metrics.reporter.prom.port", null)).isEqualTo("9249-9250");
    }

    @Test
    void everyKeyIsTheCurrentNameOfAFlinkOption() throws Exception {
        Map<String, String> yaml = DeployFiles.readFlat(FLINK_CONF.resolve("config.yaml"));
        assertThat(yaml).isNotEmpty();
        assertThat(yaml.keySet())
                .as("no pre-2.0 key that Flink only reads as a deprecated fallback, no typo")
                .allMatch(FlinkOptionKeys::isCurrent);
    }

    @Test
    void theCommentedHighAvailabilityBlockIsZooKeeperHaInCurrentKeys() throws Exception {
        Map<String, String> ha = DeployFiles.commentedSettings(FLINK_CONF.resolve("config.yaml"), "High availability");
        assertThat(ha)
                .as("the documented HA settings (JobManagerFailoverIT runs with them)")
                .containsEntry("high-availability.type", "zookeeper")
                .containsKeys(
                        "high-availability.zookeeper.quorum",
                        "high-availability.storageDir",
                        "high-availability.cluster-id",
                        "high-availability.zookeeper.client.session-timeout");
        assertThat(ha.keySet()).as("current Flink option names").allMatch(FlinkOptionKeys::isCurrent);
        Configuration conf = Configuration.fromMap(ha);
        assertThat(conf.get(HighAvailabilityOptions.ZOOKEEPER_SESSION_TIMEOUT)).isEqualTo(Duration.ofSeconds(15));
        assertThat(conf.get(HighAvailabilityOptions.HA_STORAGE_PATH))
                .as("HA storage")
                .isNotBlank();
    }

    @Test
    void thePrometheusReporterFactoryIsFlinksOwn() throws Exception {
        // The reporter is not in the job jar: a Flink distribution ships it in plugins/metrics-prometheus.
        Configuration conf = GlobalConfiguration.loadConfiguration(FLINK_CONF.toString());
        Class<?> factory = Class.forName(conf.getString("metrics.reporter.prom.factory.class", null));
        assertThat(MetricReporterFactory.class).isAssignableFrom(factory);
    }

    @Test
    void log4jBuildsTheRecommendedLoggingConfiguration(@TempDir Path dir) throws Exception {
        Path config = FLINK_CONF.resolve("log4j-console.properties");
        String previous =
                System.setProperty("log.file", dir.resolve("taskmanager.log").toString());
        try (InputStream in = Files.newInputStream(config)) {
            var log4j = new PropertiesConfigurationFactory()
                    .getConfiguration(null, new ConfigurationSource(in, config.toFile()));
            log4j.initialize();
            try {
                assertThat(log4j.getAppenders()).containsKeys("ConsoleAppender", "RollingFileAppender");
                assertThat(log4j.getRootLogger().getAppenders()).containsKeys("ConsoleAppender", "RollingFileAppender");
                assertThat(log4j.getLoggers()).containsKeys("io.kvwatch", "org.apache.kafka");
                assertThat(log4j.getLoggers().get("org.apache.kafka").getLevel().name())
                        .isEqualTo("WARN");
            } finally {
                log4j.stop();
            }
        } finally {
            if (previous == null) {
                System.clearProperty("log.file");
            } else {
                System.setProperty("log.file", previous);
            }
        }
    }
}
