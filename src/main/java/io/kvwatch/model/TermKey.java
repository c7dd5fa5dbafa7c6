package io.kvwatch.model;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.apache.flink.api.common.typeinfo.TypeInfo;

/**
 * The key of the keyed stream: a 128-bit digest of the term (upn, properties.id).
 *
 * <p>Keying by a fixed-size digest keeps the state key at 16 bytes whatever the length of a UPN or an object URL,
 * while the readable values travel with the records. SHA-256 (truncated) rather than a fast non-cryptographic hash:
 * object names are chosen by whoever can write to a vault, and a hash that can be steered into a collision would let
 * an attacker hide a first read behind an already-known term.
 *
 * <p>Serialised as its 16 bytes by {@link TermKeySerializer}; {@link #hashCode()} decides the key group.
 */
@TypeInfo(TermKeySerializer.Factory.class)
public class TermKey {

    public long hi;
    public long lo;

    public TermKey() {}

    public TermKey(long hi, long lo) {
        this.hi = hi;
        this.lo = lo;
    }

    /** Digest of the exact UPN and object id, NUL-separated so that no two distinct pairs share an input. */
    public static TermKey of(String upn, String objectId) {
        MessageDigest sha = SHA256.get();
        sha.reset();
        sha.update(upn.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        sha.update(objectId.getBytes(StandardCharsets.UTF_8));
        byte[] d = sha.digest();
        return new TermKey(readLong(d, 0), readLong(d, 8));
    }

    private static long readLong(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[off + i] & 0xFF);
        }
        return v;
    }

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    });

    // hashCode decides the key group, so it must be the same in every JVM: derived from the digest only.
    @Override
    public int hashCode() {
        return Long.hashCode(hi) * 31 + Long.hashCode(lo);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TermKey other && other.hi == hi && other.lo == lo;
    }

    @Override
    public String toString() {
        return String.format("%016x%016x", hi, lo);
    }
}
