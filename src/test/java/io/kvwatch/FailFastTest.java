package io.kvwatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kvwatch.config.JobConfig;
import io.kvwatch.config.SetupException;
import io.kvwatch.testing.FakeSecrets;
import io.kvwatch.testing.JobProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every setup mistake a user can make, made as a user makes it: the job's {@code main} in a JVM of its own, without
 * a cluster, as {@code mvn -q compile exec:exec} runs it. Each must end within seconds, with exit status 2 and one
 * line on stderr that names the cause, and no stack trace; nothing may be written to stdout (the alerts' place).
 */
class FailFastTest {

    /** Well under a minute: a JVM start and the check itself, on a busy machine. */
    static final Duration BOUND = Duration.ofSeconds(40);

    static final Duration KILL_AFTER = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    @Test
    void missingInput() throws Exception {
        assertSetupError(job("--input", "/nonexistent/archive"), "--input /nonexistent/archive", "no such file");
    }

    @Test
    void relativeMissingInputSaysRelativeToWhat() throws Exception {
        assertSetupError(job("--input", "archive/"), "--input archive", "no such file", dir.toString());
    }

    @Test
    void unreadableInput() throws Exception {
        assumeFalse("root".equals(System.getProperty("user.name")), "root reads every file");
        Path input = Files.writeString(dir.resolve("in.ndjson"), "{}\n");
        input.toFile().setReadable(false, false);
        assertSetupError(job("--input", input.toString()), "--input " + input, "cannot be read");
    }

    @Test
    void outputUnderAFile() throws Exception {
        Files.writeString(dir.resolve("afile"), "x");
        assertSetupError(
                job("--output", "afile/alerts.ndjson"), "--output afile/alerts.ndjson", "is a file, not a directory");
    }

    @Test
    void outputWhereNoFileCanBeMade() throws Exception {
        assertSetupError(job("--output", "/proc/x"), "--output /proc/x", "cannot be written");
    }

    @Test
    void bothOutputsOnOnePath() throws Exception {
        assertSetupError(
                job("--output", "out.ndjson", "--dead-letters", "./out.ndjson"),
                "--output and --dead-letters are the same path");
    }

    @Test
    void outputOverTheInput() throws Exception {
        Path input = Files.writeString(dir.resolve("in.ndjson"), "{}\n");
        assertSetupError(job("--input", input.toString(), "--output", input.toString()), "is the input");
        assertThat(Files.readString(input)).as("the input is untouched").isEqualTo("{}\n");
    }

    @Test
    void outputOverTheInputThroughASymbolicLink() throws Exception {
        Path input =
                Files.writeString(Files.createDirectories(dir.resolve("data")).resolve("in.ndjson"), "{}\n");
        Path link = Files.createSymbolicLink(dir.resolve("link"), dir.resolve("data"));
        // Before: the path was compared as written, the job truncated its own input and ended "fine" with 0 messages.
        assertSetupError(
                job(
                        "--input",
                        input.toString(),
                        "--output",
                        link.resolve("in.ndjson").toString()),
                "is the input");
        assertThat(Files.readString(input)).as("the input is untouched").isEqualTo("{}\n");
        assertSetupError(
                job(
                        "--input",
                        link.toString(),
                        "--dead-letters",
                        input.resolveSibling("dl.ndjson").toString()),
                "--dead-letters",
                "is the input");
        Path hardLink = Files.createLink(dir.resolve("other-name.ndjson"), input);
        assertSetupError(job("--input", input.toString(), "--output", hardLink.toString()), "is the input");
        assertThat(Files.readString(input))
                .as("the input is untouched by its hard link")
                .isEqualTo("{}\n");
    }

    @Test
    void aPipeInsteadOfAFile() throws Exception {
        // As '--rule <(curl ...)' or '--input <(zcat ...)' give one: the check's own read blocked without a writer
        // (the run hung) and took a byte from the pipe with one.
        Path fifo = dir.resolve("fifo");
        assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "mkfifo works here");
        assertSetupError(job("--rule", fifo.toString()), "--rule " + fifo, "is not a regular file");
        assertSetupError(job("--input", fifo.toString()), "--input " + fifo, "is not a regular file or a directory");
        assertSetupError(job("--exceptions", fifo.toString()), "--exceptions " + fifo, "is not a regular file");
    }

    @Test
    void durationWithoutAUnit() throws Exception {
        assertSetupError(job("--history-window", "14"), "history-window", "'14' without a unit", "ms, s, min, h, d");
    }

    @Test
    void parallelismOutOfRange() throws Exception {
        assertSetupError(job("--parallelism", "0"), "--parallelism 0 is out of range", "between 1 and");
        // Flink would start this job and fail it while running: more subtasks than key groups.
        assertSetupError(job("--parallelism", "5000"), "--parallelism 5000 is out of range", "max-parallelism (4096)");
        assertSetupError(job("--max-parallelism", "0"), "--max-parallelism 0 is out of range");
    }

    @Test
    void messageSizeThatNoMessageFits() throws Exception {
        // A bare number is bytes: every message would be dead-lettered and the run would end "successfully".
        assertSetupError(job("--max-message-size", "1"), "--max-message-size is 1 bytes", "at least 1kb");
    }

    @Test
    void negativeDeadLetterLength() throws Exception {
        // Accepted, it failed the job at its first dead letter.
        assertSetupError(job("--dead-letter-max-original", "-1"), "--dead-letter-max-original -1 is negative");
    }

    @Test
    void optionWithoutItsValue() throws Exception {
        assertSetupError(job("--input"), "--input needs a value");
        assertSetupError(job("--output", "--dead-letters", "dl.ndjson"), "--output needs a value");
        assertThat(dir.resolve("true")).as("no file named 'true' is written").doesNotExist();
    }

    @Test
    void typoNamesTheNearestOption() throws Exception {
        assertSetupError(job("--histroy-window", "7d"), "'histroy-window'", "did you mean 'history-window'", "--help");
    }

    @Test
    void kafkaOutputsWithoutAnInputTopic() throws Exception {
        assertSetupError(
                job(
                        "--alerts.topic",
                        "kv-alerts",
                        "--dead-letters.topic",
                        "kv-dl",
                        "--kafka.bootstrap-servers",
                        "127.0.0.1:1"),
                "without kafka.topic",
                "bundled sample");
    }

    @Test
    void eventHubsCredentialsWithoutATopic() throws Exception {
        String key = FakeSecrets.sharedAccessKey();
        JobProcess.Result r = JobProcess.run(
                dir,
                KILL_AFTER,
                Map.of(JobConfig.EVENTHUBS_CONNECTION_STRING_ENV, FakeSecrets.connectionString("kv-logs", key)),
                KeyVaultNewTermsJob.class.getName());
        assertSetupError(r, "the Event Hubs connection string", "kafka.topic");
        assertThat(r.stderr() + r.stdout()).as("the secret is not shown").doesNotContain(key);
    }

    @Test
    void unreachableKafka() throws Exception {
        assertSetupError(
                job(
                        "--kafka.topic",
                        "kv-audit",
                        "--kafka.bootstrap-servers",
                        "127.0.0.1:1",
                        "--kafka.check-timeout",
                        "3s"),
                "Cannot reach the Kafka cluster",
                "127.0.0.1:1",
                "connection refused");
    }

    @Test
    void unknownKafkaHost() throws Exception {
        assertSetupError(
                job(
                        "--kafka.topic",
                        "kv-audit",
                        "--kafka.bootstrap-servers",
                        "kafka-1.invalid:9092",
                        "--kafka.check-timeout",
                        "3s"),
                "kafka-1.invalid:9092",
                "unknown host");
    }

    @Test
    void missingExceptionsFile() throws Exception {
        assertSetupError(job("--exceptions", "exceptions.yaml"), "--exceptions exceptions.yaml", "no such file");
    }

    @Test
    void malformedExceptionsFile() throws Exception {
        Files.writeString(dir.resolve("exceptions.yaml"), "- upn: [unclosed\n");
        assertSetupError(job("--exceptions", "exceptions.yaml"), "exceptions.yaml");
    }

    @Test
    void missingRuleFile() throws Exception {
        assertSetupError(job("--rule", "rules/kv.toml"), "--rule rules/kv.toml: no such file or directory");
    }

    @Test
    void ruleFileTheJobCannotFollow() throws Exception {
        Files.writeString(dir.resolve("kv.toml"), "[rule]\ntype = \"query\"\n");
        assertSetupError(job("--rule", "kv.toml"), "kv.toml");
    }

    @Test
    void missingSavepointToStartFrom() throws Exception {
        assertSetupError(job("--savepoint", "sp"), "--savepoint sp does not exist");
    }

    @Test
    void bootstrapToASavepointThatExists() throws Exception {
        Files.writeString(dir.resolve("history.ndjson"), "{}\n");
        Files.createDirectories(dir.resolve("sp"));
        Files.writeString(dir.resolve("sp/_metadata"), "x");
        JobProcess.Result r = JobProcess.run(
                dir,
                KILL_AFTER,
                Map.of(),
                BootstrapHistory.class.getName(),
                "--input",
                "history.ndjson",
                "--savepoint",
                "sp");
        assertSetupError(r, "--savepoint sp already exists and holds a savepoint");
    }

    @Test
    void bootstrapWithoutASavepointPath() throws Exception {
        Files.writeString(dir.resolve("history.ndjson"), "{}\n");
        JobProcess.Result r = JobProcess.run(
                dir, KILL_AFTER, Map.of(), BootstrapHistory.class.getName(), "--input", "history.ndjson");
        assertSetupError(r, "BootstrapHistory needs --savepoint");
    }

    @Test
    void startingFromADirectoryThatIsNoSavepoint() throws Exception {
        Files.createDirectories(dir.resolve("sp"));
        assertSetupError(job("--savepoint", "sp"), "--savepoint sp is not a savepoint");
    }

    /**
     * A mistake only the running job finds (a savepoint of other key groups): a local run gives up after its few
     * restarts, with one line and status 1, instead of restarting for ever.
     */
    @Test
    void aJobThatFailsWhileRunningEndsWithOneLine() throws Exception {
        Path sample = Path.of("src/main/resources/samples/keyvault-audit-sample.ndjson")
                .toAbsolutePath();
        JobProcess.Result bootstrap = JobProcess.run(
                dir,
                KILL_AFTER,
                Map.of(),
                BootstrapHistory.class.getName(),
                "--input",
                sample.toString(),
                "--savepoint",
                "sp",
                "--max-parallelism",
                "128",
                "--parallelism",
                "1");
        assertThat(bootstrap.exitCode()).as("the bootstrap: %s", bootstrap).isZero();
        assertThat(bootstrap.stderr()).as("its summary").contains("savepoint written to sp");

        JobProcess.Result r = job("--savepoint", "sp", "--parallelism", "1");
        assertThat(r.exitCode()).as("exit status of a failed job: %s", r).isEqualTo(1);
        assertThat(r.stderrLines()).as("one line on stderr: %s", r).hasSize(1);
        assertThat(r.stderrLines().get(0))
                .as("the line")
                .startsWith("kvwatch: the job failed: ")
                .contains("Max parallelism mismatch", "kvwatch-local.log");
        assertThat(r.stderr()).as("no stack trace").doesNotContain("\tat ", "Caused by");
        assertThat(r.took()).as("time to fail: %s", r).isLessThan(BOUND);
        assertThat(Files.readString(r.log()))
                .as("the trace is in the log file")
                .contains("\tat ")
                .as("a local run restarts a failing job a bounded number of times")
                .contains("FixedDelayRestartBackoffTimeStrategy(maxNumberRestartAttempts=" + LocalRun.LOCAL_RESTARTS);
    }

    @Test
    void helpListsEveryOptionAndExitsZero() throws Exception {
        JobProcess.Result r = job("--help");
        assertThat(r.exitCode()).as("exit status of --help: %s", r).isZero();
        assertThat(r.stdout())
                .as("--help on stdout")
                .contains("--idleness DURATION   (default: 1 min)", "--kafka.check-timeout", "--learning");
        assertThat(r.stderr()).as("nothing on stderr").isBlank();
    }

    private JobProcess.Result job(String... args) throws Exception {
        return JobProcess.run(dir, KILL_AFTER, Map.of(), KeyVaultNewTermsJob.class.getName(), args);
    }

    /** Exit 2, one line on stderr with every fragment, no trace, nothing on stdout, within {@link #BOUND}. */
    static void assertSetupError(JobProcess.Result r, String... fragments) {
        assertThat(r.exitCode()).as("exit status of a setup mistake: %s", r).isEqualTo(SetupException.EXIT_CODE);
        assertThat(r.stderrLines()).as("one line on stderr: %s", r).hasSize(1);
        String line = r.stderrLines().get(0);
        assertThat(line).as("the line").startsWith("kvwatch: ").contains(fragments);
        assertThat(r.stderr()).as("no stack trace").doesNotContain("\tat ", "Exception:", "Caused by");
        assertThat(r.stdout()).as("stdout stays the alerts' place").isEmpty();
        assertThat(r.took()).as("time to fail: %s", r).isLessThan(BOUND);
    }
}
