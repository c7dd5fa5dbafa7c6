package io.kvwatch.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ParentWatchdogMainTest {

    /** Stands in for the broker: a main method that never returns on its own. */
    public static final class RunForever {
        public static void main(String[] args) throws InterruptedException {
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    @Test
    void childExitsWhenItsStdinIsClosed() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(
                        java,
                        "-cp",
                        System.getProperty("java.class.path"),
                        ParentWatchdogMain.class.getName(),
                        RunForever.class.getName())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            assertThat(child.waitFor(1, TimeUnit.SECONDS))
                    .as("child exited on its own while its parent is alive")
                    .isFalse();

            child.getOutputStream().close(); // what the OS does when the parent JVM dies

            assertThat(child.waitFor(20, TimeUnit.SECONDS))
                    .as("child exited after its stdin closed")
                    .isTrue();
            assertThat(child.exitValue()).as("child exit code").isEqualTo(3);
        } finally {
            child.destroyForcibly();
        }
    }
}
