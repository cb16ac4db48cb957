package io.github.sshcontainer.benchmarks;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;

/**
 * The bytes every bulk transfer carries: one 1 MiB pseudo-random block, repeated. Generating it costs nothing per
 * transfer, and encryption does not care that it repeats. Checksums are CRC32C (a CPU instruction, so the checksum
 * is never what limits a run).
 */
final class Pattern {
    static final int BLOCK = 1 << 20;
    private static final byte[] DATA = new byte[BLOCK];
    private static final Map<Long, Long> EXPECTED = new ConcurrentHashMap<>();

    static {
        new SplittableRandom(0x5eed).nextBytes(DATA);
    }

    private Pattern() {
    }

    /** The block; never modify it. */
    static byte[] block() {
        return DATA;
    }

    /** A read-only view of the block for channel writes. */
    static ByteBuffer buffer() {
        return ByteBuffer.wrap(DATA).asReadOnlyBuffer();
    }

    /** The CRC32C of the first {@code n} bytes of the endless pattern. */
    static long crcOf(long n) {
        return EXPECTED.computeIfAbsent(n, k -> {
            CRC32C crc = new CRC32C();
            long left = k;
            while (left > 0) {
                int len = (int) Math.min(left, BLOCK);
                crc.update(DATA, 0, len);
                left -= len;
            }
            return crc.getValue();
        });
    }
}
