package io.kvwatch.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Reads a Java properties file (UTF-8) into keys and values, both stripped: the job's {@code --config} file and the
 * {@code kafka.properties-file} alike. Either may hold secrets (Kafka credentials), so a failure names the file and
 * what went wrong, never a line of it.
 */
final class PropertiesFile {

    private PropertiesFile() {}

    /**
     * @param what the file's role in messages, e.g. "configuration file"
     * @throws SetupException {@code Cannot read the <what> <file>: <reason>}
     */
    static Map<String, String> read(Path file, String what) {
        Properties p = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(reader);
        } catch (IOException | IllegalArgumentException e) {
            throw new SetupException(
                    "Cannot read the " + what + " " + file + ": " + reason(e), e instanceof IOException ? e : null);
        }
        Map<String, String> out = new LinkedHashMap<>();
        p.stringPropertyNames().forEach(k -> out.put(k.strip(), p.getProperty(k).strip()));
        return out;
    }

    /** Why a settings file could not be read, in words, never quoting its content (it may hold a secret). */
    static String reason(Exception e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof IllegalArgumentException) {
            return "malformed \\uXXXX escape";
        }
        // The exception's own message may quote the file (invalid UTF-8 does not, a parser might): its kind only.
        return e.getClass().getSimpleName();
    }
}
