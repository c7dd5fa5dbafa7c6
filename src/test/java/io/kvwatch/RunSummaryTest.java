package io.kvwatch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvwatch.testing.JobProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A local run over bounded input ends with one block on stderr saying what it did; its figures are the operators'
 * counters, and they agree with what the outputs received.
 */
class RunSummaryTest {

    static final Duration KILL_AFTER = Duration.ofMinutes(3);
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /**
     * The README's first command, no options: the bundled sample, alerts on stdout, dead letters on stderr. The
     * sample's figures: 212 lines (messages); 689 Key Vault records, of which 617 are the rule's reads and 72 are not;
     * 16 records of other categories; 9 broken messages or records; 185 alerts (the count the independent
     * check found).
     */
    @Test
    void theBundledSampleSaysWhatItDid() throws Exception {
        JobProcess.Result r = JobProcess.run(dir, KILL_AFTER, Map.of(), KeyVaultNewTermsJob.class.getName());
        assertThat(r.exitCode()).as("a finished run exits 0: %s", r).isZero();

        List<String> lines = r.stderrLines();
        int start = lines.indexOf(lines.stream()
                .filter(l -> l.startsWith("kvwatch: finished in "))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no summary on stderr: " + r)));
        List<String> deadLetters = lines.subList(0, start);
        List<String> summary = lines.subList(start, lines.size());
        assertThat(summary.get(0))
                .as("the first line")
                .matches("kvwatch: finished in [0-9.]+ s; read the bundled sample");
        assertThat(summary.subList(1, summary.size()).stream()
                        .map(l -> l.replaceAll(" +", " ").strip())
                        .toList())
                .as("the figures")
                .containsExactly(
                        "messages 212",
                        "records 689 Key Vault audit records",
                        "counted 617 reads by a user: the rule's terms",
                        "excepted 0 by the exceptions file",
                        "not the rule's 72 other operations, identities or results",
                        "ignored 16 records of other categories",
                        "dead letters 9 bad_time 4, not_json 3, records_not_an_array 2; to stderr",
                        "late 0 decided after the watermark",
                        "alerts 185 to stdout",
                        "suppressed 0 by suppression-fields",
                        "held back 0 while learning");

        assertThat(r.stdout().lines().count()).as("the alerts on stdout").isEqualTo(185);
        assertThat(Files.readAllLines(Path.of("src/main/resources/samples/keyvault-audit-sample.ndjson")))
                .as("one message per line of the sample")
                .hasSize(212);
        assertThat(reasons(deadLetters))
                .as("the dead letters on stderr, by reason")
                .isEqualTo(Map.of("bad_time", 4, "not_json", 3, "records_not_an_array", 2));
    }

    /** With files and suppression: the summary names the files and counts what is in them. */
    @Test
    void filesAndSuppressionAreCountedAsWritten() throws Exception {
        JobProcess.Result r = JobProcess.run(
                dir,
                KILL_AFTER,
                Map.of(),
                KeyVaultNewTermsJob.class.getName(),
                "--output",
                "out/alerts.ndjson",
                "--dead-letters",
                "out/dead-letters.ndjson",
                "--suppression-fields",
                "upn",
                "--learning",
                "--learning-period",
                "3d");
        assertThat(r.exitCode()).as("a finished run exits 0: %s", r).isZero();
        assertThat(r.stdout()).as("stdout: nothing, the alerts went to a file").isEmpty();
        String summary = r.stderr();

        long alerts = figure(summary, "alerts");
        long suppressed = figure(summary, "suppressed");
        long heldBack = figure(summary, "held back");
        Matcher updates =
                Pattern.compile("to out/alerts.ndjson \\(and ([0-9]+) updates").matcher(summary);
        assertThat(updates.find())
                .as("the summary names the alert file and the suppression updates: %s", summary)
                .isTrue();
        assertThat(Files.readAllLines(dir.resolve("out/alerts.ndjson")))
                .as("alert documents written: each alert, and an update per window that suppressed some")
                .hasSize((int) (alerts + Long.parseLong(updates.group(1))));
        assertThat(suppressed)
                .as("suppression by upn suppresses some of the sample's alerts")
                .isPositive();
        assertThat(heldBack).as("3 days of learning hold some back").isPositive();
        assertThat(alerts + suppressed + heldBack)
                .as("every new term of the sample, said, suppressed or held back")
                .isEqualTo(185);
        assertThat(summary).contains("; to out/dead-letters.ndjson");
        assertThat(Files.readAllLines(dir.resolve("out/dead-letters.ndjson")))
                .as("dead letters written")
                .hasSize(9);
    }

    private static long figure(String summary, String name) {
        Matcher m = Pattern.compile("(?m)^\\s+" + Pattern.quote(name) + "\\s+([0-9]+)")
                .matcher(summary);
        assertThat(m.find()).as("'%s' in the summary: %s", name, summary).isTrue();
        return Long.parseLong(m.group(1));
    }

    private static Map<String, Integer> reasons(List<String> deadLetters) throws Exception {
        Map<String, Integer> byReason = new TreeMap<>();
        for (String line : deadLetters) {
            byReason.merge(JSON.readTree(line).get("reason").asText(), 1, Integer::sum);
        }
        return byReason;
    }
}
