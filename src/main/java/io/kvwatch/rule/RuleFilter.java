package io.kvwatch.rule;

import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.TermKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.metrics.Counter;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rule's filter as a pipeline step: passes the records that count and are not excepted, with their term key
 * computed once.
 *
 * <p>The exception list travels with the job (read when the job is built, so a bad file fails the submission, not a
 * TaskManager). When a reload interval is set and the file is readable where the task runs (a mounted ConfigMap, a
 * shared volume), a changed file replaces the list without a restart; a file that no longer parses is reported and
 * the last good list stays in force.
 */
public class RuleFilter extends RichFlatMapFunction<AuditRecord, AuditRecord> {

    private static final long serialVersionUID = 1L;

    /** Savepoints address operator state by uid: it keeps the name it had before the class was renamed. */
    public static final String UID = "rule-filter";

    private static final Logger LOG = LoggerFactory.getLogger(RuleFilter.class);

    private final RetrievalFilter filter;
    private final ExceptionList initialExceptions;
    private final String exceptionsFile;
    private final long reloadIntervalMs;

    private transient ExceptionList exceptions;
    private transient long nextCheck;
    private transient long loadedStamp;
    private transient Counter counted;
    private transient Counter excepted;
    private transient Counter reloadFailures;

    public RuleFilter(RetrievalFilter filter) {
        this(filter, ExceptionList.NONE, null, Duration.ZERO);
    }

    public RuleFilter(
            RetrievalFilter filter, ExceptionList exceptions, String exceptionsFile, Duration reloadInterval) {
        this.filter = filter;
        this.initialExceptions = exceptions;
        this.exceptionsFile = exceptionsFile;
        this.reloadIntervalMs = reloadInterval.toMillis();
    }

    @Override
    public void open(OpenContext openContext) {
        var metrics = getRuntimeContext().getMetricGroup();
        counted = metrics.counter("recordsCounted");
        excepted = metrics.counter("recordsExcepted");
        reloadFailures = metrics.counter("exceptionReloadFailures");
        metrics.gauge("exceptionEntries", () -> exceptions == null ? 0 : exceptions.size());
        exceptions = initialExceptions;
        loadedStamp = fileStamp();
        nextCheck = System.currentTimeMillis() + reloadIntervalMs;
    }

    @Override
    public void flatMap(AuditRecord record, Collector<AuditRecord> out) {
        if (!filter.counts(record)) {
            return;
        }
        if (reloadIntervalMs > 0 && exceptionsFile != null) {
            maybeReload();
        }
        if (exceptions.excepts(record)) {
            excepted.inc();
            return;
        }
        TermKey key = TermKey.of(record.upn, record.objectId);
        record.termHi = key.hi;
        record.termLo = key.lo;
        counted.inc();
        out.collect(record);
    }

    private void maybeReload() {
        long now = System.currentTimeMillis();
        if (now < nextCheck) {
            return;
        }
        nextCheck = now + reloadIntervalMs;
        long stamp = fileStamp();
        if (stamp == loadedStamp || stamp == Long.MIN_VALUE) {
            return;
        }
        try {
            exceptions = ExceptionList.load(Path.of(exceptionsFile));
            LOG.info("Reloaded {} exception entries from {}", exceptions.size(), exceptionsFile);
        } catch (Exception e) {
            reloadFailures.inc();
            LOG.warn(
                    "Exceptions file {} changed but cannot be used, keeping the previous {} entries: {}",
                    exceptionsFile,
                    exceptions.size(),
                    e.getMessage());
        }
        loadedStamp = stamp;
    }

    /** Modification time and size together: either changing means the file changed. */
    private long fileStamp() {
        if (exceptionsFile == null) {
            return Long.MIN_VALUE;
        }
        try {
            Path p = Path.of(exceptionsFile);
            return Files.getLastModifiedTime(p).toMillis() * 31 + Files.size(p);
        } catch (Exception e) {
            return Long.MIN_VALUE;
        }
    }
}
