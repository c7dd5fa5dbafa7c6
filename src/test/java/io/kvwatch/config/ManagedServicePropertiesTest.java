package io.kvwatch.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runtime properties of a managed service: the 'kvwatch' group, below every other layer. */
class ManagedServicePropertiesTest {

    @TempDir
    Path dir;

    @Test
    void readsTheKvwatchGroupAndIgnoresOthers() throws Exception {
        Path file = runtimeProperties("""
                [{"PropertyGroupId": "FlinkApplicationProperties", "PropertyMap": {"history-window": "1 d"}},
                 {"PropertyGroupId": "kvwatch", "PropertyMap": {"history-window": " 7 d ", "require-2xx": "true"}}]
                """);

        assertThat(ManagedServiceProperties.read(file))
                .containsExactly(Map.entry("history-window", "7 d"), Map.entry("require-2xx", "true"));
    }

    @Test
    void theyAreTheLowestLayer() throws Exception {
        Path runtime = runtimeProperties("""
                [{"PropertyGroupId": "kvwatch", "PropertyMap": {"history-window": "7 d", "idleness": "5 min",
                  "out-of-orderness": "1 min", "require-2xx": "true"}}]
                """);
        Path configFile = dir.resolve("job.properties");
        Files.writeString(configFile, "idleness=2 min\n");

        JobConfig c = JobConfig.load(
                new String[] {"--history-window", "3 d", "--config", configFile.toString()},
                Map.of(ManagedServiceProperties.FILE_ENV, runtime.toString(), "KVWATCH_OUT_OF_ORDERNESS", "10 s"));

        assertThat(c.get(JobOptions.HISTORY_WINDOW))
                .as("argument over runtime property")
                .isEqualTo(Duration.ofDays(3));
        assertThat(c.get(JobOptions.OUT_OF_ORDERNESS))
                .as("environment over runtime property")
                .isEqualTo(Duration.ofSeconds(10));
        assertThat(c.get(JobOptions.IDLENESS)).as("file over runtime property").isEqualTo(Duration.ofMinutes(2));
        assertThat(c.get(JobOptions.REQUIRE_2XX))
                .as("runtime property over default")
                .isTrue();
    }

    @Test
    void unknownKeysInTheGroupAreRefusedLikeAnyOther() throws Exception {
        Path runtime = runtimeProperties("""
                [{"PropertyGroupId": "kvwatch", "PropertyMap": {"histroy-window": "7 d"}}]
                """);
        assertThatThrownBy(() ->
                        JobConfig.load(new String[0], Map.of(ManagedServiceProperties.FILE_ENV, runtime.toString())))
                .hasMessageContaining("histroy-window");
    }

    @Test
    void aConnectionStringInRuntimePropertiesIsRefused() throws Exception {
        // Anyone allowed to describe the application reads its runtime properties: no place for a secret.
        Path runtime = runtimeProperties("""
                [{"PropertyGroupId": "kvwatch", "PropertyMap": {"kafka.properties.client.id":
                  "Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=a;SharedAccessKey=b"}}]
                """);
        assertThatThrownBy(() ->
                        JobConfig.load(new String[0], Map.of(ManagedServiceProperties.FILE_ENV, runtime.toString())))
                .hasMessageContaining("runtime properties")
                .hasMessageNotContaining("SharedAccessKey=b");
    }

    @Test
    void aFileThatIsNotAListOfGroupsIsAnError() throws Exception {
        Path file = runtimeProperties("{\"kvwatch\": {}}");
        assertThatThrownBy(() -> ManagedServiceProperties.read(file)).hasMessageContaining("not a JSON array");
    }

    @Test
    void withoutTheServicesFileThereIsNothingToRead() {
        // No KVWATCH_RUNTIME_PROPERTIES_FILE, and (on a build machine) no /etc/flink/application_properties.json.
        assertThat(Files.exists(Path.of(ManagedServiceProperties.DEFAULT_FILE))).isFalse();
        assertThat(ManagedServiceProperties.read(Map.of())).isEmpty();
    }

    private Path runtimeProperties(String json) throws Exception {
        Path file = dir.resolve("application_properties.json");
        Files.writeString(file, json);
        return file;
    }
}
