package io.github.sshcontainer.tunnel.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;

import javax.crypto.AEADBadTagException;

import org.apache.sshd.common.cipher.ChaCha20Cipher;
import org.apache.sshd.common.cipher.Cipher;
import org.apache.sshd.common.cipher.Cipher.Mode;
import org.junit.jupiter.api.Test;

/**
 * Poly1305 against RFC 8439's example and a BigInteger rendering of its definition (including the sums that need
 * the final reduction, and blocks chosen so that every carry between the accumulator's words happens), and the whole
 * cipher against MINA's independent implementation of
 * {@code chacha20-poly1305@openssh.com}: the same bytes on the wire, each decrypts the other's packets, and a
 * changed byte anywhere is refused.
 */
class ChaChaPolyCipherTest {
    private static final BigInteger P = BigInteger.ONE.shiftLeft(130).subtract(BigInteger.valueOf(5));
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void poly1305MatchesTheRfcExample() {
        byte[] key = HEX.parseHex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b");
        byte[] msg = "Cryptographic Forum Research Group".getBytes(StandardCharsets.US_ASCII);
        assertEquals("a8061dc1305136c6c22b8baf0c0127a9", HEX.formatHex(tag(key, msg, msg.length)));
    }

    @Test
    void poly1305MatchesTheDefinitionForRandomKeysLengthsAndSplits() {
        Random random = new Random(42);
        for (int i = 0; i < 2000; i++) {
            byte[] key = new byte[32];
            random.nextBytes(key);
            byte[] msg = new byte[random.nextInt(300)];
            random.nextBytes(msg);
            int split = msg.length == 0 ? 0 : random.nextInt(msg.length + 1);
            assertArrayEquals(reference(key, msg), tag(key, msg, split), "case " + i + ", " + msg.length + " bytes");
        }
    }

    @Test
    void poly1305ReducesSumsAtOrAboveTheModulus() {
        // accumulators of all ones in every limb, and r and s at their largest: h lands on or above p
        byte[] key = new byte[32];
        Arrays.fill(key, (byte) 0xff);
        for (int len : new int[] {16, 17, 32, 48, 1024}) {
            byte[] msg = new byte[len];
            Arrays.fill(msg, (byte) 0xff);
            assertArrayEquals(reference(key, msg), tag(key, msg, len / 2), len + " bytes of 0xff");
        }
        // r = 2, s = 0: (2^129 - 1) · 2 = p + 3, and (2^129 - 3) · 2 = p - 1
        byte[] two = new byte[32];
        two[0] = 2;
        byte[] ones = new byte[16];
        Arrays.fill(ones, (byte) 0xff);
        assertEquals("03000000000000000000000000000000", HEX.formatHex(tag(two, ones, 16)));
        ones[0] = (byte) 0xfd;
        assertEquals("faffffffffffffffffffffffffffffff", HEX.formatHex(tag(two, ones, 3)));
    }

    @Test
    void poly1305CarriesThroughEveryWordOfTheAccumulator() {
        // Each block after the first is chosen from the accumulator before it (the definition's, which the
        // implementation holds too, but for a multiple of p now and then): the low words overflow, and the carry makes
        // the middle words overflow as well (they sum to 2^64 - 1 before it arrives), into the top word. The next
        // block's product spreads the top word over all of them, so a carry lost anywhere changes the tag.
        Random random = new Random(5);
        BigInteger word = BigInteger.ONE.shiftLeft(64);
        for (int i = 0; i < 200; i++) {
            byte[] key = new byte[32];
            random.nextBytes(key);
            byte[] msg = new byte[16 * 6];
            random.nextBytes(msg);
            for (int block = 1; block < 5; block++) {
                BigInteger h = accumulator(key, Arrays.copyOf(msg, 16 * block));
                BigInteger low = h.mod(word);
                BigInteger middle = h.shiftRight(64).mod(word);
                putLong(msg, 16 * block, word.add(BigInteger.ONE).subtract(low).longValue()); // low + m0 = 2^64 + 1
                putLong(msg, 16 * block + 8, word.subtract(BigInteger.ONE).subtract(middle).longValue());
            }
            assertArrayEquals(reference(key, msg), tag(key, msg, random.nextInt(msg.length)), "case " + i);
        }
        // The wrap-around after a product, carried through both words: with r = 16·2^64 (so r·2^128 wraps to 20),
        // block 1 leaves h = 20·2^64 + 2·2^128; block 2 makes h + block = (5·2^60 - 4) + 0x3333333333333333·2^64 +
        // 3·2^128, whose product is (2^64 - 4) + (2^64 - 1)·2^64 + 4·2^128: the 4·2^128 wraps around as 5, into the low
        // word, which overflows, and so does the middle one. Block 3 multiplies what that carried into every word.
        byte[] key = new byte[32];
        key[8] = 16;
        for (int k = 16; k < 32; k++) {
            key[k] = (byte) random.nextInt(256); // s
        }
        byte[] msg = new byte[48];
        putLong(msg, 0, 1L << 61);
        putLong(msg, 16, 5L * (1L << 60) - 4);
        putLong(msg, 24, 0x3333333333333333L - 20);
        assertArrayEquals(reference(key, msg), tag(key, msg, 48), "a carry out of the wrap-around");
    }

    private static void putLong(byte[] b, int off, long v) {
        for (int k = 0; k < 8; k++) {
            b[off + k] = (byte) (v >>> (8 * k));
        }
    }

    @Test
    void encryptsExactlyAsMinasImplementationAndEachDecryptsTheOther() throws Exception {
        Random random = new Random(7);
        byte[] key = new byte[64];
        random.nextBytes(key);
        byte[] iv = sequence(0xfffffff0L); // crosses the 32-bit wrap of the sequence number
        Cipher ours = new ChaChaPolyCipher();
        Cipher minas = new ChaCha20Cipher();
        ours.init(Mode.Encrypt, key, iv);
        minas.init(Mode.Encrypt, key, iv);
        Cipher oursIn = new ChaChaPolyCipher();
        Cipher minasIn = new ChaCha20Cipher();
        oursIn.init(Mode.Decrypt, key, iv);
        minasIn.init(Mode.Decrypt, key, iv);
        for (int i = 0; i < 40; i++) {
            int len = 8 * (1 + random.nextInt(i % 5 == 0 ? 4100 : 40)); // a multiple of the block size
            byte[] plain = new byte[4 + len + 16];
            random.nextBytes(plain);
            byte[] a = plain.clone();
            byte[] b = plain.clone();
            ours.updateWithAAD(a, 0, 4, len);
            minas.updateWithAAD(b, 0, 4, len);
            assertArrayEquals(b, a, "packet " + i + " on the wire");
            byte[] c = a.clone();
            // ours decrypts MINA's packets and MINA decrypts ours, length first (as a decoder does), then the rest
            oursIn.updateAAD(b, 0, 4);
            oursIn.update(b, 4, len);
            minasIn.updateAAD(c, 0, 4);
            minasIn.update(c, 4, len);
            assertArrayEquals(Arrays.copyOf(plain, 4 + len), Arrays.copyOf(b, 4 + len), "packet " + i + " decrypted");
            assertArrayEquals(Arrays.copyOf(plain, 4 + len), Arrays.copyOf(c, 4 + len), "packet " + i + " by MINA");
        }
    }

    @Test
    void aChangedByteInTheLengthThePayloadOrTheTagIsRefused() throws Exception {
        byte[] key = new byte[64];
        new Random(3).nextBytes(key);
        int len = 64;
        for (int at : new int[] {1, 4, 4 + len - 1, 4 + len, 4 + len + 15}) {
            Cipher out = new ChaChaPolyCipher();
            out.init(Mode.Encrypt, key, sequence(5));
            byte[] packet = new byte[4 + len + 16];
            out.updateWithAAD(packet, 0, 4, len);
            packet[at] ^= 0x01;
            Cipher in = new ChaChaPolyCipher();
            in.init(Mode.Decrypt, key, sequence(5));
            in.updateAAD(packet, 0, 4);
            assertThrows(AEADBadTagException.class, () -> in.update(packet, 4, len), "byte " + at + " changed");
        }
    }

    @Test
    void aPacketOutOfSequenceIsRefused() throws Exception {
        byte[] key = new byte[64];
        Cipher out = new ChaChaPolyCipher();
        out.init(Mode.Encrypt, key, sequence(9));
        byte[] first = new byte[4 + 8 + 16];
        out.updateWithAAD(first, 0, 4, 8);
        byte[] second = new byte[4 + 8 + 16];
        out.updateWithAAD(second, 0, 4, 8);
        Cipher in = new ChaChaPolyCipher();
        in.init(Mode.Decrypt, key, sequence(9));
        in.updateAAD(second, 0, 4);
        assertThrows(AEADBadTagException.class, () -> in.update(second, 4, 8), "the second packet first");
    }

    private static byte[] sequence(long n) {
        byte[] iv = new byte[8];
        for (int i = 0; i < 8; i++) {
            iv[i] = (byte) (n >>> (56 - 8 * i));
        }
        return iv;
    }

    /** Our Poly1305 over {@code msg}, fed in two updates split at {@code split}. */
    private static byte[] tag(byte[] key, byte[] msg, int split) {
        Poly1305 mac = new Poly1305();
        mac.init(key, 0);
        mac.update(msg, 0, split);
        mac.update(msg, split, msg.length - split);
        byte[] out = new byte[16];
        mac.finish(out, 0);
        return out;
    }

    /** RFC 8439, section 2.5.1, in BigInteger arithmetic. */
    /** The definition's accumulator after {@code msg}: ((acc + block + 2^(8·length)) · r) mod p, block by block. */
    private static BigInteger accumulator(byte[] key, byte[] msg) {
        byte[] rBytes = Arrays.copyOf(key, 16);
        for (int i : new int[] {3, 7, 11, 15}) {
            rBytes[i] &= 15;
        }
        for (int i : new int[] {4, 8, 12}) {
            rBytes[i] &= (byte) 252;
        }
        BigInteger r = le(rBytes);
        BigInteger acc = BigInteger.ZERO;
        for (int off = 0; off < msg.length; off += 16) {
            byte[] block = Arrays.copyOfRange(msg, off, Math.min(msg.length, off + 16));
            BigInteger n = le(block).setBit(8 * block.length);
            acc = acc.add(n).multiply(r).mod(P);
        }
        return acc;
    }

    private static byte[] reference(byte[] key, byte[] msg) {
        BigInteger acc = accumulator(key, msg);
        BigInteger s = le(Arrays.copyOfRange(key, 16, 32));
        BigInteger t = acc.add(s);
        byte[] out = new byte[16];
        for (int i = 0; i < 16; i++) {
            out[i] = t.shiftRight(8 * i).byteValue();
        }
        return out;
    }

    private static BigInteger le(byte[] b) {
        byte[] be = new byte[b.length + 1];
        for (int i = 0; i < b.length; i++) {
            be[b.length - i] = b[i];
        }
        return new BigInteger(be);
    }
}
