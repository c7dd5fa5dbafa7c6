package io.kvwatch.testing;

import java.util.regex.Pattern;

/**
 * The test's own reading of an IP literal, as Elasticsearch's {@code ip} field takes it (IPv4 dotted quad without
 * leading zeros, IPv6 with at most one {@code ::} and an optional trailing IPv4), written apart from the job's
 * {@code parse.CallerAddress} so that one checks the other. Never a DNS lookup.
 */
public final class IpLiterals {

    private static final Pattern OCTET = Pattern.compile("0|[1-9][0-9]{0,2}");
    private static final Pattern HEXTET = Pattern.compile("[0-9a-fA-F]{1,4}");

    private IpLiterals() {}

    public static boolean isIp(String s) {
        return s != null && (s.contains(":") ? isIpv6(s) : isIpv4(s));
    }

    static boolean isIpv4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String p : parts) {
            if (!OCTET.matcher(p).matches() || Integer.parseInt(p) > 255) {
                return false;
            }
        }
        return true;
    }

    static boolean isIpv6(String s) {
        int groupsNeeded = 8;
        String hex = s;
        int lastColon = s.lastIndexOf(':');
        if (s.indexOf('.') >= 0) {
            if (!isIpv4(s.substring(lastColon + 1))) {
                return false;
            }
            hex = s.substring(0, lastColon + 1) + (s.endsWith("::") ? "" : "0");
            groupsNeeded = 7; // the IPv4 part stood for two groups; "0" stands in for one of them
        }
        int doubles = hex.split("::", -1).length - 1;
        if (doubles > 1) {
            return false;
        }
        if (doubles == 1) {
            String[] halves = hex.split("::", -1);
            int count = count(halves[0]) + count(halves[1]);
            return count >= 0 && count(halves[0]) >= 0 && count(halves[1]) >= 0 && count < groupsNeeded;
        }
        return count(hex) == groupsNeeded;
    }

    /** How many hextets a colon-separated run holds; -1 if it is not such a run. */
    private static int count(String run) {
        if (run.isEmpty()) {
            return 0;
        }
        String[] groups = run.split(":", -1);
        for (String g : groups) {
            if (!HEXTET.matcher(g).matches()) {
                return -1;
            }
        }
        return groups.length;
    }
}
