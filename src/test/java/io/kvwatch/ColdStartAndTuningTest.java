package io.kvwatch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.kvwatch.testing.AlertFields;
import io.kvwatch.testing.AuditStreamGenerator;
import io.kvwatch.testing.AuditStreamGenerator.Read;
import io.kvwatch.testing.CollectingOutputs;
import io.kvwatch.testing.LoopbackMiniCluster;
import io.kvwatch.testing.NewTermsOracle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Learning period, exceptions and suppression through the whole job, against the oracle. */
class ColdStartAndTuningTest {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(LoopbackMiniCluster.withSlots(2));

    static final Duration WINDOW = Duration.ofDays(14);

    @TempDir
    static Path dir;

    static AuditStreamGenerator.Stream stream;
    static Path input;

    @BeforeAll
    static void generate() throws Exception {
        stream = AuditStreamGenerator.generate(
                new AuditStreamGenerator.Profile().seed(21).days(30).readsPerDay(200));
        input = dir.resolve("month.ndjson");
        stream.writeTo(input);
    }

    @Test
    void learningPeriodSaysNothingForFourteenDaysThenOnlyWhatIsNew() throws Exception {
        CollectingOutputs out = run(Map.of("learning", "true", "parallelism", "1"));

        long first = stream.reads().stream().mapToLong(Read::time).min().orElseThrow();
        List<Read> expected = NewTermsOracle.expectedAlerts(stream.reads(), WINDOW).stream()
                .filter(r -> r.time() >= first + WINDOW.toMillis())
                .toList();
        assertThat(expected).as("the month still has new terms after learning").isNotEmpty();
        assertThat(AlertFields.asReads(out.alerts())).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void exceptedRecordsNeitherAlertNorEnterTheHistory() throws Exception {
        Path exceptions = dir.resolve("exceptions.yaml");
        Files.writeString(exceptions, """
                exceptions:
                  - upn: USER1@contoso.com
                    comment: the platform team's break-glass account
                  - object-id-prefix: https://kv-team2.vault.azure.net/
                """);
        CollectingOutputs out = run(Map.of("exceptions", exceptions.toString(), "parallelism", "2"));

        List<Read> kept = stream.reads().stream()
                .filter(r -> !r.upn().equalsIgnoreCase("user1@contoso.com"))
                .filter(r -> !r.objectId().startsWith("https://kv-team2.vault.azure.net/"))
                .toList();
        assertThat(kept)
                .as("the exceptions remove a real share of the traffic")
                .hasSizeLessThan(stream.reads().size() * 3 / 4);
        assertThat(AlertFields.asReads(out.alerts()))
                .containsExactlyInAnyOrderElementsOf(NewTermsOracle.expectedAlerts(kept, WINDOW));
    }

    @Test
    void suppressionKeepsOneAlertPerUpnPerDayAndCountsTheRest() throws Exception {
        CollectingOutputs out =
                run(Map.of("suppression-fields", "upn", "suppression-duration", "1d", "parallelism", "1"));

        assertSuppressedPerUpnPerDay(out.alerts(), NewTermsOracle.expectedAlerts(stream.reads(), WINDOW));
    }

    /**
     * Alerts suppressed per upn per day: one alert per window, and a summary with the count for each window that
     * suppressed. Expected: per upn, the oracle's alerts in time order, cut into windows of one day from each
     * window's first.
     */
    static void assertSuppressedPerUpnPerDay(List<String> alerts, List<Read> oracleAlerts) {
        Map<String, List<Read>> byUpn = oracleAlerts.stream().collect(Collectors.groupingBy(Read::upn));
        // Windows are compared by (upn, start): alerts at the same instant open the window in either order.
        Map<String, Long> expectedCounts = new HashMap<>();
        for (List<Read> ofUpn : byUpn.values()) {
            ofUpn.sort(Comparator.comparingLong(Read::time));
            Read open = null;
            for (Read r : ofUpn) {
                if (open == null || r.time() >= open.time() + Duration.ofDays(1).toMillis()) {
                    open = r;
                    expectedCounts.put(window(open), 0L);
                } else {
                    expectedCounts.merge(window(open), 1L, Long::sum);
                }
            }
        }
        Map<String, Long> firsts = new HashMap<>();
        Map<String, Long> summaries = new HashMap<>();
        for (String json : alerts) {
            JsonNode doc = AlertFields.parse(json);
            long count = doc.get("kibana.alert.suppression.docs_count").asLong();
            (count == 0 ? firsts : summaries).merge(window(AlertFields.asRead(json)), count, (a, b) -> {
                throw new AssertionError("alert sent twice: " + json);
            });
        }
        assertThat(firsts.keySet()).as("one alert per upn per window").isEqualTo(expectedCounts.keySet());
        Map<String, Long> expectedSummaries = new HashMap<>(expectedCounts);
        expectedSummaries.values().removeIf(c -> c == 0);
        assertThat(expectedSummaries).as("some windows suppress").isNotEmpty();
        assertThat(summaries)
                .as("a summary with the count for each window that suppressed")
                .isEqualTo(expectedSummaries);
    }

    private static String window(Read first) {
        return first.upn() + " from " + first.time();
    }

    private static CollectingOutputs run(Map<String, String> settings) throws Exception {
        return CollectingOutputs.runJob(input, settings, null);
    }
}
