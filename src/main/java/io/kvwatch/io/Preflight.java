package io.kvwatch.io;

import io.kvwatch.config.JobConfig;
import io.kvwatch.config.JobOptions;
import io.kvwatch.config.KafkaSettings;
import io.kvwatch.config.SetupException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * The checks a local run makes before it starts a mini-cluster, so that a mistake in a path ends the run at once
 * with one line naming it, instead of failing the job's tasks over and over: the input exists and can be read, each
 * output can be written, the two outputs are not one file, a savepoint to start from exists and one to write does
 * not. Paths with a scheme other than {@code file:} (s3://, abfss://) are left to Flink.
 */
public final class Preflight {

    private Preflight() {}

    /** The checks for {@code KeyVaultNewTermsJob}: input, rule file, outputs, savepoint to start from. */
    public static void checkJob(JobConfig config, Optional<KafkaSettings> kafka) {
        boolean readsKafka = kafka.map(KafkaSettings::readsKafka).orElse(false);
        boolean writesKafka = kafka.map(KafkaSettings::writesKafka).orElse(false);
        Optional<Path> input = readsKafka ? Optional.empty() : local(config.get(JobOptions.INPUT));
        input.ifPresent(p -> checkReadable(JobOptions.INPUT.key(), p));
        local(config.get(JobOptions.RULE)).ifPresent(p -> checkReadable(JobOptions.RULE.key(), p));
        local(config.get(JobOptions.EXCEPTIONS)).ifPresent(p -> checkNotAPipe(JobOptions.EXCEPTIONS.key(), p));
        if (!writesKafka) {
            Optional<Path> alerts = local(config.get(JobOptions.OUTPUT));
            Optional<Path> deadLetters = local(config.get(JobOptions.DEAD_LETTER_OUTPUT));
            if (alerts.isPresent() && deadLetters.isPresent() && same(alerts.get(), deadLetters.get())) {
                throw new SetupException("--" + JobOptions.OUTPUT.key() + " and --"
                        + JobOptions.DEAD_LETTER_OUTPUT.key()
                        + " are the same path, " + alerts.get() + ": alerts and dead letters would overwrite each"
                        + " other; give each its own file or directory");
            }
            alerts.ifPresent(p -> checkOutput(JobOptions.OUTPUT.key(), p, input));
            deadLetters.ifPresent(p -> checkOutput(JobOptions.DEAD_LETTER_OUTPUT.key(), p, input));
        }
        local(config.get(JobOptions.SAVEPOINT)).ifPresent(savepoint -> {
            if (!Files.exists(savepoint)) {
                throw new SetupException("--" + JobOptions.SAVEPOINT.key() + " " + savepoint + " does not exist: it"
                        + " names the savepoint to start from (BootstrapHistory writes one)");
            }
            if (Files.isDirectory(savepoint) && !Files.exists(savepoint.resolve("_metadata"))) {
                throw new SetupException("--" + JobOptions.SAVEPOINT.key() + " " + savepoint + " is not a savepoint:"
                        + " it holds no _metadata file");
            }
        });
    }

    private static void checkOutput(String option, Path path, Optional<Path> input) {
        if (input.isPresent() && within(path, input.get())) {
            throw new SetupException("--" + option + " " + path + " is the input (or inside it): the job would"
                    + " overwrite what it reads; write elsewhere");
        }
        checkWritable(option, path);
    }

    /** The checks for {@code BootstrapHistory}: input, rule file, dead-letter output, a savepoint path still free. */
    public static void checkBootstrap(JobConfig config) {
        local(config.get(JobOptions.INPUT)).ifPresent(p -> checkReadable(JobOptions.INPUT.key(), p));
        local(config.get(JobOptions.RULE)).ifPresent(p -> checkReadable(JobOptions.RULE.key(), p));
        local(config.get(JobOptions.EXCEPTIONS)).ifPresent(p -> checkNotAPipe(JobOptions.EXCEPTIONS.key(), p));
        local(config.get(JobOptions.DEAD_LETTER_OUTPUT))
                .ifPresent(p -> checkWritable(JobOptions.DEAD_LETTER_OUTPUT.key(), p));
        local(config.get(JobOptions.SAVEPOINT)).ifPresent(Preflight::checkSavepointTarget);
    }

    /** A savepoint is written once: Flink refuses to overwrite one, after reading all of the history. */
    static void checkSavepointTarget(Path savepoint) {
        String option = "--" + JobOptions.SAVEPOINT.key() + " " + savepoint;
        if (Files.isRegularFile(savepoint)) {
            throw new SetupException(option + " is a file; name a new directory for the savepoint");
        }
        if (Files.isDirectory(savepoint)) {
            boolean empty;
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(savepoint)) {
                empty = !entries.iterator().hasNext();
            } catch (IOException e) {
                throw new SetupException(option + " cannot be read: " + reason(e), e);
            }
            if (!empty) {
                throw new SetupException(option + " already exists"
                        + (Files.exists(savepoint.resolve("_metadata"))
                                ? " and holds a savepoint"
                                : " and is not empty")
                        + "; name a new directory (or remove this"
                        + " one to write it again)");
            }
        }
    }

    static void checkReadable(String option, Path path) {
        String named = "--" + option + " " + path;
        if (!Files.exists(path)) {
            throw new SetupException(named + ": no such file or directory"
                    + (path.isAbsolute() ? "" : " (relative to " + Path.of("").toAbsolutePath() + ")"));
        }
        checkNotAPipe(option, path);
        try {
            if (Files.isDirectory(path)) {
                try (DirectoryStream<Path> entries = Files.newDirectoryStream(path)) {
                    entries.iterator().hasNext();
                }
            } else {
                try (InputStream in = Files.newInputStream(path)) {
                    in.read();
                }
            }
        } catch (IOException e) {
            throw new SetupException(named + " cannot be read: " + reason(e), e);
        }
    }

    /**
     * Refuses a pipe, a device or a socket: opening one blocks until something writes to it (the run would hang), and
     * the job reads its files more than once (this check, then the job; a restarted job again).
     */
    static void checkNotAPipe(String option, Path path) {
        if (Files.exists(path) && !Files.isRegularFile(path) && !Files.isDirectory(path)) {
            boolean directoryAllowed = option.equals(JobOptions.INPUT.key());
            throw new SetupException("--" + option + " " + path + " is not a regular file"
                    + (directoryAllowed ? " or a directory" : "") + " (a pipe, such as <(...) makes, or a device):"
                    + " the job reads it more than once; write it to a file first");
        }
    }

    /**
     * Opens (or creates) the file or directory an output will write, without changing what is there. A file this
     * creates is removed again: the sink creates it when the job starts.
     */
    static void checkWritable(String option, Path path) {
        String named = "--" + option + " " + path;
        boolean directory = path.toString().endsWith("/") || Files.isDirectory(path);
        Path dir = directory ? path : path.toAbsolutePath().getParent();
        try {
            if (dir != null) {
                Path existing = dir;
                while (existing != null && !Files.exists(existing)) {
                    existing = existing.getParent();
                }
                if (existing != null && !Files.isDirectory(existing)) {
                    throw new SetupException(named + " cannot be written: " + existing + " is a file, not a directory");
                }
                Files.createDirectories(dir);
            }
            if (directory) {
                Files.delete(Files.createTempFile(dir, ".kvwatch-write-check", ".tmp"));
            } else {
                boolean existed = Files.exists(path);
                try (OutputStream out =
                        Files.newOutputStream(path, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                    out.flush();
                } catch (NoSuchFileException e) {
                    // The directory is there, yet a file cannot be made in it: /proc, /sys and their like.
                    throw new SetupException(named + " cannot be written: " + dir + " takes no new files", e);
                }
                if (!existed) {
                    Files.delete(path);
                }
            }
        } catch (IOException e) {
            throw new SetupException(named + " cannot be written: " + reason(e), e);
        }
    }

    /** A local path, or empty for none and for a file system Flink reaches by scheme. */
    static Optional<Path> local(String value) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        if (value.startsWith("file://")) {
            return Optional.of(Path.of(value.substring("file://".length())));
        }
        if (value.startsWith("file:")) {
            return Optional.of(Path.of(value.substring("file:".length())));
        }
        return value.matches("^[a-zA-Z][a-zA-Z0-9+.-]+://.*") ? Optional.empty() : Optional.of(Path.of(value));
    }

    private static boolean same(Path a, Path b) {
        return real(a).equals(real(b));
    }

    private static boolean within(Path output, Path input) {
        return real(output).startsWith(real(input)) || sameFile(output, input);
    }

    /** The same file under another name (a hard link). */
    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.isRegularFile(a) && Files.isRegularFile(b) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The path as the file system resolves it: symbolic links in the part that exists followed, the rest as written.
     * Compared as written, an output reached through a link to the input's directory would truncate the input.
     */
    private static Path real(Path path) {
        Path absolute = path.toAbsolutePath().normalize();
        Path existing = absolute;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return absolute;
        }
        try {
            return existing.toRealPath().resolve(existing.relativize(absolute)).normalize();
        } catch (IOException e) {
            return absolute; // unreadable: the checks that follow say so
        }
    }

    /** What went wrong, in the words of the operating system, without Java's class names where they add nothing. */
    static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof FileAlreadyExistsException f) {
            return f.getFile() + " exists and is not a directory";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
