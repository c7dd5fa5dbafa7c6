package io.kvwatch.model;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Whether bytes are well-formed UTF-8, with exactly the verdict of the JDK's strict decoder ({@code
 * CodingErrorAction.REPORT}): no overlong forms, no encoded surrogates, nothing above U+10FFFF. Only checks: the
 * parser reads the bytes itself, so decoding them to a {@code String} here would be a copy thrown away.
 */
public final class Utf8 {

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long HIGH_BITS = 0x8080808080808080L;

    private Utf8() {}

    public static boolean isValid(byte[] b) {
        return isValid(b, 0, b.length);
    }

    public static boolean isValid(byte[] b, int from, int to) {
        int i = from;
        while (i < to) {
            // JSON is mostly ASCII: sixteen, then eight bytes at a time until a byte with the high bit.
            while (i + 16 <= to && (((long) LONGS.get(b, i) | (long) LONGS.get(b, i + 8)) & HIGH_BITS) == 0) {
                i += 16;
            }
            while (i + 8 <= to && ((long) LONGS.get(b, i) & HIGH_BITS) == 0) {
                i += 8;
            }
            if (i >= to) {
                return true;
            }
            int c = b[i] & 0xFF;
            if (c < 0x80) {
                i++;
                continue;
            }
            int n; // continuation bytes
            int low = 0x80, high = 0xBF; // the allowed range of the second byte
            if (c < 0xC2) {
                return false; // a continuation byte first, or an overlong two-byte form
            } else if (c < 0xE0) {
                n = 1;
            } else if (c < 0xF0) {
                n = 2;
                if (c == 0xE0) {
                    low = 0xA0; // overlong
                } else if (c == 0xED) {
                    high = 0x9F; // U+D800..U+DFFF: surrogates are not characters
                }
            } else if (c < 0xF5) {
                n = 3;
                if (c == 0xF0) {
                    low = 0x90; // overlong
                } else if (c == 0xF4) {
                    high = 0x8F; // beyond U+10FFFF
                }
            } else {
                return false;
            }
            if (i + n >= to) {
                return false; // cut short
            }
            int second = b[i + 1] & 0xFF;
            if (second < low || second > high) {
                return false;
            }
            for (int k = 2; k <= n; k++) {
                if ((b[i + k] & 0xC0) != 0x80) {
                    return false;
                }
            }
            i += n + 1;
        }
        return true;
    }
}
