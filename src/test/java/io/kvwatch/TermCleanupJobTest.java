package io.kvwatch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kvwatch.config.JobConfig;
import io.kvwatch.detect.TermCleanup;
import io.kvwatch.io.MessageInput;
import io.kvwatch.model.RawMessage;
import io.kvwatch.testing.AlertFields;
import io.kvwatch.testing.AuditStreamGenerator;
import io.kvwatch.testing.AuditStreamGenerator.Read;
import io.kvwatch.testing.CollectingOutputs;
import io.kvwatch.testing.LoopbackMiniCluster;
import io.kvwatch.testing.NewTermsOracle;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole job in both {@link TermCleanup} modes over six weeks of generated traffic, with terms that come back
 * after more than 14 days of absence: the same alerts as the oracle, in shuffled files (event time held until the
 * input is read) and as a stream with watermarks from the records' times (event time moving, terms expiring).
 */
class TermCleanupJobTest {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(LoopbackMiniCluster.withSlots(2));

    static final Duration WINDOW = Duration.ofDays(14);

    @TempDir
    static Path dir;

    static AuditStreamGenerator.Stream stream;
    static List<Read> expected;

    @BeforeAll
    static void generate() {
        // Few users and objects over six weeks: many terms are read, dropped for more than the window, read again.
        stream = AuditStreamGenerator.generate(new AuditStreamGenerator.Profile()
                .seed(29)
                .days(42)
                .users(40)
                .objects(60)
                .readsPerDay(120));
        expected = NewTermsOracle.expectedAlerts(stream.reads(), WINDOW);
        Set<String> terms = new HashSet<>();
        expected.forEach(r -> terms.add(r.upn().toLowerCase() + " " + r.objectId()));
        assertThat(expected.size() - terms.size())
                .as("terms that alert again after more than 14 days of absence")
                .isGreaterThan(20);
    }

    @Test
    void shuffledFilesGiveTheSameAlertDocumentsInBothModes() throws Exception {
        Path shuffled = ArchiveOrderTest.writeShuffled(stream.lines(), dir.resolve("shuffled"));
        List<List<String>> documents = new ArrayList<>();
        for (TermCleanup mode : TermCleanup.values()) {
            CollectingOutputs out = CollectingOutputs.runJob(
                    shuffled, Map.of("parallelism", "2", "term-cleanup", mode.toString()), null);
            assertThat(AlertFields.asReads(out.alerts()))
                    .as("%s: the oracle's alerts", mode)
                    .containsExactlyInAnyOrderElementsOf(expected);
            documents.add(comparable(out.alerts()));
        }
        assertThat(documents.get(1))
                .as("ttl mode: the same documents (records, previous sightings) as event-time mode")
                .containsExactlyInAnyOrderElementsOf(documents.get(0));
    }

    @Test
    void aStreamWithRecordTimeWatermarksGivesTheOraclesAlertsInBothModes() throws Exception {
        for (TermCleanup mode : TermCleanup.values()) {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            Configuration flink = new Configuration();
            // Watermarks as often as possible, so that event time moves on while the six weeks are read.
            flink.setString("pipeline.auto-watermark-interval", "1 ms");
            env.configure(flink);
            CollectingOutputs out = new CollectingOutputs();
            new KeyVaultNewTermsJob(
                            JobConfig.of(Map.of("parallelism", "2", "term-cleanup", mode.toString())),
                            new Lines(stream.lines()),
                            out)
                    .build(env);
            env.execute("term-cleanup " + mode);

            assertThat(AlertFields.asReads(out.alerts()))
                    .as("%s: the oracle's alerts (disorder within the out-of-orderness bound)", mode)
                    .containsExactlyInAnyOrderElementsOf(expected);
            assertThat(out.alerts())
                    .as("%s: none late", mode)
                    .noneMatch(a -> AlertFields.parse(a).path("kvwatch.late").asBoolean(false));
        }
    }

    private static List<String> comparable(List<String> alerts) {
        List<String> docs = new ArrayList<>();
        for (String json : alerts) {
            ObjectNode doc = (ObjectNode) AlertFields.parse(json);
            doc.remove("@timestamp");
            doc.remove("kvwatch.origin");
            docs.add(doc.toString());
        }
        return docs;
    }

    /** The lines as an unbounded input would deliver them (as Kafka without timestamps): event time from records. */
    private record Lines(List<String> lines) implements MessageInput, java.io.Serializable {
        @Override
        public DataStream<RawMessage> open(StreamExecutionEnvironment env) {
            List<RawMessage> messages = lines.stream()
                    .map(l -> new RawMessage(l, RawMessage.NO_TIMESTAMP, "lines"))
                    .toList();
            return env.fromData(messages, TypeInformation.of(RawMessage.class))
                    .setParallelism(1)
                    .name("Lines");
        }

        @Override
        public boolean stampsIngestTime() {
            return false;
        }
    }
}
