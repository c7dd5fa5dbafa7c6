package io.kvwatch.bench;

import io.kvwatch.testing.AuditStreamGenerator;
import io.kvwatch.testing.KafkaBroker;
import io.kvwatch.testing.NewTermsOracle;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.bridge.java.StreamStatementSet;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.functions.ScalarFunction;
import org.apache.flink.types.Row;
import org.apache.flink.types.RowKind;
import org.apache.flink.util.CloseableIterator;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The peer: the rule as a user would write it in Flink SQL, on the same topic. The Kafka SQL connector and the
 * {@code json} format read the {@code {"records":[...]}} envelope, {@code UNNEST} makes a row per record, the WHERE
 * clause is the rule's query on the raw Azure fields (ECS documents and records sent without an envelope are not
 * read), and a first sight per (upn, properties.id) is either
 *
 * <ul>
 *   <li>{@code sql-dedup}: the documented deduplication, {@code ROW_NUMBER() ... ORDER BY proctime} keep-first, with
 *       {@code table.exec.state.ttl} of 14 days (state TTL in Flink SQL is processing time), or
 *   <li>{@code sql-lag}: {@code LAG} of the Kafka timestamp (the rule time, as the job takes it) over the term, in
 *       event time, alerting when the previous read is more than 14 days before.
 * </ul>
 */
public final class SqlPeer {

    static final Duration WINDOW = Duration.ofDays(14);

    private static final String LONG_UPN = "`http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn`";

    private static final String SOURCE = """
            CREATE TABLE kv_audit (
              records ARRAY<ROW<
                `time` STRING,
                category STRING,
                operationName STRING,
                resultType STRING,
                `identity` ROW<claim ROW<upn STRING, %s STRING>>,
                properties ROW<id STRING>>>,
              kafka_partition INT METADATA FROM 'partition' VIRTUAL,
              kafka_offset BIGINT METADATA FROM 'offset' VIRTUAL,
              ingested TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL,
              proc AS PROCTIME(),
              WATERMARK FOR ingested AS ingested - INTERVAL '30' SECOND
            ) WITH (
              'connector' = 'kafka',
              'topic' = '%s',
              'properties.bootstrap.servers' = '%s',
              'properties.group.id' = '%s',
              'scan.startup.mode' = 'earliest-offset',
              %s
              'format' = 'json',
              'json.ignore-parse-errors' = 'true'
            )""";

    /** The rule's query (Elastic maps event.outcome from resultType). */
    private static final String READS = """
            CREATE TEMPORARY VIEW kv_reads AS
            SELECT
              COALESCE(NULLIF(r.`identity`.claim.upn, ''), r.`identity`.claim.%1$s) AS upn,
              r.properties.id AS object_id,
              r.`time` AS record_time,
              m.ingested,
              m.proc
            FROM kv_input AS m
            CROSS JOIN UNNEST(m.records) AS r (`time`, category, operationName, resultType, `identity`, properties)
            WHERE r.category = 'AuditEvent'
              AND LOWER(r.resultType) = 'success'
              AND r.operationName IN (
                'VaultGet', 'KeyGet', 'KeyList', 'KeyListVersions', 'KeyGetDeleted', 'KeyListDeleted',
                'SecretGet', 'SecretList', 'SecretListVersions', 'SecretGetDeleted', 'SecretListDeleted',
                'CertificateGet', 'CertificateList', 'CertificateListVersions', 'CertificateGetDeleted',
                'CertificateListDeleted', 'CertificatePolicyGet', 'CertificateContactsGet', 'CertificateIssuerGet',
                'CertificateIssuersList')
              AND COALESCE(NULLIF(r.`identity`.claim.upn, ''), r.`identity`.claim.%1$s) <> ''
              AND r.properties.id <> ''""";

    private static final String DEDUP = """
            SELECT upn, object_id, record_time FROM (
              SELECT upn, object_id, record_time,
                ROW_NUMBER() OVER (PARTITION BY upn, object_id ORDER BY proc ASC) AS row_num
              FROM kv_reads)
            WHERE row_num = 1""";

    private static final String LAG = """
            SELECT upn, object_id, record_time FROM (
              SELECT upn, object_id, record_time, ingested,
                LAG(ingested) OVER (PARTITION BY upn, object_id ORDER BY ingested) AS previous
              FROM kv_reads)
            WHERE previous IS NULL OR ingested > previous + INTERVAL '14' DAY""";

    private SqlPeer() {}

    static String query(String variant) {
        return switch (variant) {
            case "sql-dedup" -> DEDUP;
            case "sql-lag" -> LAG;
            default -> throw new IllegalArgumentException("no SQL peer " + variant + " (sql-dedup, sql-lag)");
        };
    }

    /**
     * The tables and views over {@code topic}; {@code tapped}: through {@link Tap}, for {@link KafkaBench}'s clock.
     */
    static StreamTableEnvironment tables(
            StreamExecutionEnvironment env,
            String bootstrap,
            String topic,
            String group,
            boolean bounded,
            boolean tapped) {
        StreamTableEnvironment tables = StreamTableEnvironment.create(env);
        tables.getConfig().set("table.exec.state.ttl", WINDOW.toDays() + " d");
        tables.executeSql(String.format(
                Locale.ROOT,
                SOURCE,
                LONG_UPN,
                topic,
                bootstrap,
                group,
                bounded
                        // A replay reads the topic in a second: periodic watermarks would hardly move, while on a
                        // live stream they follow every row. On each row, the check sees what a live stream would.
                        ? "'scan.bounded.mode' = 'latest-offset', 'scan.watermark.emit.strategy' = 'on-event',"
                        : ""));
        if (tapped) {
            tables.createTemporarySystemFunction("bench_tap", Tap.class);
            tables.executeSql("CREATE TEMPORARY VIEW kv_input AS SELECT * FROM kv_audit"
                    + " WHERE bench_tap(kafka_partition, kafka_offset)");
        } else {
            tables.executeSql("CREATE TEMPORARY VIEW kv_input AS SELECT * FROM kv_audit");
        }
        tables.executeSql(String.format(Locale.ROOT, READS, LONG_UPN));
        return tables;
    }

    /** Adds the peer, alerts into a blackhole sink, to {@code env}'s pipeline. */
    static void attach(StreamExecutionEnvironment env, String variant, String bootstrap, String topic, String group) {
        StreamTableEnvironment tables = tables(env, bootstrap, topic, group, false, true);
        tables.executeSql("CREATE TABLE sql_alerts (upn STRING, object_id STRING, record_time STRING)"
                + " WITH ('connector' = 'blackhole')");
        StreamStatementSet statements = tables.createStatementSet();
        statements.addInsertSql("INSERT INTO sql_alerts " + query(variant));
        statements.attachAsDataStream();
    }

    /** The timing tap as a SQL function: true for every message; not deterministic, so the planner keeps it. */
    public static final class Tap extends ScalarFunction {
        public Boolean eval(Integer partition, Long offset) {
            KafkaBench.Timing timing = KafkaBench.current;
            if (timing != null && partition != null && offset != null) {
                timing.observe(partition, offset);
            }
            return true;
        }

        @Override
        public boolean isDeterministic() {
            return false;
        }
    }

    // ---- correctness against the oracle ----

    private static final Pattern TIME = Pattern.compile("\"(?:time|@timestamp)\":\"([^\"]+)\"");

    /**
     * Both peers on generated streams (five weeks, 14-day absences, the boundary cases; up to 20 s of disorder, within
     * the 30 s watermark bound, and up to 5 min, beyond it) in a one-partition topic, one record per message with its
     * time as the Kafka timestamp, so that the rule time is the same for the job, the SQL and the oracle. Compared with
     * {@link NewTermsOracle} over the reads the SQL's WHERE clause lets through (the reads it cannot see, ECS
     * documents and records without an envelope, are counted apart; a read seen that the generator does not count as
     * qualifying would be a WHERE clause that is not the rule's).
     */
    /** One peer on one generated stream, against the oracle. */
    record Check(
            Duration disorder,
            int reads,
            int seen,
            long seenNotQualifying,
            int expected,
            int expectedReAlerts,
            String peer,
            int alerts,
            long right,
            long missedFirstSights,
            long missedReAlerts) {
        long wrong() {
            return alerts - right;
        }
    }

    /** Runs the checks on the context environment (a MiniCluster of the caller's). */
    static List<Check> check(KafkaBroker broker) throws Exception {
        List<Check> checks = new ArrayList<>();
        for (Duration disorder : List.of(Duration.ofSeconds(20), Duration.ofMinutes(5))) {
            AuditStreamGenerator.Stream stream = AuditStreamGenerator.generate(
                    new AuditStreamGenerator.Profile().maxRecordsPerEnvelope(1).maxDisorder(disorder));
            String topic = "kv-sql-check-" + disorder.toSeconds();
            produce(broker, topic, stream.lines());
            Set<AuditStreamGenerator.Read> generated = new HashSet<>(stream.reads());
            List<AuditStreamGenerator.Read> seen =
                    collect(broker, topic, "SELECT upn, object_id, record_time FROM kv_reads");
            long seenNotQualifying =
                    seen.stream().filter(r -> !generated.contains(r)).count();
            Set<AuditStreamGenerator.Read> expected = new HashSet<>(NewTermsOracle.expectedAlerts(seen, WINDOW));
            Set<AuditStreamGenerator.Read> firstSights =
                    new HashSet<>(NewTermsOracle.expectedAlerts(seen, Duration.ofDays(100_000)));
            for (String variant : List.of("sql-dedup", "sql-lag")) {
                List<AuditStreamGenerator.Read> alerts = collect(broker, topic, query(variant));
                Set<AuditStreamGenerator.Read> got = new HashSet<>(alerts);
                checks.add(new Check(
                        disorder,
                        stream.reads().size(),
                        seen.size(),
                        seenNotQualifying,
                        expected.size(),
                        expected.size() - firstSights.size(),
                        variant,
                        alerts.size(),
                        got.stream().filter(expected::contains).count(),
                        expected.stream()
                                .filter(r -> firstSights.contains(r) && !got.contains(r))
                                .count(),
                        expected.stream()
                                .filter(r -> !firstSights.contains(r) && !got.contains(r))
                                .count()));
            }
        }
        return checks;
    }

    static String table(List<Check> checks) {
        StringBuilder table = new StringBuilder("### The Flink SQL peers against the oracle\n\n"
                + "| max disorder | qualifying reads | seen by the SQL | seen, not qualifying | oracle alerts (re-alerts) "
                + "| peer | alerts | right | missed first sights | missed re-alerts | wrong or extra |\n"
                + "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|\n");
        for (Check c : checks) {
            table.append(String.format(
                    Locale.ROOT,
                    "| %s | %d | %d | %d | %d (%d) | %s | %d | %d | %d | %d | %d |\n",
                    BenchMain.millis(c.disorder().toMillis()),
                    c.reads(),
                    c.seen(),
                    c.seenNotQualifying(),
                    c.expected(),
                    c.expectedReAlerts(),
                    c.peer(),
                    c.alerts(),
                    c.right(),
                    c.missedFirstSights(),
                    c.missedReAlerts(),
                    c.wrong()));
        }
        return table.toString();
    }

    /** One message per line, in order, each with the time of its (first) record as the Kafka timestamp. */
    private static void produce(KafkaBroker broker, String topic, List<String> lines) throws Exception {
        broker.createTopic(topic, 1, java.util.Map.of("retention.ms", "-1"));
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KafkaBench.producerProperties(broker))) {
            long previous = BenchWorkload.T0.toEpochMilli();
            for (String line : lines) {
                long time = previous;
                Matcher m = TIME.matcher(line);
                if (m.find()) {
                    try {
                        time = Instant.parse(m.group(1)).toEpochMilli();
                    } catch (java.time.format.DateTimeParseException e) {
                        // a malformed record: keeps the previous message's time
                    }
                }
                previous = time;
                producer.send(new ProducerRecord<>(topic, 0, time, null, KafkaBench.bytes(line)));
            }
            producer.flush();
        }
    }

    /** Runs {@code select} over the whole topic (bounded read) and returns its rows as reads; updates refused. */
    static List<AuditStreamGenerator.Read> collect(KafkaBroker broker, String topic, String select) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        StreamTableEnvironment tables =
                tables(env, broker.bootstrapServers(), topic, "sql-check-" + java.util.UUID.randomUUID(), true, false);
        List<AuditStreamGenerator.Read> rows = new ArrayList<>();
        try (CloseableIterator<Row> it = tables.executeSql(select).collect()) {
            while (it.hasNext()) {
                Row row = it.next();
                if (row.getKind() != RowKind.INSERT) {
                    throw new IllegalStateException("an update from an append-only query: " + row);
                }
                rows.add(new AuditStreamGenerator.Read(
                        (String) row.getField(0),
                        (String) row.getField(1),
                        Instant.parse((String) row.getField(2)).toEpochMilli()));
            }
        }
        return rows;
    }
}
