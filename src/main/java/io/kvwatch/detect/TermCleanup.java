package io.kvwatch.detect;

/**
 * How the detector frees the state of a term the rule no longer needs. Either way the rule decides on the episodes in
 * state, pruned by the watermark when the term is touched (see {@link FirstSeenDetector}): the two modes give the same
 * alerts; they differ in what bounds the state of terms that are not seen again, and in what that costs.
 */
public enum TermCleanup {
    /**
     * An event-time timer per term drops it once the watermark is a full window past its last sighting: state is
     * bounded in event time, also when event time runs far ahead of processing time (files, backfills). The timer is
     * a second row of state per term (on RocksDB about 40% of a term's bytes).
     */
    EVENT_TIME("event-time"),
    /**
     * No timer per term: an untouched term is dropped by the processing-time TTL ({@code state-ttl}), which Flink
     * cleans up in the background (heap: incrementally on access; RocksDB: in compactions). State is bounded by
     * processing time, which tracks event time while the job reads live input.
     */
    TTL("ttl");

    private final String value;

    TermCleanup(String value) {
        this.value = value;
    }

    /** The mode when none is set: event time on a bounded input (event time runs ahead), else the TTL. */
    public static TermCleanup defaultFor(boolean boundedInput) {
        return boundedInput ? EVENT_TIME : TTL;
    }

    /** The setting's spelling; Flink parses enum settings by it. */
    @Override
    public String toString() {
        return value;
    }
}
