package io.kvwatch.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvwatch.config.OptionsHelp;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The option table of docs/configuration.md is the one {@link OptionsHelp} generates from JobOptions, so that no key,
 * default or meaning can drift. After changing an option, rewrite the table with
 * {@code mvn test -Dtest=ConfigurationDocTest -Dkvwatch.docs.write=true}.
 */
class ConfigurationDocTest {

    private static final Path PAGE = Path.of("docs/configuration.md");
    private static final String START = "<!-- options: generated from JobOptions by ConfigurationDocTest -->\n";
    private static final String END = "<!-- options: end -->\n";

    @Test
    void optionTableIsTheGeneratedOne() throws IOException {
        String page = Files.readString(PAGE, StandardCharsets.UTF_8);
        int start = page.indexOf(START);
        int end = page.indexOf(END);
        assertThat(start)
                .as("docs/configuration.md has the generated table's start marker")
                .isNotNegative();
        assertThat(end).as("and its end marker, after the start").isGreaterThan(start);
        String generated = OptionsHelp.markdownTable();
        String documented = page.substring(start + START.length(), end);
        if (Boolean.getBoolean("kvwatch.docs.write")) {
            Files.writeString(
                    PAGE,
                    page.substring(0, start + START.length()) + generated + page.substring(end),
                    StandardCharsets.UTF_8);
            documented = generated;
        }
        assertThat(documented)
                .as("docs/configuration.md's option table against JobOptions; rewrite it with"
                        + " mvn test -Dtest=ConfigurationDocTest -Dkvwatch.docs.write=true")
                .isEqualTo(generated);
    }
}
