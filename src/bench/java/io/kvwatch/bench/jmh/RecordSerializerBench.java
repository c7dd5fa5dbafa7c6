package io.kvwatch.bench.jmh;

import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.AuditRecordSerializer;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The audit record across the network: our serializer, against Flink's string serializer writing the same fifteen
 * strings (what the POJO serializer did for them, less its reflection).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RecordSerializerBench {

    private final AuditRecord record = Workloads.record(17, 123_456, 1_790_000_000_000L);
    private final DataOutputSerializer out = new DataOutputSerializer(4096);
    private byte[] serialized;

    @Setup
    public void setUp() throws Exception {
        AuditRecordSerializer.INSTANCE.serialize(record, out);
        serialized = out.getCopyOfBuffer();
    }

    @Benchmark
    public int serialize() throws Exception {
        out.clear();
        AuditRecordSerializer.INSTANCE.serialize(record, out);
        return out.length();
    }

    @Benchmark
    public AuditRecord deserialize() throws Exception {
        return AuditRecordSerializer.INSTANCE.deserialize(new DataInputDeserializer(serialized));
    }

    @Benchmark
    public int flinkStringSerializerSameStrings() throws Exception {
        out.clear();
        AuditRecord r = record;
        for (String s : new String[] {
            r.originalTime,
            r.operation,
            r.resultSignature,
            r.upn,
            r.appId,
            r.objectId,
            r.vaultName,
            r.resourceId,
            r.sourceIp,
            r.sourceAddress,
            r.requestUri,
            r.clientInfo,
            r.correlationId,
            r.origin,
            r.shape
        }) {
            StringSerializer.INSTANCE.serialize(s, out);
        }
        return out.length();
    }
}
