package io.github.sshcontainer.benchmarks;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * One verified request of the soak through {@link BenchServer}: either {@code SINK n} (we send {@code n} pattern
 * bytes, the server answers their CRC32C and count) or {@code SEND n} (the server sends {@code n} pattern bytes,
 * each compared here with {@link Pattern} as it arrives). The outcome tells a complete right answer, a complete
 * wrong one (the thing that must never happen), an early end, and an exception apart.
 */
final class SoakRequest {
    /** How one request ended. */
    enum Outcome { OK, WRONG, EARLY_END, EXCEPTION }

    static final int MAX_SIZE = 4 << 20;

    /** An outcome and the request's size in bytes. */
    record Done(Outcome outcome, int size) {
    }

    private SoakRequest() {
    }

    /** Runs one request of random size and direction; {@code onConnect} sees the connection (to close it if hung). */
    static Done run(Path socket, SplittableRandom random, Consumer<Conn> onConnect) {
        int n = random.nextInt(MAX_SIZE + 1);
        boolean up = random.nextBoolean();
        try (Conn c = Conn.socket(socket)) {
            onConnect.accept(c);
            return new Done(up ? sink(c, n) : send(c, n), n);
        } catch (IOException | RuntimeException e) {
            return new Done(Outcome.EXCEPTION, n);
        }
    }

    private static Outcome sink(Conn c, int n) throws IOException {
        c.write(BenchServer.request("SINK " + n));
        byte[] data = Pattern.block();
        int left = n;
        while (left > 0) {
            int len = Math.min(left, data.length);
            c.write(data, 0, len);
            left -= len;
        }
        byte[] reply = new byte[16];
        int have = 0;
        while (have < reply.length) {
            int r = c.read(reply, have, reply.length - have);
            if (r < 0) {
                return Outcome.EARLY_END;
            }
            have += r;
        }
        ByteBuffer b = ByteBuffer.wrap(reply);
        long crc = b.getLong();
        long count = b.getLong();
        return crc == Pattern.crcOf(n) && count == n ? Outcome.OK : Outcome.WRONG;
    }

    private static Outcome send(Conn c, int n) throws IOException {
        c.write(BenchServer.request("SEND " + n));
        byte[] data = Pattern.block();
        byte[] buf = new byte[64 * 1024];
        long got = 0;
        while (true) {
            int r = c.read(buf, 0, buf.length);
            if (r < 0) {
                break;
            }
            if (got + r > n) {
                return Outcome.WRONG; // more bytes than asked for
            }
            int off = 0;
            while (off < r) {
                int at = (int) ((got + off) % data.length);
                int len = Math.min(r - off, data.length - at);
                if (Arrays.mismatch(buf, off, off + len, data, at, at + len) >= 0) {
                    return Outcome.WRONG;
                }
                off += len;
            }
            got += r;
        }
        return got == n ? Outcome.OK : Outcome.EARLY_END;
    }
}
