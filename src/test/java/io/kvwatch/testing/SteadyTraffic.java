package io.kvwatch.testing;

import io.kvwatch.io.MessageInput;
import io.kvwatch.model.RawMessage;
import java.io.Serializable;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.connector.source.lib.NumberSequenceSource;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * A long stream of Key Vault reads at a steady rate in event time, made up message by message from its index (no file,
 * no memory): for a soak. Readers come and go: each day {@code newUsersPerDay} users start reading and as many stop,
 * {@code activeUsers} at a time, each reading random objects of {@code objects}; so new terms appear every day and old
 * ones expire, and the terms seen in a history window stay about as many, once the stream is a window old.
 *
 * <p>Optionally a burst of garbage (lines that are not JSON) at the start of day {@code burstDay}: {@code
 * garbagePerRead} garbage lines, then one read, and so on until {@code burstGarbage} garbage lines are out; the reads
 * go on beside them at their event-time pace. Reads are emitted at most {@code readsPerSecond} per second of wall time;
 * garbage as fast as the job takes it.
 *
 * <p>The input declares itself unbounded (event time from each record's time, as for Kafka without timestamps), and
 * reports how far it has come in event time ({@link #eventTime}).
 */
public final class SteadyTraffic implements MessageInput, Serializable {

    private static final long serialVersionUID = 1L;
    private static final Map<String, AtomicLong> PROGRESS = new ConcurrentHashMap<>();

    public static final Instant START = Instant.parse("2026-01-05T00:00:00Z");

    private final String id = UUID.randomUUID().toString();
    private final int days;
    private final int readsPerDay;
    private final int activeUsers;
    private final int newUsersPerDay;
    private final int objects;
    private final int readsPerSecond;
    private final int burstDay;
    private final int burstGarbage;
    private final int garbagePerRead;

    public SteadyTraffic(
            int days,
            int readsPerDay,
            int activeUsers,
            int newUsersPerDay,
            int objects,
            int readsPerSecond,
            int burstDay,
            int burstGarbage,
            int garbagePerRead) {
        if (burstGarbage % garbagePerRead != 0) {
            throw new IllegalArgumentException("burstGarbage must be a multiple of garbagePerRead");
        }
        if ((long) burstGarbage / garbagePerRead > (long) (days - burstDay) * readsPerDay) {
            throw new IllegalArgumentException("the burst needs more reads beside it than there are after its day");
        }
        this.days = days;
        this.readsPerDay = readsPerDay;
        this.activeUsers = activeUsers;
        this.newUsersPerDay = newUsersPerDay;
        this.objects = objects;
        this.readsPerSecond = readsPerSecond;
        this.burstDay = burstDay;
        this.burstGarbage = burstGarbage;
        this.garbagePerRead = garbagePerRead;
        PROGRESS.put(id, new AtomicLong(START.toEpochMilli()));
    }

    /** Every read of the stream, for the oracle. */
    public List<AuditStreamGenerator.Read> reads() {
        List<AuditStreamGenerator.Read> reads = new ArrayList<>(days * readsPerDay);
        for (long r = 0; r < (long) days * readsPerDay; r++) {
            reads.add(read(r));
        }
        return reads;
    }

    /** How many messages the stream has: reads and garbage. */
    public long messages() {
        return (long) days * readsPerDay + burstGarbage;
    }

    /** The time of the latest read emitted, in epoch millis. */
    public long eventTime() {
        return PROGRESS.get(id).get();
    }

    /** Days of event time since {@link #START} of a time. */
    public static double day(long time) {
        return (time - START.toEpochMilli()) / (double) Duration.ofDays(1).toMillis();
    }

    @Override
    public DataStream<RawMessage> open(StreamExecutionEnvironment env) {
        return env.fromSource(
                        new NumberSequenceSource(0, messages() - 1), WatermarkStrategy.noWatermarks(), "Steady traffic")
                .setParallelism(1)
                .map(new Messages(this))
                .setParallelism(1)
                .name("Messages");
    }

    @Override
    public boolean stampsIngestTime() {
        return false;
    }

    /** Message {@code index} of the stream: a read's envelope, or a garbage line (null read). */
    private Object message(long index) {
        long before = (long) burstDay * readsPerDay;
        long burstLength = burstGarbage + burstGarbage / garbagePerRead;
        if (burstGarbage == 0 || index < before) {
            return index;
        }
        if (index >= before + burstLength) {
            return index - burstGarbage;
        }
        long j = index - before;
        if (j % (garbagePerRead + 1) == garbagePerRead) {
            return before + j / (garbagePerRead + 1);
        }
        return "garbage " + index + " \u0000{not json";
    }

    AuditStreamGenerator.Read read(long r) {
        long day = r / readsPerDay;
        long time = START.toEpochMilli() + r * Duration.ofDays(1).toMillis() / readsPerDay;
        SplittableRandom random = new SplittableRandom(r * 0x9E3779B97F4A7C15L + 17);
        long user = day * newUsersPerDay + random.nextInt(activeUsers);
        int object = random.nextInt(objects);
        String[] kinds = {"secrets", "keys", "certificates"};
        String id = "https://kv-team" + (object % 7) + ".vault.azure.net/" + kinds[object % 3] + "/object-" + object;
        return new AuditStreamGenerator.Read("user" + user + "@contoso.com", id, time);
    }

    static String envelope(AuditStreamGenerator.Read read, long r) {
        String vault =
                read.objectId().substring("https://".length(), read.objectId().indexOf('.'));
        return "{\"records\":[{\"time\":\"" + AuditStreamGenerator.azureTime(read.time()) + "\","
                + "\"category\":\"AuditEvent\",\"resourceId\":\"/SUBSCRIPTIONS/0B1F6471-1BF0-4DDA-AEC3-CB9272F09590"
                + "/RESOURCEGROUPS/SEC-PLATFORM/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/" + vault.toUpperCase() + "\","
                + "\"operationName\":\"SecretGet\",\"operationVersion\":\"7.5\",\"resultType\":\"Success\","
                + "\"resultSignature\":\"OK\",\"durationMs\":\"12\",\"callerIpAddress\":\"198.51.100.7\","
                + "\"correlationId\":\"" + new UUID(r, 42).toString() + "\","
                + "\"identity\":{\"claim\":{\"oid\":\"6f1c4b0e-2a7d-4c55-9d0e-3b1f7a9c2e41\","
                + "\"appid\":\"04b07795-8ddb-461a-bbee-02f9e1bf7b46\",\"upn\":\"" + read.upn() + "\","
                + "\"unique_name\":\"" + read.upn() + "\"}},"
                + "\"properties\":{\"clientInfo\":\"azsdk-java-security-keyvault/4.8.0\",\"httpStatusCode\":200,"
                + "\"requestUri\":\"" + read.objectId() + "?api-version=7.5\",\"isRbacAuthorized\":true,"
                + "\"id\":\"" + read.objectId() + "\"}}]}";
    }

    /** Index to message, reads paced in wall time. */
    private static final class Messages extends RichMapFunction<Long, RawMessage> {
        private static final long serialVersionUID = 1L;
        private final SteadyTraffic traffic;
        private transient long started;
        private transient long reads;

        Messages(SteadyTraffic traffic) {
            this.traffic = traffic;
        }

        @Override
        public void open(OpenContext context) {
            started = System.nanoTime();
        }

        @Override
        public RawMessage map(Long index) throws InterruptedException {
            Object message = traffic.message(index);
            if (message instanceof String garbage) {
                return new RawMessage(garbage, RawMessage.NO_TIMESTAMP, "soak");
            }
            long r = (Long) message;
            AuditStreamGenerator.Read read = traffic.read(r);
            long due = started + TimeUnit.SECONDS.toNanos(reads++) / traffic.readsPerSecond;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            PROGRESS.get(traffic.id).set(read.time());
            return new RawMessage(envelope(read, r), RawMessage.NO_TIMESTAMP, "soak");
        }
    }
}
