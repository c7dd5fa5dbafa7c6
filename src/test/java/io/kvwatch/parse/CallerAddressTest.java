package io.kvwatch.parse;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvwatch.model.AuditRecord;
import io.kvwatch.testing.IpLiterals;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** callerIpAddress to source.ip / source.port / source.address, as Elastic's Azure integration maps it. */
class CallerAddressTest {

    private static String mapped(String caller) {
        AuditRecord r = new AuditRecord();
        CallerAddress.fromRaw(caller, r);
        return r.sourceIp + " " + r.sourcePort + " " + r.sourceAddress;
    }

    @Test
    void everyFormOfTheCallerGoesWhereElasticPutsIt() {
        String[][] cases = {
            {"198.51.100.7", "198.51.100.7 0 null"},
            {"2001:db8::7", "2001:db8::7 0 null"},
            {"::ffff:198.51.100.7", "::ffff:198.51.100.7 0 null"},
            {"::", ":: 0 null"},
            {"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8 0 null"},
            {"198.51.100.7:50432", "198.51.100.7 50432 null"},
            {"[2001:db8::7]:443", "2001:db8::7 443 null"},
            {"[2001:db8::7]", "2001:db8::7 0 null"},
            {"[198.51.100.7]:80", "198.51.100.7 80 null"},
            {"2001:db8::7:443", "2001:db8::7:443 0 null"}, // a valid IPv6 address: no port can be told apart
            {"<Redacted>", "null 0 <Redacted>"},
            {"", "null 0 "},
            {"300.1.1.1", "null 0 300.1.1.1"},
            {"01.2.3.4", "null 0 01.2.3.4"},
            {"1.2.3", "null 0 1.2.3"},
            {"1.2.3.4.5", "null 0 1.2.3.4.5"},
            {"fe80::1%eth0", "null 0 fe80::1%eth0"},
            {"1:2:3:4:5:6:7:8:9", "null 0 1:2:3:4:5:6:7:8:9"},
            {"1::2::3", "null 0 1::2::3"},
            {"12345::1", "null 0 12345::1"},
            {"1.2.3.4:0", "null 0 1.2.3.4:0"},
            {"1.2.3.4:65536", "null 0 1.2.3.4:65536"},
            {"1.2.3.4:", "null 0 1.2.3.4:"},
            {"[2001:db8::7]:x", "null 0 [2001:db8::7]:x"},
            {"[kv.contoso.com]:443", "null 0 [kv.contoso.com]:443"},
            {"kv-client.contoso.com", "null 0 kv-client.contoso.com"},
            {"localhost", "null 0 localhost"},
        };
        for (String[] c : cases) {
            assertThat(mapped(c[0])).as("callerIpAddress %s", c[0]).isEqualTo(c[1]);
        }
        assertThat(mapped(null)).as("no caller").isEqualTo("null 0 null");
    }

    @Test
    void theIpCheckAgreesWithAnIndependentOneOnRandomText() {
        Random random = new Random(9);
        String alphabet = "0123456789abcdefABCDEF:.:.:%[]g ";
        int ips = 0;
        for (int i = 0; i < 200_000; i++) {
            StringBuilder sb = new StringBuilder();
            int n = 1 + random.nextInt(24);
            for (int k = 0; k < n; k++) {
                sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            String s = i % 3 == 0 ? randomIp(random) : sb.toString();
            boolean ip = CallerAddress.isIp(s);
            assertThat(ip).as("is %s an IP literal", s).isEqualTo(IpLiterals.isIp(s));
            ips += ip ? 1 : 0;
        }
        assertThat(ips).as("IP literals among the inputs").isGreaterThan(20_000);
    }

    /** An IP literal, often damaged a little. */
    private static String randomIp(Random random) {
        String ip;
        if (random.nextBoolean()) {
            ip = random.nextInt(300) + "." + random.nextInt(256) + "." + random.nextInt(256) + "."
                    + random.nextInt(256);
        } else {
            StringBuilder sb = new StringBuilder();
            int groups = 1 + random.nextInt(9);
            int gap = random.nextInt(groups + 2) - 1;
            for (int g = 0; g < groups; g++) {
                sb.append(g == 0 ? "" : g == gap ? "::" : ":")
                        .append(Integer.toHexString(random.nextInt(1 << (4 * (1 + random.nextInt(4))))));
            }
            if (random.nextInt(5) == 0) {
                sb.append(":").append(random.nextInt(256)).append(".1.2.").append(random.nextInt(256));
            }
            ip = sb.toString();
        }
        return random.nextInt(6) == 0 ? ip.substring(0, random.nextInt(ip.length() + 1)) : ip;
    }
}
