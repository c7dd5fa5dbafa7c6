package io.kvwatch.config;

import org.apache.flink.configuration.MemorySize;

/**
 * Refuses numbers that have the option's type but no meaning for it, before the job is built: left to Flink, a
 * parallelism of 0 is refused in Flink's own words, one above the max parallelism fails the running job, a negative
 * dead-letter length crashes it at its first dead letter, and a message limit of a few bytes dead-letters every
 * message without a word.
 */
public final class OptionRanges {

    /** Flink's own upper bound for the number of key groups. */
    static final int MAX_KEY_GROUPS = 1 << 15;

    /** Below this, no Azure Monitor envelope of one Key Vault audit record fits (one record alone is ~1 KB). */
    static final MemorySize MIN_MESSAGE_SIZE = MemorySize.parse("1kb");

    private OptionRanges() {}

    /** @throws SetupException naming the option, its value and what it may be */
    public static void check(JobConfig config) {
        int maxParallelism = config.get(JobOptions.MAX_PARALLELISM);
        if (maxParallelism < 1 || maxParallelism > MAX_KEY_GROUPS) {
            throw new SetupException("--" + JobOptions.MAX_PARALLELISM.key() + " " + maxParallelism
                    + " is out of range: it must be between 1 and " + MAX_KEY_GROUPS);
        }
        config.getOptional(JobOptions.PARALLELISM).ifPresent(parallelism -> {
            if (parallelism < 1 || parallelism > maxParallelism) {
                throw new SetupException("--" + JobOptions.PARALLELISM.key() + " " + parallelism
                        + " is out of range: it must be between 1 and " + JobOptions.MAX_PARALLELISM.key() + " ("
                        + maxParallelism + "); leave it out to take the cluster's");
            }
        });
        MemorySize maxMessageSize = config.get(JobOptions.MAX_MESSAGE_SIZE);
        if (maxMessageSize.compareTo(MIN_MESSAGE_SIZE) < 0) {
            throw new SetupException("--" + JobOptions.MAX_MESSAGE_SIZE.key() + " is " + maxMessageSize.getBytes()
                    + " bytes: every message would be dead-lettered. It must be at least 1kb; write it with a"
                    + " unit (e.g. 1mb; default " + JobOptions.MAX_MESSAGE_SIZE.defaultValue() + ")");
        }
        int maxOriginal = config.get(JobOptions.DEAD_LETTER_MAX_ORIGINAL);
        if (maxOriginal < 0) {
            throw new SetupException("--" + JobOptions.DEAD_LETTER_MAX_ORIGINAL.key() + " " + maxOriginal
                    + " is negative: it is the number of characters of the original kept in a dead letter (0 keeps"
                    + " none)");
        }
    }
}
