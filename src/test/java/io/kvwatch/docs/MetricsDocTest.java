package io.kvwatch.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The metrics table in docs/operations.md lists every metric the job registers, and nothing it does not: the
 * registrations are found in the main sources ({@code counter("name")}, {@code gauge("name", ...)}), so a new counter
 * without a row fails here.
 */
class MetricsDocTest {

    private static final Pattern REGISTRATION =
            Pattern.compile("\\.(?:counter|gauge|histogram|meter)\\(\\s*\"([A-Za-z0-9_]+)\"");
    private static final Pattern TABLE_ROW = Pattern.compile("^\\|[^|]*\\| `([A-Za-z0-9_]+)` \\|", Pattern.MULTILINE);

    @Test
    void everyRegisteredMetricHasARowAndEveryRowAMetric() throws IOException {
        Set<String> registered = new TreeSet<>();
        try (Stream<Path> sources = Files.walk(Path.of("src/main/java"))) {
            for (Path source : (Iterable<Path>) sources.filter(p -> p.toString().endsWith(".java"))::iterator) {
                Matcher m = REGISTRATION.matcher(Files.readString(source));
                while (m.find()) {
                    registered.add(m.group(1));
                }
            }
        }
        String page = Files.readString(Path.of("docs/operations.md"));
        String table =
                page.substring(page.indexOf("## Metrics"), page.indexOf("\n## ", page.indexOf("## Metrics") + 1));
        Set<String> documented = new TreeSet<>();
        Matcher row = TABLE_ROW.matcher(table);
        while (row.find()) {
            documented.add(row.group(1));
        }

        assertThat(registered)
                .as("metrics registered in src/main/java")
                .isNotEmpty()
                .contains("alerts", "deadLetters");
        assertThat(documented)
                .as("the metrics table of docs/operations.md against the metrics the job registers")
                .containsExactlyInAnyOrderElementsOf(registered);
    }
}
