package io.github.sshcontainer.benchmarks;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32C;

/** Workloads 1–4: bulk each way, parallel bulk, round trips on one connection, connection-open rate. */
final class Transfers {
    /** Size of the application's writes and reads. */
    static final int CHUNK = 64 * 1024;
    private static final double MIB = 1024.0 * 1024.0;

    private Transfers() {
    }

    /** Sends {@code n} pattern bytes to SINK; checks the far end's CRC32C and count. */
    static void upload(Contender c, long n) throws IOException {
        try (Conn conn = c.connect(Contender.Remote.SINK)) {
            conn.write(BenchServer.request("SINK " + n));
            byte[] block = Pattern.block();
            long left = n;
            int off = 0;
            while (left > 0) {
                int len = (int) Math.min(CHUNK, left);
                conn.write(block, off, len);
                off = (off + len) % Pattern.BLOCK;
                left -= len;
            }
            byte[] reply = new byte[16];
            conn.readFully(reply, 0, 16);
            ByteBuffer b = ByteBuffer.wrap(reply);
            long crc = b.getLong();
            long count = b.getLong();
            if (count != n || crc != Pattern.crcOf(n)) {
                throw new IOException("upload checksum mismatch: far end got " + count + " bytes, crc "
                        + Long.toHexString(crc) + ", expected " + n + " bytes, crc " + Long.toHexString(Pattern.crcOf(n)));
            }
        }
    }

    /** Asks SEND for {@code n} bytes, reads to EOF, checks count and CRC32C. */
    static void download(Contender c, long n) throws IOException {
        try (Conn conn = c.connect(Contender.Remote.SINK)) {
            conn.write(BenchServer.request("SEND " + n));
            byte[] buf = new byte[CHUNK];
            CRC32C crc = new CRC32C();
            long got = 0;
            for (int r; (r = conn.read(buf, 0, buf.length)) >= 0;) {
                crc.update(buf, 0, r);
                got += r;
            }
            if (got != n || crc.getValue() != Pattern.crcOf(n)) {
                throw new IOException("download checksum mismatch: got " + got + " bytes, expected " + n);
            }
        }
    }

    /** MiB/s of one transfer. */
    static double bulk(Contender c, long n, boolean up) throws IOException {
        long t0 = System.nanoTime();
        if (up) {
            upload(c, n);
        } else {
            download(c, n);
        }
        return n / MIB / ((System.nanoTime() - t0) / 1e9);
    }

    /** Aggregate MiB/s of {@code streams} transfers of {@code each} bytes at once. */
    static double parallel(Contender c, int streams, long each, boolean up) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(streams);
        try {
            long t0 = System.nanoTime();
            List<Future<Double>> all = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                all.add(pool.submit(() -> bulk(c, each, up)));
            }
            for (Future<Double> f : all) {
                f.get();
            }
            return streams * each / MIB / ((System.nanoTime() - t0) / 1e9);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * {@code count} round trips on one kept connection; returns round trips per second and fills {@code nanos}
     * with each one's latency.
     */
    static double roundTrips(Contender c, Exchange x, int count, long[] nanos) throws IOException {
        try (Conn conn = c.connect(x.remote())) {
            x.start(conn);
            x.roundTrip(conn); // the channel is open and the far end answers before timing starts
            long t0 = System.nanoTime();
            for (int i = 0; i < count; i++) {
                long s = System.nanoTime();
                x.roundTrip(conn);
                nanos[i] = System.nanoTime() - s;
            }
            return count / ((System.nanoTime() - t0) / 1e9);
        }
    }

    /** {@code count} times: connect, one round trip, close; returns connections per second. */
    static double opens(Contender c, java.util.function.Supplier<Exchange> exchange, int count) throws IOException {
        long t0 = System.nanoTime();
        for (int i = 0; i < count; i++) {
            Exchange x = exchange.get();
            try (Conn conn = c.connect(x.remote())) {
                x.start(conn);
                x.roundTrip(conn);
            }
        }
        return count / ((System.nanoTime() - t0) / 1e9);
    }
}
