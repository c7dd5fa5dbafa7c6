package io.kvwatch.rule;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A parser for the part of Kibana's query language (KQL) that rules of this family use: {@code field: value},
 * {@code field: "quoted value"}, {@code field: (a or b ...)}, {@code field: *} (exists), wildcards ({@code *}) in
 * unquoted values, {@code and}, {@code or}, {@code not} (any case; {@code not} binds tightest, then {@code and}, then
 * {@code or}) and parentheses, with free whitespace and newlines.
 *
 * <p>Everything else is refused with the construct and its place (line and column of the query): range comparisons,
 * nested field queries ({@code field: {...}}), values without a field (free-text search), wildcards in field names,
 * unquoted values of several words, unbalanced parentheses. Escapes follow KQL: a backslash makes a special character
 * or keyword of an unquoted value literal ({@code \*}, {@code \(}, {@code \or}); {@code \t}, {@code \r}, {@code \n} and
 * {@code \}{@code uXXXX} are whitespace and Unicode escapes; in a quoted value only {@code \"} and {@code \\} escape.
 */
final class Kql {

    /** Where a construct starts in the query text, 1-based. */
    record Position(int line, int column) {
        @Override
        public String toString() {
            return "line " + line + ", column " + column;
        }
    }

    /** A query: a boolean combination of field matches. */
    sealed interface Node permits AnyOf, AllOf, Negation, Match {}

    record AnyOf(List<Node> items) implements Node {}

    record AllOf(List<Node> items) implements Node {}

    record Negation(Node item) implements Node {}

    /** {@code field: values}. */
    record Match(String field, Position at, Values values) implements Node {}

    /** What a field is matched against: a value, or a boolean combination of values. */
    sealed interface Values permits AnyValue, AllValues, NoValue, Value {}

    record AnyValue(List<Values> items) implements Values {}

    record AllValues(List<Values> items) implements Values {}

    record NoValue(Values item) implements Values {}

    /**
     * One value. {@code parts} is null for an exact value, else the literal pieces between its wildcards ({@code Secret*}
     * has the parts {@code "Secret", ""}); an unquoted {@code *} alone is {@code exists}.
     */
    record Value(String text, List<String> parts, boolean exists, boolean quoted, Position at) implements Values {
        boolean isWildcard() {
            return parts != null;
        }
    }

    private Kql() {}

    /** Parses a query; a construct outside the subset throws, naming it and its place. */
    static Node parse(String query) {
        Parser p = new Parser(new Lexer(query).tokens());
        if (p.peek().kind == Kind.END) {
            throw new IllegalArgumentException("the query is empty");
        }
        Node node = p.or();
        Token next = p.peek();
        if (next.kind != Kind.END) {
            throw p.unexpected(next, "'and', 'or' or the end of the query");
        }
        return node;
    }

    // ---- tokens

    private enum Kind {
        LPAREN,
        RPAREN,
        COLON,
        LBRACE,
        RBRACE,
        RANGE,
        QUOTED,
        WORD,
        OR,
        AND,
        NOT,
        END
    }

    private record Token(Kind kind, String text, String raw, List<String> parts, boolean exists, Position at) {
        String shown() {
            return kind == Kind.END ? "the end of the query" : "'" + raw + "'";
        }
    }

    private static final String SPECIAL = "\\():<>\"*{}";

    private static final class Lexer {
        private final String s;
        private int i;
        private int line = 1;
        private int lineStart;
        private final List<Token> out = new ArrayList<>();

        Lexer(String s) {
            this.s = s;
        }

        List<Token> tokens() {
            while (true) {
                skipWhitespace();
                Position at = position();
                if (i >= s.length()) {
                    out.add(new Token(Kind.END, "", "", null, false, at));
                    return out;
                }
                char c = s.charAt(i);
                switch (c) {
                    case '(' -> single(Kind.LPAREN, at);
                    case ')' -> single(Kind.RPAREN, at);
                    case ':' -> single(Kind.COLON, at);
                    case '{' -> single(Kind.LBRACE, at);
                    case '}' -> single(Kind.RBRACE, at);
                    case '<', '>' -> {
                        int start = i++;
                        if (i < s.length() && s.charAt(i) == '=') {
                            i++;
                        }
                        String op = s.substring(start, i);
                        out.add(new Token(Kind.RANGE, op, op, null, false, at));
                    }
                    case '"' -> quoted(at);
                    default -> word(at);
                }
            }
        }

        private void single(Kind kind, Position at) {
            String text = String.valueOf(s.charAt(i++));
            out.add(new Token(kind, text, text, null, false, at));
        }

        private void skipWhitespace() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                if (s.charAt(i) == '\n') {
                    line++;
                    lineStart = i + 1;
                }
                i++;
            }
        }

        private Position position() {
            return new Position(line, i - lineStart + 1);
        }

        private void quoted(Position at) {
            int start = i++;
            StringBuilder text = new StringBuilder();
            while (true) {
                if (i >= s.length()) {
                    throw new IllegalArgumentException(
                            "unterminated quoted value starting at " + at + ": a closing" + " '\"' is missing");
                }
                char c = s.charAt(i);
                if (c == '"') {
                    i++;
                    break;
                }
                if (c == '\n') {
                    line++;
                    lineStart = i + 1;
                }
                if (c == '\\' && i + 1 < s.length()) {
                    char e = s.charAt(i + 1);
                    Character escaped = whitespaceEscape(e);
                    if (escaped != null) {
                        text.append(escaped.charValue());
                        i += 2;
                        continue;
                    }
                    if (e == 'u' && unicodeEscapeAt(i)) {
                        text.append((char) Integer.parseInt(s.substring(i + 2, i + 6), 16));
                        i += 6;
                        continue;
                    }
                    if (e == '"' || e == '\\') {
                        text.append(e);
                        i += 2;
                        continue;
                    }
                }
                text.append(c);
                i++;
            }
            out.add(new Token(Kind.QUOTED, text.toString(), s.substring(start, i), null, false, at));
        }

        private void word(Position at) {
            int start = i;
            StringBuilder piece = new StringBuilder();
            List<String> parts = new ArrayList<>();
            boolean escapes = false;
            boolean wildcard = false;
            while (i < s.length()) {
                char c = s.charAt(i);
                if (Character.isWhitespace(c) || (SPECIAL.indexOf(c) >= 0 && c != '\\' && c != '*')) {
                    break;
                }
                if (c == '*') {
                    wildcard = true;
                    parts.add(piece.toString());
                    piece.setLength(0);
                    i++;
                    continue;
                }
                if (c == '\\') {
                    escapes = true;
                    i = escape(piece, at);
                    continue;
                }
                piece.append(c);
                i++;
            }
            parts.add(piece.toString());
            String raw = s.substring(start, i);
            String text = String.join("*", parts);
            if (!escapes && !wildcard) {
                Kind keyword = switch (raw.toLowerCase(Locale.ROOT)) {
                    case "or" -> Kind.OR;
                    case "and" -> Kind.AND;
                    case "not" -> Kind.NOT;
                    default -> null;
                };
                if (keyword != null) {
                    out.add(new Token(keyword, raw, raw, null, false, at));
                    return;
                }
            }
            boolean exists = raw.equals("*");
            out.add(new Token(Kind.WORD, text, raw, wildcard && !exists ? List.copyOf(parts) : null, exists, at));
        }

        /** Appends the character the escape at {@code i} stands for; returns the index after it. */
        private int escape(StringBuilder piece, Position wordAt) {
            if (i + 1 >= s.length()) {
                throw new IllegalArgumentException("a backslash ends the query at " + position());
            }
            char e = s.charAt(i + 1);
            Character ws = whitespaceEscape(e);
            if (ws != null) {
                piece.append(ws.charValue());
                return i + 2;
            }
            if (e == 'u' && unicodeEscapeAt(i)) {
                piece.append((char) Integer.parseInt(s.substring(i + 2, i + 6), 16));
                return i + 6;
            }
            if (SPECIAL.indexOf(e) >= 0 || Character.isWhitespace(e)) {
                piece.append(e);
                return i + 2;
            }
            for (String keyword : List.of("or", "and", "not")) {
                if (s.regionMatches(true, i + 1, keyword, 0, keyword.length())) {
                    piece.append(s, i + 1, i + 1 + keyword.length());
                    return i + 1 + keyword.length();
                }
            }
            throw new IllegalArgumentException(
                    "unknown escape '\\" + e + "' at " + position() + " in the value" + " starting at " + wordAt);
        }

        private static Character whitespaceEscape(char e) {
            return switch (e) {
                case 't' -> '\t';
                case 'r' -> '\r';
                case 'n' -> '\n';
                default -> null;
            };
        }

        private boolean unicodeEscapeAt(int at) {
            if (at + 6 > s.length()) {
                return false;
            }
            for (int k = at + 2; k < at + 6; k++) {
                if (Character.digit(s.charAt(k), 16) < 0) {
                    return false;
                }
            }
            return true;
        }
    }

    // ---- grammar: or := and (OR and)*; and := not (AND not)*; not := NOT not | '(' or ')' | match

    private static final class Parser {
        private final List<Token> tokens;
        private int next;

        Parser(List<Token> tokens) {
            this.tokens = tokens;
        }

        Token peek() {
            return tokens.get(next);
        }

        Token take() {
            return tokens.get(next++);
        }

        Node or() {
            List<Node> items = new ArrayList<>(List.of(and()));
            while (peek().kind == Kind.OR) {
                take();
                items.add(and());
            }
            return items.size() == 1 ? items.get(0) : new AnyOf(List.copyOf(items));
        }

        Node and() {
            List<Node> items = new ArrayList<>(List.of(not()));
            while (peek().kind == Kind.AND) {
                take();
                items.add(not());
            }
            return items.size() == 1 ? items.get(0) : new AllOf(List.copyOf(items));
        }

        Node not() {
            Token t = peek();
            if (t.kind == Kind.NOT) {
                take();
                return new Negation(not());
            }
            if (t.kind == Kind.LPAREN) {
                take();
                Node inner = or();
                close(t);
                return inner;
            }
            return match();
        }

        Node match() {
            Token field = take();
            if (field.kind != Kind.WORD && field.kind != Kind.QUOTED) {
                throw unexpected(field, "a field name, 'not' or '('");
            }
            Token after = peek();
            if (after.kind == Kind.RANGE) {
                throw new IllegalArgumentException("range comparison '" + field.raw + " " + after.raw + "' at "
                        + field.at + " is not supported: the job matches fields with 'field: value' only");
            }
            if (after.kind != Kind.COLON) {
                throw new IllegalArgumentException("a value without a field, " + field.shown() + " at " + field.at
                        + ": free-text search is not supported; write field: value");
            }
            if (field.kind == Kind.WORD && (field.parts != null || field.exists)) {
                throw new IllegalArgumentException("wildcard in the field name '" + field.raw + "' at " + field.at
                        + " is not supported: name one field");
            }
            take();
            if (peek().kind == Kind.LBRACE) {
                throw new IllegalArgumentException(
                        "nested field query '" + field.raw + ": {' at " + field.at + " is not supported");
            }
            return new Match(field.text, field.at, values());
        }

        /** A value, or a parenthesised combination of values. */
        Values values() {
            Token t = peek();
            if (t.kind == Kind.LPAREN) {
                take();
                Values inner = valuesOr();
                close(t);
                return inner;
            }
            take();
            if (t.kind == Kind.QUOTED) {
                return new Value(t.text, null, false, true, t.at);
            }
            if (t.kind == Kind.WORD) {
                Token following = peek();
                Kind afterThat = tokens.get(Math.min(next + 1, tokens.size() - 1)).kind;
                if (following.kind == Kind.WORD && afterThat != Kind.COLON && afterThat != Kind.RANGE) {
                    throw new IllegalArgumentException("unquoted value of several words, '" + t.raw + " "
                            + following.raw + "...', at " + t.at + ": quote it");
                }
                return new Value(t.text, t.parts, t.exists, false, t.at);
            }
            if (t.kind == Kind.RANGE) {
                throw new IllegalArgumentException("range comparison '" + t.raw + "' at " + t.at
                        + " is not supported: the job matches fields with 'field: value' only");
            }
            throw unexpected(t, "a value, '*' or '('");
        }

        Values valuesOr() {
            List<Values> items = new ArrayList<>(List.of(valuesAnd()));
            while (peek().kind == Kind.OR) {
                take();
                items.add(valuesAnd());
            }
            return items.size() == 1 ? items.get(0) : new AnyValue(List.copyOf(items));
        }

        Values valuesAnd() {
            List<Values> items = new ArrayList<>(List.of(valuesNot()));
            while (peek().kind == Kind.AND) {
                take();
                items.add(valuesNot());
            }
            return items.size() == 1 ? items.get(0) : new AllValues(List.copyOf(items));
        }

        Values valuesNot() {
            if (peek().kind == Kind.NOT) {
                take();
                return new NoValue(valuesNot());
            }
            return values();
        }

        private void close(Token open) {
            Token t = peek();
            if (t.kind != Kind.RPAREN) {
                throw new IllegalArgumentException("missing closing parenthesis for the '(' at " + open.at
                        + (t.kind == Kind.END
                                ? ""
                                : ": expected 'and', 'or' or ')' but found " + t.shown() + " at " + t.at));
            }
            take();
        }

        IllegalArgumentException unexpected(Token t, String expected) {
            if (t.kind == Kind.RPAREN) {
                return new IllegalArgumentException("unmatched ')' at " + t.at);
            }
            if (t.kind == Kind.LBRACE || t.kind == Kind.RBRACE) {
                return new IllegalArgumentException(
                        "nested field query ('" + t.raw + "' at " + t.at + ") is not supported");
            }
            if (t.kind == Kind.RANGE) {
                return new IllegalArgumentException("range comparison '" + t.raw + "' at " + t.at
                        + " is not supported: the job matches fields with 'field: value' only");
            }
            return new IllegalArgumentException("expected " + expected + " but found " + t.shown() + " at " + t.at);
        }
    }
}
