package io.kvwatch.deploy;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.HighAvailabilityOptions;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.state.rocksdb.RocksDBConfigurableOptions;
import org.apache.flink.state.rocksdb.RocksDBOptions;

/**
 * The current keys of the Flink options our deployment files set. Flink still reads many pre-2.0 keys as deprecated
 * fallbacks (state.checkpoints.dir, state.backend.incremental, ...), so a typed read alone would not notice a file
 * written for Flink 1.x; checking names against {@link ConfigOption#key()} does.
 */
final class FlinkOptionKeys {

    /**
     * Key families that are not declared as options on our classpath: reporter settings are per reporter name, the
     * Azure file system forwards fs.azure.* to Hadoop, and the Kubernetes options live in flink-kubernetes.
     */
    static final List<String> PASS_THROUGH_PREFIXES = List.of("metrics.reporter.prom.", "fs.azure.", "kubernetes.");

    private static final Set<String> KEYS = collect(
            CheckpointingOptions.class,
            StateBackendOptions.class,
            RestartStrategyOptions.class,
            StateRecoveryOptions.class,
            JobManagerOptions.class,
            TaskManagerOptions.class,
            MetricOptions.class,
            HighAvailabilityOptions.class,
            CoreOptions.class,
            RestOptions.class,
            PipelineOptions.class,
            RocksDBOptions.class,
            RocksDBConfigurableOptions.class);

    private FlinkOptionKeys() {}

    /** Whether {@code key} is the current name of a Flink option, or belongs to a pass-through family. */
    static boolean isCurrent(String key) {
        return KEYS.contains(key) || PASS_THROUGH_PREFIXES.stream().anyMatch(key::startsWith);
    }

    private static Set<String> collect(Class<?>... holders) {
        Set<String> keys = new TreeSet<>();
        for (Class<?> holder : holders) {
            for (Field field : holder.getFields()) {
                if (Modifier.isStatic(field.getModifiers()) && ConfigOption.class.isAssignableFrom(field.getType())) {
                    try {
                        keys.add(((ConfigOption<?>) field.get(null)).key());
                    } catch (IllegalAccessException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        }
        return keys;
    }
}
