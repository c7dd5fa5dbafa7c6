package io.kvwatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.kvwatch.config.JobConfig;
import io.kvwatch.detect.FirstSeenDetector;
import io.kvwatch.io.FileInput;
import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.Detection;
import io.kvwatch.model.RawMessage;
import io.kvwatch.model.TermKey;
import io.kvwatch.parse.EnvelopeParser;
import io.kvwatch.parse.ParseResult;
import io.kvwatch.testing.AlertFields;
import io.kvwatch.testing.AuditStreamGenerator;
import io.kvwatch.testing.AuditStreamGenerator.Read;
import io.kvwatch.testing.CollectingOutputs;
import io.kvwatch.testing.LoopbackMiniCluster;
import io.kvwatch.testing.NewTermsOracle;
import io.kvwatch.testing.Records;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.state.hashmap.HashMapStateBackend;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.SavepointReader;
import org.apache.flink.state.api.functions.KeyedStateReaderFunction;
import org.apache.flink.state.api.runtime.SavepointLoader;
import org.apache.flink.state.rocksdb.RocksDBConfigurableOptions;
import org.apache.flink.state.rocksdb.RocksDBOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.rocksdb.InfoLogLevel;

/**
 * Bootstrap from history on a MiniCluster: the job started from a savepoint written from weeks 1–2 raises, in week 3,
 * exactly the alerts of one run over weeks 1–3.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES) // a job that cannot restore would retry for ever: fail instead
class BootstrapHistoryTest {

    @RegisterExtension
    // Fails a job at its first failure (a failed restore fails the test instead of looping), on loopback only.
    static final MiniClusterExtension FLINK = new MiniClusterExtension(LoopbackMiniCluster.withSlots(2));

    static final Duration WINDOW = Duration.ofDays(14);
    static final Instant START = Instant.parse("2026-09-01T00:00:00Z");
    /** Where week 3 begins: records with a rule time from here on are "week 3", all before it history. */
    static final long WEEK_3 = START.plus(Duration.ofDays(14)).toEpochMilli();

    @TempDir
    static Path dir;

    static AuditStreamGenerator.Stream stream;
    static Path allWeeks;
    static Path history;
    static Path week3;
    static Path savepoint;

    /** One generated stream, written whole and split in two at the start of week 3; one bootstrap on the first part. */
    @BeforeAll
    static void bootstrapOnWeeksOneAndTwo() throws Exception {
        stream = AuditStreamGenerator.generate(new AuditStreamGenerator.Profile()
                .seed(23)
                .start(START)
                .days(21)
                .readsPerDay(250));
        allWeeks = dir.resolve("weeks-1-3.ndjson");
        stream.writeTo(allWeeks);
        history = dir.resolve("weeks-1-2.ndjson");
        week3 = dir.resolve("week-3.ndjson");
        splitAtRecordLevel(stream.lines(), WEEK_3, history, week3);

        savepoint = dir.resolve("savepoint");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        CollectingOutputs outputs = new CollectingOutputs();
        new BootstrapHistory(
                        JobConfig.of(Map.of("savepoint", savepoint.toString(), "parallelism", "2")),
                        FileInput.of(history.toString()),
                        outputs)
                .build(env);
        env.execute("bootstrap");

        assertThat(savepoint.resolve("_metadata"))
                .as("the bootstrap wrote a savepoint")
                .exists();
        assertThat(outputs.deadLetters())
                .as("the history's garbage is dead-lettered, not fatal")
                .isNotEmpty();
    }

    @Test
    void weekThreeFromTheSavepointAlertsExactlyAsOneRunOverAllThreeWeeks() throws Exception {
        List<Alerted> whole =
                alerted(CollectingOutputs.runJob(allWeeks, Map.of("parallelism", "2"), watermarksAtTheEndOnly()))
                        .stream()
                        .filter(a -> a.time() >= WEEK_3)
                        .toList();
        List<Alerted> restored = alerted(CollectingOutputs.runJob(
                week3, Map.of("parallelism", "2", "savepoint", savepoint.toString()), watermarksAtTheEndOnly()));

        assertThat(restored)
                .as("the job from the bootstrap alerts in week 3 exactly as the uninterrupted run, naming"
                        + " the same previous sightings")
                .containsExactlyInAnyOrderElementsOf(whole);
        assertThat(restored).as("and as the rule says").containsExactlyInAnyOrderElementsOf(oracleAlertsInWeek3());
        assertThat(restored)
                .as("re-alerts name sightings that only the history knows of")
                .anySatisfy(a -> assertThat(a.previousSeen()).isNotNull().isLessThan(WEEK_3));
        assertThat(restored).as("the test has something to compare").hasSizeGreaterThan(20);
    }

    @ParameterizedTest(name = "state backend {0}")
    @ValueSource(strings = {"hashmap", "rocksdb"})
    void restoredJobWithLiveWatermarksRaisesTheRulesAlerts(String backend, @TempDir Path data, @TempDir Path logs)
            throws Exception {
        Configuration flink = new Configuration();
        flink.set(StateBackendOptions.STATE_BACKEND, backend);
        // RocksDB's own log files outlive the job (its data directory does not): proof that it was used. Their names
        // are made of the data directory's path, hence a short one.
        flink.set(RocksDBOptions.LOCAL_DIRECTORIES, data.toString());
        flink.set(RocksDBConfigurableOptions.LOG_DIR, logs.toString());
        flink.set(RocksDBConfigurableOptions.LOG_LEVEL, InfoLogLevel.INFO_LEVEL);

        List<Alerted> restored = alerted(
                CollectingOutputs.runJob(week3, Map.of("parallelism", "2", "savepoint", savepoint.toString()), flink));

        if (backend.equals("rocksdb")) {
            assertThat(logs).as("the detector ran on RocksDB").isNotEmptyDirectory();
        }
        List<Alerted> expected = oracleAlertsInWeek3();
        assertThat(restored)
                .extracting(Alerted::read)
                .as("the savepoint, written on the heap, restores: the same alerts")
                .containsExactlyInAnyOrderElementsOf(
                        expected.stream().map(Alerted::read).toList());
        // Which re-alerts still name their previous sighting depends on whether the term's cleanup timer fired
        // before the re-alert arrived, i.e. on watermark timing (as in any run); a name given must be right.
        Map<Read, Long> previous = new HashMap<>();
        expected.forEach(a -> previous.put(a.read(), a.previousSeen()));
        assertThat(restored)
                .filteredOn(a -> a.previousSeen() != null)
                .allSatisfy(a -> assertThat(a.previousSeen()).isEqualTo(previous.get(a.read())));
    }

    @Test
    void withoutTheBootstrapWeekThreeAloneAlertsOnEveryTermAgain() throws Exception {
        List<Read> fresh = alerted(CollectingOutputs.runJob(week3, Map.of("parallelism", "2"), null)).stream()
                .map(Alerted::read)
                .toList();
        List<Read> expected = oracleAlertsInWeek3().stream().map(Alerted::read).toList();

        assertThat(fresh.size())
                .as("an empty detector alerts on far more than one that knows the history")
                .isGreaterThan(2 * expected.size());
        assertThat(fresh).as("the same records, and more").containsAll(expected);
    }

    @Test
    void savepointHoldsEveryTermsEpisodesAndOneCleanupTimer() throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        List<TermState> terms = new ArrayList<>();
        SavepointReader.read(env, savepoint.toString(), new HashMapStateBackend())
                .readKeyedState(OperatorIdentifier.forUid(FirstSeenDetector.UID), new ReadTermState())
                .executeAndCollect()
                .forEachRemaining(terms::add);

        Map<String, List<Long>> sightings = historySightingsByKey();
        assertThat(terms)
                .extracting(TermState::key)
                .as("one entry per term of the history, no other")
                .containsExactlyInAnyOrderElementsOf(sightings.keySet());
        for (TermState term : terms) {
            List<Long> times = sightings.get(term.key);
            assertThat(term.episodes).as("episodes of %s", term.key).containsExactly(episodesOf(times));
            assertThat(term.timers).as("one cleanup timer for %s", term.key).hasSize(1);
            assertThat(times)
                    .as("the timer of %s is a window after one of its sightings", term.key)
                    .contains(term.timers[0] - WINDOW.toMillis());
        }
    }

    /** For a job in TTL mode the bootstrap writes no timers, and the job decides on the history exactly alike. */
    @Test
    void withTermCleanupTtlTheSavepointHoldsNoTimersAndTheJobInTtlModeAlertsAlike() throws Exception {
        Path ttlSavepoint = dir.resolve("savepoint-ttl");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        new BootstrapHistory(
                        JobConfig.of(Map.of(
                                "savepoint", ttlSavepoint.toString(), "parallelism", "2", "term-cleanup", "ttl")),
                        FileInput.of(history.toString()),
                        new CollectingOutputs())
                .build(env);
        env.execute("bootstrap, ttl mode");

        List<TermState> terms = new ArrayList<>();
        SavepointReader.read(
                        StreamExecutionEnvironment.getExecutionEnvironment(),
                        ttlSavepoint.toString(),
                        new HashMapStateBackend())
                .readKeyedState(OperatorIdentifier.forUid(FirstSeenDetector.UID), new ReadTermState())
                .executeAndCollect()
                .forEachRemaining(terms::add);
        Map<String, List<Long>> sightings = historySightingsByKey();
        assertThat(terms).extracting(TermState::key).containsExactlyInAnyOrderElementsOf(sightings.keySet());
        for (TermState term : terms) {
            assertThat(term.episodes)
                    .as("episodes of %s", term.key)
                    .containsExactly(episodesOf(sightings.get(term.key)));
            assertThat(term.timers).as("no timer for %s", term.key).isEmpty();
        }

        Map<String, String> settings = Map.of("parallelism", "2", "term-cleanup", "ttl");
        List<Alerted> restored = alerted(CollectingOutputs.runJob(
                week3,
                Map.of("parallelism", "2", "term-cleanup", "ttl", "savepoint", ttlSavepoint.toString()),
                watermarksAtTheEndOnly()));
        List<Alerted> whole = alerted(CollectingOutputs.runJob(allWeeks, settings, watermarksAtTheEndOnly())).stream()
                .filter(a -> a.time() >= WEEK_3)
                .toList();
        assertThat(restored)
                .as("week 3 from the timer-less bootstrap, in ttl mode, as one ttl-mode run over all three weeks")
                .containsExactlyInAnyOrderElementsOf(whole)
                .containsExactlyInAnyOrderElementsOf(oracleAlertsInWeek3());
    }

    @Test
    void restoredDetectorNamesTheHistoryInReAlertsAndCleansEveryBootstrappedTermUp() throws Exception {
        int terms = historySightingsByKey().size();
        Alerted reAlert = oracleAlertsInWeek3().stream()
                .filter(a -> a.previousSeen() != null && a.previousSeen() < WEEK_3)
                .findFirst()
                .orElseThrow();
        long t = reAlert.time();

        try (KeyedOneInputStreamOperatorTestHarness<TermKey, AuditRecord, Detection> detector = restoredDetector()) {
            assertThat(detector.numKeyedStateEntries())
                    .as("every term of the history is restored")
                    .isEqualTo(terms);
            assertThat(detector.numEventTimeTimers())
                    .as("each with its cleanup timer")
                    .isEqualTo(terms);

            detector.processElement(
                    Records.read(reAlert.read().upn(), reAlert.read().objectId(), t), t);
            detector.processWatermark(t);
            assertThat(detector.extractOutputValues())
                    .singleElement()
                    .satisfies(d -> assertThat(d.previousSeen)
                            .as("the re-alert names the sighting from the history")
                            .isEqualTo(reAlert.previousSeen()));

            detector.processWatermark(WEEK_3 + WINDOW.toMillis());
            assertThat(detector.numKeyedStateEntries())
                    .as("a window after the history ends, only the term seen since is left")
                    .isEqualTo(1);
            assertThat(detector.numEventTimeTimers()).isEqualTo(1);
            detector.processWatermark(Long.MAX_VALUE);
            assertThat(detector.numKeyedStateEntries()).isZero();
            assertThat(detector.numEventTimeTimers()).isZero();
        }
    }

    @Test
    void mainsWriteAndRestoreFromADirectoryOfFiles() throws Exception {
        // the history in nested folders of files, as a storage account archives it
        Path historyDir = dir.resolve("archive");
        List<String> lines = Files.readAllLines(history, StandardCharsets.UTF_8);
        Files.write(
                Files.createDirectories(historyDir.resolve("y=2026/m=09/d=01")).resolve("PT1H.json"),
                lines.subList(0, lines.size() / 2),
                StandardCharsets.UTF_8);
        Files.write(
                Files.createDirectories(historyDir.resolve("y=2026/m=09/d=08")).resolve("PT1H.json"),
                lines.subList(lines.size() / 2, lines.size()),
                StandardCharsets.UTF_8);
        Path mainSavepoint = dir.resolve("main-savepoint");
        Path deadLetters = dir.resolve("bootstrap-dead-letters.ndjson");
        Path alerts = dir.resolve("week-3-alerts.ndjson");

        BootstrapHistory.main(new String[] {
            "--input",
            historyDir.toString(),
            "--savepoint",
            mainSavepoint.toString(),
            "--dead-letters",
            deadLetters.toString()
        });
        KeyVaultNewTermsJob.main(new String[] {
            "--input", week3.toString(), "--savepoint", mainSavepoint.toString(), "--output", alerts.toString()
        });

        assertThat(Files.readAllLines(deadLetters))
                .as("the bootstrap's dead letters went to the file")
                .isNotEmpty();
        assertThat(AlertFields.asReads(Files.readAllLines(alerts, StandardCharsets.UTF_8)))
                .containsExactlyInAnyOrderElementsOf(
                        oracleAlertsInWeek3().stream().map(Alerted::read).toList());
    }

    @Test
    void jobWithAnotherMaxParallelismRefusesTheSavepoint() {
        assertThatThrownBy(() -> CollectingOutputs.runJob(
                        week3,
                        Map.of("parallelism", "2", "max-parallelism", "128", "savepoint", savepoint.toString()),
                        null))
                .as("key groups are fixed by the savepoint")
                .hasStackTraceContaining("Max parallelism mismatch");
    }

    @Test
    void bootstrapRefusesToRunWithoutASavepointPath() {
        assertThatThrownBy(() -> BootstrapHistory.main(new String[] {"--input", history.toString()}))
                .hasMessageContaining("--savepoint");
    }

    // ---- helpers

    /** An alert as compared here: the triggering read and the previous sighting it names (null for none). */
    record Alerted(Read read, Long previousSeen) {
        long time() {
            return read.time();
        }
    }

    private static List<Alerted> alerted(CollectingOutputs outputs) {
        return outputs.alerts().stream()
                .map(json -> {
                    JsonNode previous = AlertFields.parse(json).get("kvwatch.previous_seen");
                    return new Alerted(
                            AlertFields.asRead(json),
                            previous.isNull()
                                    ? null
                                    : Instant.parse(previous.asText()).toEpochMilli());
                })
                .toList();
    }

    /** The oracle's alerts among the week-3 records, with the previous sighting of their term in the whole stream. */
    private static List<Alerted> oracleAlertsInWeek3() {
        Map<List<String>, List<Long>> byTerm = new HashMap<>();
        stream.reads()
                .forEach(r -> byTerm.computeIfAbsent(List.of(r.upn(), r.objectId()), k -> new ArrayList<>())
                        .add(r.time()));
        return NewTermsOracle.expectedAlerts(stream.reads(), WINDOW).stream()
                .filter(r -> r.time() >= WEEK_3)
                .map(r -> new Alerted(
                        r,
                        byTerm.get(List.of(r.upn(), r.objectId())).stream()
                                .filter(t -> t < r.time())
                                .max(Comparator.naturalOrder())
                                .orElse(null)))
                .toList();
    }

    /**
     * Holds watermarks back until the end of input (no periodic ones): the detector then forgets nothing during the
     * run, so every re-alert names its previous sighting and two runs can be compared field by field.
     */
    private static Configuration watermarksAtTheEndOnly() {
        Configuration flink = new Configuration();
        flink.set(PipelineOptions.AUTO_WATERMARK_INTERVAL, Duration.ZERO);
        return flink;
    }

    /** The history's sighting times per term key. */
    private static Map<String, List<Long>> historySightingsByKey() {
        Map<String, List<Long>> sightings = new HashMap<>();
        for (Read r : stream.reads()) {
            if (r.time() < WEEK_3) {
                sightings
                        .computeIfAbsent(TermKey.of(r.upn(), r.objectId()).toString(), k -> new ArrayList<>())
                        .add(r.time());
            }
        }
        return sightings;
    }

    /** The detector under the operator harness, as one subtask restored from the whole bootstrap savepoint. */
    private static KeyedOneInputStreamOperatorTestHarness<TermKey, AuditRecord, Detection> restoredDetector()
            throws Exception {
        OperatorID id = OperatorIdentifier.forUid(FirstSeenDetector.UID).getOperatorId();
        OperatorState written = SavepointLoader.loadSavepointMetadata(savepoint.toString()).getOperatorStates().stream()
                .filter(s -> s.getOperatorID().equals(id))
                .findFirst()
                .orElseThrow();
        int maxParallelism = written.getMaxParallelism();
        OperatorSubtaskState all = AbstractStreamOperatorTestHarness.repackageState(
                written.getSubtaskStates().values().toArray(new OperatorSubtaskState[0]));
        KeyedOneInputStreamOperatorTestHarness<TermKey, AuditRecord, Detection> harness =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new KeyedProcessOperator<>(new FirstSeenDetector(WINDOW)),
                        r -> new TermKey(r.termHi, r.termLo),
                        TypeInformation.of(TermKey.class),
                        maxParallelism,
                        1,
                        0);
        harness.initializeState(AbstractStreamOperatorTestHarness.repartitionOperatorState(
                all, maxParallelism, written.getParallelism(), 1, 0));
        harness.open();
        return harness;
    }

    /** Runs of sightings whose gaps are within the window, as first and last time: what the detector keeps. */
    private static long[] episodesOf(List<Long> times) {
        List<Long> sorted = times.stream().sorted().toList();
        List<Long> out = new ArrayList<>();
        for (long t : sorted) {
            if (out.isEmpty() || t - out.get(out.size() - 1) > WINDOW.toMillis()) {
                out.add(t);
                out.add(t);
            } else {
                out.set(out.size() - 1, t);
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    /**
     * Writes each record to the part its rule time falls in, envelopes split record by record, so that the parts hold
     * exactly the reads before and from {@code boundary}. Messages that are not envelopes of datable records (garbage,
     * records without a time) go with the part of the first datable record beside them, else to the first part.
     */
    private static void splitAtRecordLevel(List<String> lines, long boundary, Path before, Path after)
            throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        List<String> first = new ArrayList<>();
        List<String> second = new ArrayList<>();
        for (String line : lines) {
            JsonNode root;
            try {
                root = mapper.readTree(line);
            } catch (IOException e) {
                first.add(line);
                continue;
            }
            if (root == null || !root.isObject() || !root.path("records").isArray()) {
                Long t = root != null && root.isObject() ? ruleTime(root) : null;
                (t != null && t >= boundary ? second : first).add(line);
                continue;
            }
            ArrayNode early = mapper.createArrayNode();
            ArrayNode late = mapper.createArrayNode();
            Boolean undatedLate = null;
            List<JsonNode> undated = new ArrayList<>();
            for (JsonNode record : root.get("records")) {
                Long t = ruleTime(record);
                if (t == null) {
                    undated.add(record);
                } else {
                    (t >= boundary ? late : early).add(record);
                    undatedLate = undatedLate == null ? t >= boundary : undatedLate;
                }
            }
            (Boolean.TRUE.equals(undatedLate) ? late : early).addAll(undated);
            if (!early.isEmpty()) {
                first.add(mapper.createObjectNode().set("records", early).toString());
            }
            if (!late.isEmpty()) {
                second.add(mapper.createObjectNode().set("records", late).toString());
            }
        }
        Files.write(before, first, StandardCharsets.UTF_8);
        Files.write(after, second, StandardCharsets.UTF_8);
    }

    /** The rule time the job gives a record, or null when it gives it none (not a Key Vault record, no time). */
    private static Long ruleTime(JsonNode record) {
        List<AuditRecord> records =
                ParseResult.of(PARSER, new RawMessage(record.toString(), RawMessage.NO_TIMESTAMP, "split")).records;
        return records.isEmpty() ? null : records.get(records.size() - 1).ruleTime;
    }

    private static final EnvelopeParser PARSER = new EnvelopeParser(Integer.MAX_VALUE, 100);

    /** One term as the savepoint holds it. */
    public static class TermState {
        public String key;
        public long[] episodes;
        public long[] timers;

        public TermState() {}

        String key() {
            return key;
        }
    }

    static final class ReadTermState extends KeyedStateReaderFunction<TermKey, TermState> {
        private transient ValueState<long[]> episodes;

        @Override
        public void open(OpenContext openContext) {
            episodes = getRuntimeContext()
                    .getState(FirstSeenDetector.episodesDescriptor(FirstSeenDetector.defaultStateTtl(WINDOW)));
        }

        @Override
        public void readKey(TermKey key, Context ctx, Collector<TermState> out) throws Exception {
            TermState state = new TermState();
            state.key = key.toString();
            state.episodes = episodes.value();
            state.timers = ctx.registeredEventTimeTimers().stream()
                    .mapToLong(Long::longValue)
                    .sorted()
                    .toArray();
            out.collect(state);
        }
    }
}
