package io.kvwatch.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvwatch.testing.FakeSecrets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The event-time defaults derive from who stamps the input's timestamps; a setting given explicitly always wins. */
class EventTimeSettingsTest {

    static final JobConfig NOTHING_SET = JobConfig.of(Map.of());

    @Test
    void eventHubsInputDecidesAtOnceWithinAPartitionAndLetsQuietPartitionsFollowTheClock() {
        EventTimeSettings e = EventTimeSettings.forKafka(NOTHING_SET, true);
        assertThat(e.brokerTimestamps())
                .as("the enqueued time, stamped by the service")
                .isTrue();
        assertThat(e.outOfOrderness())
                .as("append times never go back within a partition")
                .isZero();
        assertThat(e.idleFollowsClock()).isTrue();
        assertThat(e.idleWatermarkLag()).as("fetch lag plus clock skew").isEqualTo(Duration.ofSeconds(1));
        assertThat(e.idleness())
                .as("for a partition that may still be fetching a backlog")
                .isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void theEventHubsPresetIsRecognisedFromTheSettings() {
        JobConfig config = JobConfig.of(
                Map.of("eventhubs.namespace", "contoso", "kafka.topic", "audit"),
                Map.of(
                        JobConfig.EVENTHUBS_CONNECTION_STRING_ENV,
                        FakeSecrets.connectionString("contoso", FakeSecrets.sharedAccessKey())));
        KafkaSettings kafka = KafkaSettings.from(config).orElseThrow();
        assertThat(EventTimeSettings.forKafka(config, kafka))
                .as("Event Hubs through the preset")
                .isEqualTo(EventTimeSettings.forKafka(NOTHING_SET, true));
    }

    @Test
    void plainKafkaKeepsTheSafeBoundBecauseProducersSetItsTimestamps() {
        JobConfig config = JobConfig.of(Map.of("kafka.bootstrap-servers", "127.0.0.1:9092", "kafka.topic", "audit"));
        EventTimeSettings e =
                EventTimeSettings.forKafka(config, KafkaSettings.from(config).orElseThrow());
        assertThat(e.brokerTimestamps()).isFalse();
        assertThat(e.outOfOrderness()).isEqualTo(Duration.ofSeconds(30));
        assertThat(e.idleFollowsClock())
                .as("a producer may still send an old timestamp")
                .isFalse();
    }

    @Test
    void aPlainKafkaTopicDeclaredLogAppendTimeGetsTheEventHubsDefaults() {
        JobConfig config = JobConfig.of(Map.of("kafka.timestamp-type", "log-append-time"));
        assertThat(EventTimeSettings.forKafka(config, false)).isEqualTo(EventTimeSettings.forKafka(NOTHING_SET, true));
    }

    @Test
    void anEventHubConfiguredWithCreateTimeGetsThePlainKafkaDefaults() {
        JobConfig config = JobConfig.of(Map.of("kafka.timestamp-type", "create-time"));
        assertThat(EventTimeSettings.forKafka(config, true)).isEqualTo(EventTimeSettings.forKafka(NOTHING_SET, false));
    }

    @Test
    void filesTakeTheSafeBound() {
        EventTimeSettings e = EventTimeSettings.forRecordTime(NOTHING_SET);
        assertThat(e.outOfOrderness()).isEqualTo(Duration.ofSeconds(30));
        assertThat(e.idleFollowsClock()).isFalse();
        assertThat(EventTimeSettings.forRecordTime(JobConfig.of(Map.of("kafka.timestamp-type", "log-append-time")))
                        .outOfOrderness())
                .as("a file has no broker timestamps, whatever is said of Kafka's")
                .isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void explicitSettingsWinOverTheDerivedDefaults() {
        JobConfig config = JobConfig.of(Map.of(
                "out-of-orderness", "5 s",
                "idleness", "2 min",
                "idle-watermark-follows-clock", "false",
                "idle-watermark-lag", "3 s"));
        for (boolean eventHubs : new boolean[] {true, false}) {
            assertThat(EventTimeSettings.forKafka(config, eventHubs))
                    .as("Event Hubs: " + eventHubs)
                    .isEqualTo(new EventTimeSettings(
                            eventHubs, Duration.ofSeconds(5), Duration.ofMinutes(2), false, Duration.ofSeconds(3)));
        }
        assertThat(EventTimeSettings.forKafka(JobConfig.of(Map.of("out-of-orderness", "0 s")), false)
                        .outOfOrderness())
                .as("0 given for plain Kafka")
                .isZero();
        assertThat(EventTimeSettings.forKafka(JobConfig.of(Map.of("idle-watermark-follows-clock", "true")), false)
                        .idleFollowsClock())
                .isTrue();
        assertThat(EventTimeSettings.forRecordTime(JobConfig.of(Map.of("out-of-orderness", "2 min")))
                        .outOfOrderness())
                .isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void theLogLineSaysWhatIsInForce() {
        assertThat(EventTimeSettings.forKafka(NOTHING_SET, true).describe())
                .isEqualTo("out-of-orderness 0 ms (broker timestamps), idleness 1 min, quiet partitions follow the"
                        + " clock less 1 s");
        assertThat(EventTimeSettings.forKafka(NOTHING_SET, false).describe())
                .isEqualTo("out-of-orderness 30 s, idleness 1 min");
    }

    @Test
    void anUnknownTimestampTypeIsRefusedNamingTheSetting() {
        JobConfig config = JobConfig.of(Map.of("kafka.timestamp-type", "append"));
        assertThatThrownBy(config::checkValues)
                .isInstanceOf(SetupException.class)
                .hasMessageContaining("kafka.timestamp-type");
    }
}
