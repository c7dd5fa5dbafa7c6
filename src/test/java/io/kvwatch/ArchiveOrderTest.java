package io.kvwatch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kvwatch.testing.AlertFields;
import io.kvwatch.testing.AuditStreamGenerator;
import io.kvwatch.testing.AuditStreamGenerator.Read;
import io.kvwatch.testing.CollectingOutputs;
import io.kvwatch.testing.LoopbackMiniCluster;
import io.kvwatch.testing.NewTermsOracle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bounded input is exact whatever its order: the same generated month as one time-sorted file, as shuffled lines
 * split over several files, and as Azure's storage archive (nested {@code y=/m=/d=/h=/m=/PT1H.json} directories)
 * gives the same alert documents, equal to the oracle's; with the learning period, suppression and exceptions too.
 */
class ArchiveOrderTest {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(LoopbackMiniCluster.withSlots(2));

    static final Duration WINDOW = Duration.ofDays(14);
    private static final Pattern HOUR =
            Pattern.compile("\"(?:time|@timestamp)\":\"(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2})");

    @TempDir
    static Path dir;

    static AuditStreamGenerator.Stream stream;
    /** The three layouts of the same lines, by name; the sorted file first. */
    static final Map<String, Path> LAYOUTS = new LinkedHashMap<>();

    @BeforeAll
    static void writeLayouts() throws Exception {
        stream = AuditStreamGenerator.generate(
                new AuditStreamGenerator.Profile().seed(21).days(30).readsPerDay(200));
        Path sorted = dir.resolve("sorted.ndjson");
        stream.writeTo(sorted);
        LAYOUTS.put("one sorted file", sorted);
        LAYOUTS.put("shuffled files", writeShuffled(stream.lines(), dir.resolve("shuffled")));
        LAYOUTS.put("archive directory", writeArchive(stream.lines(), dir.resolve("archive")));
    }

    @Test
    void everyLayoutGivesTheOraclesAlerts() throws Exception {
        Map<String, CollectingOutputs> runs = runAll(Map.of("parallelism", "2"));

        List<Read> expected = NewTermsOracle.expectedAlerts(stream.reads(), WINDOW);
        runs.forEach((layout, out) -> {
            assertThat(AlertFields.asReads(out.alerts()))
                    .as("%s: the oracle's alerts", layout)
                    .containsExactlyInAnyOrderElementsOf(expected);
            assertThat(out.deadLetters())
                    .as("%s: the same dead letters", layout)
                    .hasSize(stream.garbageLines() + stream.badRecords());
        });
        assertSameDocuments(runs);
    }

    @Test
    void learningPeriodIsCountedFromTheEarliestRecordNotTheFirstToArrive() throws Exception {
        long first = stream.reads().stream().mapToLong(Read::time).min().orElseThrow();
        List<Read> expected = NewTermsOracle.expectedAlerts(stream.reads(), WINDOW).stream()
                .filter(r -> r.time() >= first + WINDOW.toMillis())
                .toList();
        assertThat(expected).as("the month still has new terms after learning").isNotEmpty();

        // On two subtasks, each sees a different earliest record: the period starts at the earliest of them all.
        for (String parallelism : List.of("1", "2")) {
            Map<String, CollectingOutputs> runs = runAll(Map.of("learning", "true", "parallelism", parallelism));
            runs.forEach((layout, out) -> assertThat(AlertFields.asReads(out.alerts()))
                    .as("%s, parallelism %s: the oracle's alerts after learning", layout, parallelism)
                    .containsExactlyInAnyOrderElementsOf(expected));
            assertSameDocuments(runs);
        }
    }

    @Test
    void learningStartsAtTheEarliestRecordOfAllSubtasksEvenWhenItArrivesLast() throws Exception {
        Instant t0 = Instant.parse("2026-10-01T00:00:00Z");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 20; i++) { // over both subtasks: some get no record before day 10
            lines.add(azureRecord(t0.plus(Duration.ofDays(10)), "learnt" + i + "@contoso.com"));
            lines.add(azureRecord(t0.plus(Duration.ofDays(15)), "new" + i + "@contoso.com"));
        }
        lines.add(azureRecord(t0, "earliest@contoso.com")); // on one subtask only, and read last
        Path file = dir.resolve("learning.ndjson");
        Files.write(file, lines, StandardCharsets.UTF_8);

        CollectingOutputs out = CollectingOutputs.runJob(file, Map.of("learning", "true", "parallelism", "2"), null);

        assertThat(AlertFields.asReads(out.alerts()))
                .extracting(Read::upn)
                .as("learning ends 14 days after the earliest record, on every subtask")
                .containsExactlyInAnyOrderElementsOf(IntStream.range(0, 20)
                        .mapToObj(i -> "new" + i + "@contoso.com")
                        .toList());
    }

    private static String azureRecord(Instant time, String upn) {
        return "{\"time\":\"" + time + "\",\"category\":\"AuditEvent\",\"resourceId\":\"/SUBSCRIPTIONS/S"
                + "/RESOURCEGROUPS/G/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV-ONE\",\"operationName\":\"SecretGet\","
                + "\"resultType\":\"Success\",\"identity\":{\"claim\":{\"upn\":\"" + upn + "\"}},"
                + "\"properties\":{\"id\":\"https://kv-one.vault.azure.net/secrets/s\",\"httpStatusCode\":200}}";
    }

    @Test
    void suppressionWindowsDoNotDependOnTheOrder() throws Exception {
        Map<String, CollectingOutputs> runs =
                runAll(Map.of("suppression-fields", "upn", "suppression-duration", "1d", "parallelism", "2"));
        List<Read> expected = NewTermsOracle.expectedAlerts(stream.reads(), WINDOW);
        runs.forEach((layout, out) -> ColdStartAndTuningTest.assertSuppressedPerUpnPerDay(out.alerts(), expected));
        assertSameDocuments(runs);
    }

    @Test
    void exceptionsGiveTheOraclesAlertsOfTheRestInEveryLayout() throws Exception {
        Path exceptions = dir.resolve("exceptions.yaml");
        Files.writeString(exceptions, """
                exceptions:
                  - upn: USER1@contoso.com
                  - object-id-prefix: https://kv-team2.vault.azure.net/
                """);
        Map<String, CollectingOutputs> runs = runAll(Map.of("exceptions", exceptions.toString(), "parallelism", "2"));

        List<Read> kept = stream.reads().stream()
                .filter(r -> !r.upn().equalsIgnoreCase("user1@contoso.com"))
                .filter(r -> !r.objectId().startsWith("https://kv-team2.vault.azure.net/"))
                .toList();
        assertThat(kept)
                .as("the exceptions remove a real share")
                .hasSizeLessThan(stream.reads().size() * 3 / 4);
        runs.forEach((layout, out) -> assertThat(AlertFields.asReads(out.alerts()))
                .as("%s: the oracle's alerts of the records not excepted", layout)
                .containsExactlyInAnyOrderElementsOf(NewTermsOracle.expectedAlerts(kept, WINDOW)));
        assertSameDocuments(runs);
    }

    private static Map<String, CollectingOutputs> runAll(Map<String, String> settings) throws Exception {
        Map<String, CollectingOutputs> runs = new LinkedHashMap<>();
        for (Map.Entry<String, Path> layout : LAYOUTS.entrySet()) {
            runs.put(layout.getKey(), CollectingOutputs.runJob(layout.getValue(), settings, null));
        }
        return runs;
    }

    /** Every layout's alert documents equal the sorted file's, but for the time of writing and the origin. */
    private static void assertSameDocuments(Map<String, CollectingOutputs> runs) {
        List<String> reference = comparable(runs.get("one sorted file").alerts());
        runs.forEach((layout, out) -> assertThat(comparable(out.alerts()))
                .as(
                        "%s: the same alert documents as the sorted file (%d alerts there, %d here)",
                        layout, reference.size(), out.alerts().size())
                .containsExactlyInAnyOrderElementsOf(reference));
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

    /** The lines in a random order, over files of uneven sizes. */
    static Path writeShuffled(List<String> lines, Path target) throws Exception {
        List<String> shuffled = new ArrayList<>(lines);
        Random random = new Random(7);
        Collections.shuffle(shuffled, random);
        Files.createDirectories(target);
        int from = 0;
        for (int part = 0; from < shuffled.size(); part++) {
            int to = Math.min(shuffled.size(), from + 1 + random.nextInt(shuffled.size() / 4));
            Files.write(target.resolve("part-" + part + ".ndjson"), shuffled.subList(from, to), StandardCharsets.UTF_8);
            from = to;
        }
        return target;
    }

    /** Azure's storage archive: one {@code PT1H.json} per hour of record time, in nested directories. */
    private static Path writeArchive(List<String> lines, Path target) throws Exception {
        Path vault = target.resolve("resourceId=/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000"
                + "/RESOURCEGROUPS/RG-SEC/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV-TEAM1");
        Map<String, List<String>> byHour = new HashMap<>();
        String hour = "y=2026/m=09/d=01/h=00/m=00";
        for (String line : lines) {
            Matcher m = HOUR.matcher(line);
            if (m.find()) {
                hour = "y=" + m.group(1) + "/m=" + m.group(2) + "/d=" + m.group(3) + "/h=" + m.group(4) + "/m=00";
            }
            byHour.computeIfAbsent(hour, k -> new ArrayList<>()).add(line);
        }
        assertThat(byHour).as("a month of hourly files").hasSizeGreaterThan(24 * 28);
        for (Map.Entry<String, List<String>> e : byHour.entrySet()) {
            Path file = vault.resolve(e.getKey()).resolve("PT1H.json");
            Files.createDirectories(file.getParent());
            Files.write(file, e.getValue(), StandardCharsets.UTF_8);
        }
        return target;
    }
}
