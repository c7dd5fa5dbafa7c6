package io.kvwatch.detect;

import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.TermKey;
import java.time.Duration;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.state.api.functions.KeyedStateBootstrapFunction;

/**
 * Writes the history of each term from archived sightings into the {@link FirstSeenDetector}'s own state, as if the
 * detector had seen them: the same episodes and, in {@link TermCleanup#EVENT_TIME} mode, the same cleanup timer, so
 * that a job restored from the savepoint decides and cleans up a bootstrapped term exactly like one it saw itself.
 * Without the timers ({@link TermCleanup#TTL}) a job in event-time mode still decides alike, but frees a bootstrapped
 * term that is never seen again only by the TTL; with them, a job in TTL mode lets each fire once and prune.
 *
 * <p>Sightings arrive in any order (a batch job reading files); {@link TermHistory#insert} does not depend on it.
 * Nothing alerts here: alerts that are still pending belong to the live job, and history is all in the past.
 */
public class TermHistoryBootstrap extends KeyedStateBootstrapFunction<TermKey, AuditRecord> {

    private static final long serialVersionUID = 1L;

    private final long window;
    private final Duration stateTtl;
    private final TermCleanup cleanup;

    private transient ValueState<long[]> episodes;

    public TermHistoryBootstrap(Duration historyWindow) {
        this(historyWindow, null);
    }

    /** @param stateTtl the job's {@code state-ttl}, null for its default */
    public TermHistoryBootstrap(Duration historyWindow, Duration stateTtl) {
        this(historyWindow, stateTtl, TermCleanup.EVENT_TIME);
    }

    /** @param cleanup the job's {@code term-cleanup}: whether each term gets its cleanup timer */
    public TermHistoryBootstrap(Duration historyWindow, Duration stateTtl, TermCleanup cleanup) {
        this.window = historyWindow.toMillis();
        this.stateTtl = FirstSeenDetector.stateTtl(historyWindow, stateTtl);
        this.cleanup = cleanup;
    }

    @Override
    public void open(OpenContext openContext) {
        // The detector's descriptor, TTL included: a restore refuses state whose serializer (TTL-wrapped or not)
        // differs from the one the detector asks for.
        episodes = getRuntimeContext().getState(FirstSeenDetector.episodesDescriptor(stateTtl));
    }

    @Override
    public void processElement(AuditRecord record, Context ctx) throws Exception {
        long[] known = episodes.value();
        TermHistory.Insert insert = TermHistory.insert(known, record.ruleTime, window);
        if (insert.episodes == known) {
            return;
        }
        if (known == null && cleanup == TermCleanup.EVENT_TIME) {
            // The detector's one cleanup timer per term (see FirstSeenDetector#onTimer). Any sighting's time plus the
            // window will do, not only the earliest's: when it fires the detector drops what ended a window before
            // it and moves the timer to the last sighting plus the window.
            ctx.timerService().registerEventTimeTimer(record.ruleTime + window);
        }
        episodes.update(insert.episodes);
    }
}
