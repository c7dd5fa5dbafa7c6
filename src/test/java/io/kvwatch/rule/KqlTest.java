package io.kvwatch.rule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The KQL subset: its grammar (precedence, quoting, escapes, whitespace) and every construct it refuses, by name. */
class KqlTest {

    /** The parse tree in a compact form: {@code (a or (b and not c))}, values in brackets. */
    static String tree(String query) {
        return show(Kql.parse(query));
    }

    private static String show(Kql.Node n) {
        if (n instanceof Kql.AnyOf any) {
            return any.items().stream().map(KqlTest::show).collect(Collectors.joining(" or ", "(", ")"));
        }
        if (n instanceof Kql.AllOf all) {
            return all.items().stream().map(KqlTest::show).collect(Collectors.joining(" and ", "(", ")"));
        }
        if (n instanceof Kql.Negation not) {
            return "not " + show(not.item());
        }
        Kql.Match m = (Kql.Match) n;
        return m.field() + ":" + show(m.values());
    }

    private static String show(Kql.Values v) {
        if (v instanceof Kql.AnyValue any) {
            return any.items().stream().map(KqlTest::show).collect(Collectors.joining(" or ", "[", "]"));
        }
        if (v instanceof Kql.AllValues all) {
            return all.items().stream().map(KqlTest::show).collect(Collectors.joining(" and ", "[", "]"));
        }
        if (v instanceof Kql.NoValue not) {
            return "not " + show(not.item());
        }
        Kql.Value value = (Kql.Value) v;
        if (value.exists()) {
            return "EXISTS";
        }
        return value.isWildcard() ? "glob" + value.parts() : "'" + value.text() + "'";
    }

    @Test
    void notBindsTighterThanAndThanOr() {
        assertThat(tree("a: 1 or b: 2 and not c: 3")).isEqualTo("(a:'1' or (b:'2' and not c:'3'))");
        assertThat(tree("not a: 1 and b: 2 or c: 3")).isEqualTo("((not a:'1' and b:'2') or c:'3')");
        assertThat(tree("a: 1 and (b: 2 or c: 3)")).as("parentheses group").isEqualTo("(a:'1' and (b:'2' or c:'3'))");
        assertThat(tree("not not a: 1")).isEqualTo("not not a:'1'");
        assertThat(tree("not (a: 1 or b: 2)")).isEqualTo("not (a:'1' or b:'2')");
    }

    @Test
    void keywordsAreCaseInsensitive() {
        assertThat(tree("a: 1 OR b: 2 And NOT c: 3")).isEqualTo("(a:'1' or (b:'2' and not c:'3'))");
    }

    @Test
    void valueListsHaveTheSamePrecedence() {
        assertThat(tree("a: (x or y and not z)")).isEqualTo("a:['x' or ['y' and not 'z']]");
        assertThat(tree("a: (x)")).isEqualTo("a:'x'");
        assertThat(tree("a: ((x or y) and z)")).isEqualTo("a:[['x' or 'y'] and 'z']");
    }

    @Test
    void whitespaceAndNewlinesAreFree() {
        String spread = "\n  event.action\t:\n (\n \"SecretGet\" or\n\n\"KeyGet\"\r\n )\nand  x:*  \n";
        assertThat(tree(spread)).isEqualTo("(event.action:['SecretGet' or 'KeyGet'] and x:EXISTS)");
        assertThat(tree("a:b and c:\"d\"")).as("no space needed around ':'").isEqualTo("(a:'b' and c:'d')");
    }

    @Test
    void quotedValuesKeepSpacesSpecialCharactersAndKeywords() {
        assertThat(tree("a: \"two words\"")).isEqualTo("a:'two words'");
        assertThat(tree("a: \"or\"")).as("a keyword, quoted, is a value").isEqualTo("a:'or'");
        assertThat(tree("a: \"x*y (z): <w>\""))
                .as("no wildcard or syntax inside quotes")
                .isEqualTo("a:'x*y (z): <w>'");
        assertThat(tree("a: \"say \\\"hi\\\" \\\\ now\""))
                .as("\\\" and \\\\ escape")
                .isEqualTo("a:'say \"hi\" \\ now'");
        assertThat(tree("a: \"*\"")).as("a quoted star is a star, not exists").isEqualTo("a:'*'");
        assertThat(tree("a: \"https://kv.vault.azure.net/secrets/x\""))
                .isEqualTo("a:'https://kv.vault.azure.net/secrets/x'");
    }

    @Test
    void unquotedEscapesAndWildcards() {
        assertThat(tree("a: *")).isEqualTo("a:EXISTS");
        assertThat(tree("a: Secret*")).isEqualTo("a:glob[Secret, ]");
        assertThat(tree("a: *Get*ed")).isEqualTo("a:glob[, Get, ed]");
        assertThat(tree("a: 2\\*3")).as("an escaped star is literal").isEqualTo("a:'2*3'");
        assertThat(tree("a: \\or")).as("an escaped keyword is a value").isEqualTo("a:'or'");
        assertThat(tree("a: x\\:y\\(z\\)")).isEqualTo("a:'x:y(z)'");
        assertThat(tree("a: x\\ty")).isEqualTo("a:'x\ty'");
        assertThat(tree("a: \\u0041b")).isEqualTo("a:'Ab'");
        assertThat(tree("\"event.action\": SecretGet"))
                .as("a quoted field name")
                .isEqualTo("event.action:'SecretGet'");
    }

    @Test
    void valuePositionsAreLineAndColumn() {
        Kql.Node n = Kql.parse("a: 1 and\n  b: (\n    \"x\")");
        Kql.Match b = (Kql.Match) ((Kql.AllOf) n).items().get(1);
        assertThat(b.at()).isEqualTo(new Kql.Position(2, 3));
        assertThat(((Kql.Value) b.values()).at()).isEqualTo(new Kql.Position(3, 5));
    }

    @Test
    void refusedConstructsAreNamedWithTheirPlace() {
        List<String[]> cases = List.of(
                new String[] {"a: 1 and\n  b >= 200", "range comparison 'b >=' at line 2, column 3"},
                new String[] {"b: > 2", "range comparison '>' at line 1, column 4"},
                new String[] {"a: { b: 1 }", "nested field query 'a: {' at line 1, column 1"},
                new String[] {
                    "a: 1 and SecretGet", "a value without a field, 'SecretGet' at line 1, column 10: free-text search"
                },
                new String[] {"azure.*: x", "wildcard in the field name 'azure.*' at line 1, column 1"},
                new String[] {"*: x", "wildcard in the field name '*'"},
                new String[] {"a: (x or y", "missing closing parenthesis for the '(' at line 1, column 4"},
                new String[] {"(a: x or b: y", "missing closing parenthesis for the '(' at line 1, column 1"},
                new String[] {"a: x)", "unmatched ')' at line 1, column 5"},
                new String[] {
                    "a: two words", "unquoted value of several words, 'two words...', at line 1, column 4: quote it"
                },
                new String[] {"a: \"open", "unterminated quoted value starting at line 1, column 4"},
                new String[] {"a: 1 b: 2", "expected 'and', 'or' or the end of the query but found 'b'"},
                new String[] {"a: 1 and", "expected a field name, 'not' or '(' but found the end of the query"},
                new String[] {"a: or", "expected a value, '*' or '(' but found 'or'"},
                new String[] {"a: x\\q", "unknown escape '\\q'"},
                new String[] {"  \n ", "the query is empty"});
        for (String[] c : cases) {
            assertThatThrownBy(() -> Kql.parse(c[0]))
                    .as("refuses %s", c[0])
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(c[1]);
        }
    }
}
