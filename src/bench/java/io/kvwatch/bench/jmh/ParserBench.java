package io.kvwatch.bench.jmh;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvwatch.KeyVaultNewTermsJob;
import io.kvwatch.config.JobConfig;
import io.kvwatch.model.AuditRecord;
import io.kvwatch.model.DeadLetter;
import io.kvwatch.model.RawMessage;
import io.kvwatch.parse.EnvelopeParser;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The parser on an envelope of {@value #RECORDS} records of about 1.5 KB (the benchmark workload's shapes), per
 * record; beside it, Jackson's tree model alone on the same text, for what parsing the JSON at all costs.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ParserBench {

    static final int RECORDS = 25;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private RawMessage message;
    private byte[] utf8;
    private EnvelopeParser parser;

    @Setup
    public void setUp() {
        message = new RawMessage(Workloads.envelope(RECORDS), 1_790_000_000_000L, "bench");
        utf8 = message.payload.getBytes(StandardCharsets.UTF_8);
        parser = KeyVaultNewTermsJob.parser(JobConfig.of(Map.of())); // the job's defaults
    }

    @Benchmark
    @OperationsPerInvocation(RECORDS)
    public void envelopeParser(Blackhole bh) {
        parse(message, bh);
    }

    /** A Kafka value as the job reads it: the bytes checked to be UTF-8, then parsed as they are. */
    @Benchmark
    @OperationsPerInvocation(RECORDS)
    public void envelopeParserFromBytes(Blackhole bh) {
        parse(RawMessage.ofBytes(utf8, 1_790_000_000_000L, "bench"), bh);
    }

    /** A Kafka value as the job read it before: decoded strictly to a String, then parsed. */
    @Benchmark
    @OperationsPerInvocation(RECORDS)
    public void envelopeParserDecodedFirst(Blackhole bh) throws CharacterCodingException {
        String text = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(utf8))
                .toString();
        parse(new RawMessage(text, 1_790_000_000_000L, "bench"), bh);
    }

    private void parse(RawMessage m, Blackhole bh) {
        parser.parse(m, new EnvelopeParser.Output() {
            @Override
            public void record(AuditRecord record) {
                bh.consume(record);
            }

            @Override
            public void deadLetter(DeadLetter deadLetter) {
                bh.consume(deadLetter);
            }

            @Override
            public void ignored() {}
        });
    }

    @Benchmark
    @OperationsPerInvocation(RECORDS)
    public Object jacksonTreeOnly() throws Exception {
        return MAPPER.readTree(message.payload);
    }
}
