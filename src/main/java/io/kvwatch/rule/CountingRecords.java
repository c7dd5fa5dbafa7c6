package io.kvwatch.rule;

import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.TermKey;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.metrics.Counter;
import org.apache.flink.util.Collector;

/** The rule's filter as a pipeline step: passes the records that count, with their term key computed once. */
public class CountingRecords extends RichFlatMapFunction<AuditRecord, AuditRecord> {

    private static final long serialVersionUID = 1L;

    private final RetrievalFilter filter;
    private transient Counter counted;

    public CountingRecords(RetrievalFilter filter) {
        this.filter = filter;
    }

    @Override
    public void open(OpenContext openContext) {
        counted = getRuntimeContext().getMetricGroup().counter("recordsCounted");
    }

    @Override
    public void flatMap(AuditRecord record, Collector<AuditRecord> out) {
        if (filter.counts(record)) {
            TermKey key = TermKey.of(record.upn, record.objectId);
            record.termHi = key.hi;
            record.termLo = key.lo;
            counted.inc();
            out.collect(record);
        }
    }
}
