package io.github.sshcontainer.tunnel.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The Poly1305 one-time authenticator (RFC 8439, section 2.5), as {@code chacha20-poly1305@openssh.com} uses it.
 *
 * <p>The accumulator is held in two 64-bit words and a small third one ({@code h = a + b·2^64 + c·2^128}, {@code c}
 * below 8), the key {@code r} in two words; clamping leaves {@code r1} a multiple of 4, so what reaches 2^128 wraps
 * around as a product with {@code s1 = r1 + r1/4} (2^130 = 5 mod p). One 16-byte block then takes four 64×64→128-bit
 * products and two small ones: ten multiplications, where three 44-bit limbs took eighteen. On the benchmark machine,
 * 32 KiB packets: 0.72–0.84 ms per MiB on JDK 17 against 0.96–1.03 with those limbs, 0.77–0.90 against 0.86–0.94
 * on JDK 25; MINA's five 26-bit limbs 1.1. Carries are computed without branches. (Two blocks at a time with r²,
 * to overlap their products, measured no faster with the 44-bit limbs.) The JDK has a Poly1305 of its own, but only
 * inside its ChaCha20-Poly1305 AEAD, whose MAC input differs from OpenSSH's.
 *
 * <p>Not thread-safe; one instance per direction, re-keyed for every packet with {@link #init}.
 */
final class Poly1305 {
    static final int KEY_SIZE = 32;
    static final int TAG_SIZE = 16;
    private static final int BLOCK = 16;
    private static final VarHandle LE64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private long r0;
    private long r1;
    /** r1 + r1/4: a product's part at 2^128 · r1 wraps around to 2^0 · s1. */
    private long s1;
    private long h0;
    private long h1;
    private long h2;
    private long pad0;
    private long pad1;
    private final byte[] partial = new byte[BLOCK];
    private int partialLen;

    /** Starts a new tag with the 32-byte one-time key at {@code key[off]}: {@code r} (clamped), then {@code s}. */
    void init(byte[] key, int off) {
        // r &= 0x0ffffffc0ffffffc0ffffffc0fffffff
        r0 = (long) LE64.get(key, off) & 0x0ffffffc0fffffffL;
        r1 = (long) LE64.get(key, off + 8) & 0x0ffffffc0ffffffcL;
        s1 = r1 + (r1 >>> 2);
        h0 = 0;
        h1 = 0;
        h2 = 0;
        pad0 = (long) LE64.get(key, off + 16);
        pad1 = (long) LE64.get(key, off + 24);
        partialLen = 0;
    }

    /** Adds {@code len} bytes of {@code m} from {@code off} to the message. */
    void update(byte[] m, int off, int len) {
        if (partialLen > 0) {
            int take = Math.min(len, BLOCK - partialLen);
            System.arraycopy(m, off, partial, partialLen, take);
            partialLen += take;
            off += take;
            len -= take;
            if (partialLen < BLOCK) {
                return;
            }
            blocks(partial, 0, BLOCK, 1);
            partialLen = 0;
        }
        int whole = len & ~(BLOCK - 1);
        if (whole > 0) {
            blocks(m, off, whole, 1);
        }
        if (len > whole) {
            System.arraycopy(m, off + whole, partial, 0, len - whole);
            partialLen = len - whole;
        }
    }

    /** Writes the 16-byte tag to {@code out[off]}; {@link #init} must come before the next use. */
    void finish(byte[] out, int off) {
        if (partialLen > 0) {
            partial[partialLen] = 1;
            for (int i = partialLen + 1; i < BLOCK; i++) {
                partial[i] = 0;
            }
            blocks(partial, 0, BLOCK, 0);
            partialLen = 0;
        }
        long a = h0;
        long b = h1;
        long c = h2;
        // h2 <= 4: h < 5·2^128 < 2p, so h mod p is h or h - p. g = h - p = h + 5 - 2^130; keep h if g is negative
        // (constant time)
        long g0 = a + 5;
        long carry = carry(a, 5, g0);
        long g1 = b + carry;
        carry = carry(b, carry, g1);
        long useG = ~((c + carry - 4) >> 63); // all ones when h >= p
        a = (a & ~useG) | (g0 & useG);
        b = (b & ~useG) | (g1 & useG);
        // + s, mod 2^128
        long x = a + pad0;
        carry = carry(a, pad0, x);
        LE64.set(out, off, x);
        LE64.set(out, off + 8, b + pad1 + carry);
    }

    /** The carry out of the unsigned sum {@code s = x + y} (0 or 1), without a branch. */
    private static long carry(long x, long y, long s) {
        return ((x & y) | ((x | y) & ~s)) >>> 63;
    }

    /**
     * h = (h + block + hibit·2^128) · r mod p (partly reduced) for each 16-byte block; {@code len} is a multiple of
     * 16. Bounds: r0, r1 < 2^60 and s1 < 2^61 (clamping), h2 ≤ 4 between blocks, so each sum of products stays
     * below 2^126 and the new h2 below 2^63.
     */
    private void blocks(byte[] m, int off, int len, long hibit) {
        long a = h0;
        long b = h1;
        long c = h2;
        final long k0 = r0;
        final long k1 = r1;
        final long t1 = s1;
        int end = off + len;
        for (; off < end; off += BLOCK) {
            long m0 = (long) LE64.get(m, off);
            long m1 = (long) LE64.get(m, off + 8);
            long x = a + m0;
            long carry = carry(a, m0, x);
            a = x;
            x = b + m1;
            long carry2 = carry(b, m1, x);
            b = x + carry;
            carry2 |= carry(x, carry, b);
            c += carry2 + hibit;
            // d0 = a·r0 + b·s1, d1 = a·r1 + b·r0 + c·s1 (at 2^64), d2 = c·r0 (at 2^128); a and b are unsigned, so
            // the signed high product is corrected by r when their top bit is set (r and s1 are below 2^63)
            long aTop = a >> 63;
            long bTop = b >> 63;
            long p = a * k0;
            long q = b * t1;
            long d0 = p + q;
            long d0h = Math.multiplyHigh(a, k0) + (aTop & k0) + Math.multiplyHigh(b, t1) + (bTop & t1)
                    + carry(p, q, d0);
            p = a * k1;
            q = b * k0;
            long d1 = p + q;
            long d1h = Math.multiplyHigh(a, k1) + (aTop & k1) + Math.multiplyHigh(b, k0) + (bTop & k0)
                    + carry(p, q, d1);
            p = c * t1; // c < 8: no high part
            x = d1 + p;
            d1h += carry(d1, p, x);
            d1 = x;
            // h = d0 + (d0h + d1)·2^64 + (d1h + d2)·2^128
            a = d0;
            b = d0h + d1;
            c = d1h + c * k0 + carry(d0h, d1, b);
            // what is at 2^130 and up wraps around ×5 into a
            long w = (c & ~3L) + (c >>> 2);
            c &= 3;
            x = a + w;
            carry = carry(a, w, x);
            a = x;
            x = b + carry;
            c += carry(b, carry, x);
            b = x;
        }
        h0 = a;
        h1 = b;
        h2 = c;
    }
}
