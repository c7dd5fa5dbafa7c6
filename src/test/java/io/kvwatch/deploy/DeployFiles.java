package io.kvwatch.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Reads the YAML files under flink-conf/ and deploy/ for the deployment checks. */
final class DeployFiles {

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private DeployFiles() {}

    /** Every YAML file under the given directories. */
    static List<Path> yamlFiles(Path... roots) throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path root : roots) {
            try (Stream<Path> walk = Files.walk(root)) {
                walk.filter(Files::isRegularFile)
                        .filter(p ->
                                p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
                        .sorted()
                        .forEach(files::add);
            }
        }
        return files;
    }

    /** All documents of a (multi-document) YAML file, each as a tree. */
    static List<JsonNode> documents(Path file) throws IOException {
        List<JsonNode> docs = new ArrayList<>();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
                YAMLParser parser = ((YAMLFactory) YAML.getFactory()).createParser(reader)) {
            Iterator<JsonNode> it = YAML.readValues(parser, JsonNode.class);
            while (it.hasNext()) {
                JsonNode doc = it.next();
                if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
                    docs.add(doc);
                }
            }
        }
        return docs;
    }

    /** The one document of kind {@code kind} in a file. */
    static JsonNode document(Path file, String kind) throws IOException {
        List<JsonNode> matching = documents(file).stream()
                .filter(d -> kind.equals(d.path("kind").asText()))
                .toList();
        if (matching.size() != 1) {
            throw new AssertionError(file + " holds " + matching.size() + " documents of kind " + kind);
        }
        return matching.get(0);
    }

    /** A Flink-style YAML file as flat keys: nested maps are joined with '.', as Flink itself reads them. */
    static Map<String, String> readFlat(Path file) throws IOException {
        Map<String, String> flat = new LinkedHashMap<>();
        flatten("", YAML.readTree(file.toFile()), flat);
        return flat;
    }

    /**
     * The settings a section of a Flink-style YAML file documents commented out ({@code # key: value} lines between
     * its {@code # ---- <heading>} line and the next section), as they would read uncommented.
     */
    static Map<String, String> commentedSettings(Path file, String heading) throws IOException {
        Map<String, String> settings = new LinkedHashMap<>();
        boolean inSection = false;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.startsWith("# ---- ")) {
                inSection = line.startsWith("# ---- " + heading);
                continue;
            }
            Matcher setting = COMMENTED_SETTING.matcher(line);
            if (inSection && setting.matches()) {
                settings.put(setting.group(1), setting.group(2).trim());
            }
        }
        return settings;
    }

    private static final Pattern COMMENTED_SETTING = Pattern.compile("^# ([a-z][A-Za-z0-9_.-]*): (\\S.*)$");

    private static void flatten(String prefix, JsonNode node, Map<String, String> out) {
        if (node.isObject()) {
            node.fields()
                    .forEachRemaining(
                            e -> flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), out));
        } else {
            out.put(prefix, node.isValueNode() ? node.asText() : node.toString());
        }
    }
}
