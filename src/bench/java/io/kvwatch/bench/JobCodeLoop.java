package io.kvwatch.bench;

import io.kvwatch.KeyVaultNewTermsJob;
import io.kvwatch.config.JobConfig;
import io.kvwatch.detect.TermHistory;
import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.DeadLetter;
import io.kvwatch.model.RawMessage;
import io.kvwatch.model.TermKey;
import io.kvwatch.parse.EnvelopeParser;
import io.kvwatch.rule.DetectionRule;
import io.kvwatch.rule.RetrievalFilter;
import java.util.HashMap;
import java.util.Map;

/**
 * The job's own per-record code (its parser, the rule's filter, the term digest, the episode update) in a
 * single-threaded loop with a {@link HashMap} for state: what the job would cost without Flink. Set beside the job's
 * throughput it shows how much Flink itself (serialisation, the network stack, the state backend, timers) costs.
 */
final class JobCodeLoop extends Baselines.Loop implements EnvelopeParser.Output {

    private static final long WINDOW = DetectionRule.bundled().historyWindow().toMillis();

    private final EnvelopeParser parser = KeyVaultNewTermsJob.parser(JobConfig.of(Map.of())); // the job's defaults
    private final RetrievalFilter filter = new RetrievalFilter(false);
    final Map<TermKey, long[]> episodes;

    JobCodeLoop(long expectedTerms) {
        episodes = new HashMap<>(mapCapacity(expectedTerms));
    }

    JobCodeLoop(JobCodeLoop from) {
        episodes = new HashMap<>(from.episodes);
    }

    @Override
    void message(String text) {
        parser.parse(new RawMessage(text, RawMessage.NO_TIMESTAMP, "bench"), this);
    }

    @Override
    public void record(AuditRecord record) {
        records++;
        if (!filter.counts(record)) {
            return;
        }
        TermKey key = TermKey.of(record.upn, record.objectId);
        long[] known = episodes.get(key);
        TermHistory.Insert insert = TermHistory.insert(known, record.ruleTime, WINDOW);
        if (insert.episodes != known) {
            episodes.put(key, insert.episodes);
        }
        if (insert.newStart) {
            alerts++;
        }
    }

    @Override
    public void deadLetter(DeadLetter deadLetter) {}

    @Override
    public void ignored() {
        records++;
    }
}
