package io.kvwatch.parse;

import io.kvwatch.model.AuditRecord;

/**
 * Splits Azure's {@code callerIpAddress} into ECS {@code source.ip}, {@code source.port} and {@code source.address}
 * as Elastic's Azure integration does: an IP literal (IPv4 or IPv6) goes to {@code source.ip}; {@code IPv4:port} and
 * {@code [IP]:port} are split into the IP and the port; anything else ({@code <Redacted>}, a host name, a malformed
 * address) goes to {@code source.address}, never to {@code source.ip}, which is an {@code ip} field in Elastic's
 * mappings: one bad value there would make Elasticsearch refuse the whole alert.
 *
 * <p>The IP check reads literals only, character by character: no DNS lookup, whatever the text.
 */
public final class CallerAddress {

    private CallerAddress() {}

    /** Sets {@code sourceIp}, {@code sourcePort} and {@code sourceAddress} from a raw {@code callerIpAddress}. */
    public static void fromRaw(String caller, AuditRecord r) {
        r.sourceIp = null;
        r.sourcePort = 0;
        r.sourceAddress = null;
        if (caller == null) {
            return;
        }
        if (isIp(caller)) {
            r.sourceIp = caller;
            return;
        }
        if (caller.startsWith("[")) {
            int close = caller.indexOf(']');
            // Elastic's pattern takes any IP in brackets, though only IPv6 needs them.
            if (close > 0 && (isIpv6(caller, 1, close) || isIpv4(caller, 1, close))) {
                int port = close == caller.length() - 1 ? 0 : port(caller, close + 1);
                if (port >= 0) {
                    r.sourceIp = caller.substring(1, close);
                    r.sourcePort = port;
                    return;
                }
            }
        } else {
            int colon = caller.indexOf(':');
            if (colon > 0 && caller.indexOf(':', colon + 1) < 0 && isIpv4(caller, 0, colon)) {
                int port = port(caller, colon);
                if (port > 0) {
                    r.sourceIp = caller.substring(0, colon);
                    r.sourcePort = port;
                    return;
                }
            }
        }
        r.sourceAddress = caller;
    }

    /**
     * Sets the same fields from an ECS document's {@code source.*}. A {@code source.ip} that is not an IP literal
     * (Elasticsearch would not have indexed it, but an export may carry anything) is treated as a raw caller value.
     */
    static void fromEcs(String ip, int port, String address, AuditRecord r) {
        if (ip != null && !isIp(ip)) {
            fromRaw(ip, r);
        } else {
            r.sourceIp = ip;
            r.sourcePort = ip == null ? 0 : port;
            r.sourceAddress = null;
        }
        if (r.sourceAddress == null) {
            r.sourceAddress = address;
        }
    }

    /** Whether the text is an IPv4 or IPv6 literal (no zone id, no brackets, no port). */
    static boolean isIp(String s) {
        return s.indexOf(':') >= 0 ? isIpv6(s, 0, s.length()) : isIpv4(s, 0, s.length());
    }

    /** A port after the separator at {@code at}: 1 to 65535 in decimal digits; -1 if it is not one. */
    private static int port(String s, int at) {
        if (s.charAt(at) != ':' || s.length() - at - 1 < 1 || s.length() - at - 1 > 5) {
            return -1;
        }
        int v = 0;
        for (int i = at + 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v >= 1 && v <= 65535 ? v : -1;
    }

    /** Four decimal octets 0-255, without leading zeros (which some readers take as octal). */
    static boolean isIpv4(String s, int from, int to) {
        int octets = 0;
        int i = from;
        while (i <= to) {
            int start = i;
            int v = 0;
            while (i < to && s.charAt(i) >= '0' && s.charAt(i) <= '9' && i - start < 3) {
                v = v * 10 + (s.charAt(i) - '0');
                i++;
            }
            int len = i - start;
            if (len == 0 || v > 255 || (len > 1 && s.charAt(start) == '0')) {
                return false;
            }
            octets++;
            if (i == to) {
                return octets == 4;
            }
            if (s.charAt(i) != '.' || octets == 4) {
                return false;
            }
            i++;
        }
        return false;
    }

    /** Up to eight groups of 1-4 hex digits, at most one {@code ::}, optionally ending in an IPv4 literal. */
    static boolean isIpv6(String s, int from, int to) {
        if (to - from < 2) {
            return false;
        }
        int groups = 0;
        boolean compressed = false;
        int i = from;
        if (s.charAt(i) == ':') {
            if (s.charAt(i + 1) != ':') {
                return false;
            }
            compressed = true;
            i += 2;
            if (i == to) {
                return true; // "::"
            }
        }
        while (i < to) {
            int start = i;
            while (i < to && Character.digit(s.charAt(i), 16) >= 0 && i - start < 5) {
                i++;
            }
            int len = i - start;
            if (i < to && s.charAt(i) == '.') {
                // an embedded IPv4 address takes the last two groups
                return isIpv4(s, start, to) && (compressed ? groups + 2 < 8 : groups + 2 == 8);
            }
            if (len == 0 || len > 4) {
                return false;
            }
            groups++;
            if (i == to) {
                break;
            }
            if (s.charAt(i) != ':') {
                return false;
            }
            i++;
            if (i < to && s.charAt(i) == ':') {
                if (compressed) {
                    return false;
                }
                compressed = true;
                i++;
                if (i == to) {
                    break;
                }
            } else if (i == to) {
                return false; // a trailing single colon
            }
        }
        return compressed ? groups < 8 : groups == 8;
    }
}
