package io.kvwatch.detect;

import java.util.Arrays;

/**
 * What is known of one term's sightings, in event time, as the rule needs it.
 *
 * <p>The rule alerts on a sighting at {@code t} when no sighting of the same term lies in {@code [t - window, t)}.
 * Over the sorted sightings that is exactly the first of each run whose gaps are all at most {@code window}: so a
 * term's history is a sorted list of such runs ("episodes"), each kept as its first and last time. An episode's start
 * is an alert; a sighting inside an episode is not. Sightings that arrive out of order can extend an episode
 * backwards (moving its start, and with it the alert, to the earlier record) or join two episodes (the later start
 * then no longer alerts) — which is why alerts wait for the watermark in {@link FirstSeenDetector}.
 *
 * <p>Encoded as {@code long[]{start0, end0, start1, end1, ...}} so that state is a primitive array: small, cheap to
 * serialise, no generic types. Almost always it holds one episode; several only when event time runs far apart
 * across partitions.
 */
public final class TermHistory {

    /** No sighting known. */
    public static final long NONE = Long.MIN_VALUE;

    private TermHistory() {}

    /** The result of adding one sighting. */
    public static final class Insert {
        /** The history after the sighting; the same array when nothing changed. */
        public final long[] episodes;
        /** Whether the sighting starts an episode, i.e. alerts (subject to later, earlier-timed arrivals). */
        public final boolean newStart;
        /** An episode start that no longer starts an episode, whose pending alert is void; or {@link #NONE}. */
        public final long voidedStart;
        /** The end of the episode before the sighting, when known; or {@link #NONE}. */
        public final long previousSeen;

        Insert(long[] episodes, boolean newStart, long voidedStart, long previousSeen) {
            this.episodes = episodes;
            this.newStart = newStart;
            this.voidedStart = voidedStart;
            this.previousSeen = previousSeen;
        }
    }

    /**
     * Adds a sighting at {@code t}.
     *
     * @param episodes the current history, or null for none
     * @param window the history window in millis: a gap of exactly {@code window} is still "within" it
     */
    public static Insert insert(long[] episodes, long t, long window) {
        int n = episodes == null ? 0 : episodes.length / 2;
        int next = 0; // first episode starting after t
        while (next < n && episodes[2 * next] <= t) {
            next++;
        }
        int prev = next - 1; // last episode starting at or before t
        if (prev >= 0 && t <= episodes[2 * prev + 1]) {
            return new Insert(episodes, false, NONE, NONE); // inside a known episode: a repeat
        }
        long prevEnd = prev >= 0 ? episodes[2 * prev + 1] : NONE;
        boolean joinsPrev = prev >= 0 && t - prevEnd <= window;
        boolean joinsNext = next < n && episodes[2 * next] - t <= window;

        if (joinsPrev && joinsNext) {
            long voided = episodes[2 * next];
            long[] merged = new long[episodes.length - 2];
            System.arraycopy(episodes, 0, merged, 0, 2 * prev + 1);
            merged[2 * prev + 1] = episodes[2 * next + 1];
            System.arraycopy(episodes, 2 * next + 2, merged, 2 * prev + 2, episodes.length - (2 * next + 2));
            return new Insert(merged, false, voided, NONE);
        }
        if (joinsPrev) {
            long[] extended = episodes.clone();
            extended[2 * prev + 1] = t;
            return new Insert(extended, false, NONE, NONE);
        }
        if (joinsNext) {
            long[] moved = episodes.clone();
            long voided = moved[2 * next];
            moved[2 * next] = t;
            return new Insert(moved, true, voided, prevEnd);
        }
        long[] added = new long[2 * n + 2];
        if (n > 0) {
            System.arraycopy(episodes, 0, added, 0, 2 * next);
            System.arraycopy(episodes, 2 * next, added, 2 * next + 2, 2 * (n - next));
        }
        added[2 * next] = t;
        added[2 * next + 1] = t;
        return new Insert(added, true, NONE, prevEnd);
    }

    /**
     * Drops the episodes that can no longer affect an on-time sighting: those that ended at least {@code window}
     * before the watermark. Returns null when nothing is left.
     */
    public static long[] expire(long[] episodes, long watermark, long window) {
        if (episodes == null) {
            return null;
        }
        int keepFrom = 0;
        while (keepFrom < episodes.length && episodes[keepFrom + 1] + window <= watermark) {
            keepFrom += 2;
        }
        if (keepFrom == episodes.length) {
            return null;
        }
        return keepFrom == 0 ? episodes : Arrays.copyOfRange(episodes, keepFrom, episodes.length);
    }

    /** Whether an episode starts exactly at {@code t}. */
    public static boolean startsEpisode(long[] episodes, long t) {
        if (episodes != null) {
            for (int i = 0; i < episodes.length; i += 2) {
                if (episodes[i] == t) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The latest sighting known. */
    public static long lastSeen(long[] episodes) {
        return episodes == null || episodes.length == 0 ? NONE : episodes[episodes.length - 1];
    }
}
