package io.kvwatch;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's run command itself, {@code mvn -q compile exec:exec -Dexec.args="..."}, on a missing input: Maven
 * exits non-zero within seconds, the job's one line names the path, and neither Maven nor Flink prints a stack trace
 * (Maven still adds its own short "Failed to execute goal ... exited with an error: 2" block).
 */
class LocalRunCommandIT {

    @TempDir
    Path dir;

    @Test
    void missingInputThroughTheReadmeCommand() throws Exception {
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        List<String> command = List.of(maven(), "-q", "compile", "exec:exec", "-Dexec.args=--input /nonexistent");
        long start = System.nanoTime();
        Process process = new ProcessBuilder(command)
                .directory(Path.of("").toAbsolutePath().toFile())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        boolean exited = process.waitFor(120, TimeUnit.SECONDS);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        if (!exited) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String stdout = Files.readString(out, UTF_8);
        String stderr = Files.readString(err, UTF_8);
        String shown = "stdout:\n" + stdout + "\nstderr:\n" + stderr;
        assertThat(exited).as("Maven ended within 120 s; %s", shown).isTrue();
        assertThat(process.exitValue()).as("Maven's exit status; %s", shown).isNotZero();
        assertThat(stderr.lines().filter(l -> l.startsWith("kvwatch: ")).toList())
                .as("the job's line; %s", shown)
                .containsExactly("kvwatch: --input /nonexistent: no such file or directory");
        assertThat(stdout + stderr)
                .as("no stack trace, Maven's or the job's; %s", shown)
                .doesNotContain("\tat ", "    at ", "Caused by", "ExecuteException");
        assertThat(took).as("time to fail, Maven's start included").isLessThan(Duration.ofSeconds(60));
    }

    private static String maven() {
        String home = System.getProperty("maven.home");
        Path mvn = home == null ? null : Path.of(home, "bin", "mvn");
        return mvn != null && Files.isExecutable(mvn) ? mvn.toString() : "mvn";
    }
}
