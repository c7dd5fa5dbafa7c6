package io.kvwatch.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvwatch.testing.KafkaBrokerExtension;
import io.kvwatch.testing.LoopbackMiniCluster;
import java.time.Duration;
import java.util.List;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the Flink SQL peers of the benchmark get wrong against the oracle, in counts, on a real broker. Bench sources
 * only: {@code mvn -B -Pbench verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=SqlPeerIT}.
 */
class SqlPeerIT {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(LoopbackMiniCluster.withSlots(1));

    @Test
    void theSqlPeersAgainstTheOracle() throws Exception {
        List<SqlPeer.Check> checks = SqlPeer.check(KAFKA.broker());
        System.out.println(SqlPeer.table(checks));

        assertThat(checks).hasSize(4);
        for (SqlPeer.Check c : checks) {
            assertThat(c.seenNotQualifying())
                    .as("%s: the WHERE clause lets through only reads the rule counts", c)
                    .isZero();
            assertThat(c.seen())
                    .as("%s: ECS documents and records without an envelope are not read", c)
                    .isPositive()
                    .isLessThan(c.reads());
            assertThat(c.expectedReAlerts())
                    .as("%s: the stream has 14-day absences", c)
                    .isPositive();
        }
        for (SqlPeer.Check c : only(checks, "sql-dedup")) {
            assertThat(c.alerts())
                    .as("%s: keep-first alerts once per term", c)
                    .isEqualTo(c.expected() - c.expectedReAlerts());
            assertThat(c.missedReAlerts())
                    .as("%s: a processing-time TTL never expires in a replay: no re-alert after 14 days of absence", c)
                    .isEqualTo(c.expectedReAlerts());
        }
        SqlPeer.Check inOrder = only(checks, "sql-lag").get(0);
        assertThat(inOrder.disorder()).isEqualTo(Duration.ofSeconds(20));
        assertThat(inOrder.right())
                .as("%s: within the watermark bound, LAG in event time is exact", inOrder)
                .isEqualTo(inOrder.expected())
                .isEqualTo(inOrder.alerts());
        SqlPeer.Check late = only(checks, "sql-lag").get(1);
        assertThat(late.missedFirstSights() + late.missedReAlerts() + late.wrong())
                .as("%s: rows later than the watermark are dropped", late)
                .isPositive();
    }

    private static List<SqlPeer.Check> only(List<SqlPeer.Check> checks, String peer) {
        return checks.stream().filter(c -> c.peer().equals(peer)).toList();
    }
}
