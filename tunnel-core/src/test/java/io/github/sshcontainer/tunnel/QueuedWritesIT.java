package io.github.sshcontainer.tunnel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.github.sshcontainer.tunnel.testing.Cleanup;
import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.ThreadPerTask;
import io.github.sshcontainer.tunnel.testing.UnixSinkServer;
import io.github.sshcontainer.tunnel.testing.UnixSocketServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * In-process writes are queued and leave while the caller goes on (issue 8: waiting for every write cost two
 * thread switches per packet). What that must not change, against a real OpenSSH sshd: every byte arrives, in
 * order, also from many small writes merged into one packet; a half-close and a close wait for the queue; a far
 * end that stops reading holds the writer back instead of growing the queue; and a close with bytes stuck behind
 * such a far end still ends the channel.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class QueuedWritesIT {
    static OpenSshServer sshd;
    static UnixSinkServer sink;
    @TempDir
    static Path tmp;
    static Path knownHosts;

    @BeforeAll
    static void start() {
        sshd = OpenSshServer.startOrSkip(OpenSshServer.builder());
        sink = UnixSinkServer.start();
        knownHosts = tmp.resolve("known_hosts");
        sshd.writeKnownHosts(knownHosts);
    }

    @AfterAll
    static void stop() {
        Cleanup.closeAll(sink, sshd);
    }

    private static Tunnel inProcess(Path socket) throws SshTunnelException {
        return Tunnel.to(TunnelBehaviourIT.target(sshd), RemoteEndpoint.unixSocket(socket.toString()))
                .options(TunnelBehaviourIT.keyOptions(sshd, knownHosts).build()).inProcessOnly().open();
    }

    @Test
    void writesOfEverySizeArriveWholeAndInOrderThenTheHalfCloseFollowsThem() throws Exception {
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        SplittableRandom random = new SplittableRandom(8);
        long total = 0;
        try (Tunnel t = inProcess(sink.path()); TunnelConnection c = t.openConnection()) {
            OutputStream out = c.outputStream();
            out.write("SINK\n".getBytes(StandardCharsets.US_ASCII));
            while (total < 48L << 20) {
                // runs of tiny writes (merged while a big one is on its way) between writes up to 300 KiB
                int len = random.nextInt(4) == 0 ? 1 + random.nextInt(300 * 1024) : 1 + random.nextInt(64);
                byte[] b = new byte[len];
                random.nextBytes(b);
                if (len == 1) {
                    out.write(b[0]);
                } else {
                    out.write(b);
                }
                sent.update(b);
                total += len;
            }
            // the EOF leaves after the queued bytes: the sink answers only once it read them all
            c.shutdownOutput();
            byte[] digest = c.inputStream().readNBytes(32);
            assertArrayEquals(sent.digest(), digest, "what the far end read after " + total + " bytes in "
                    + "random-size writes differs from what was written");
            assertEquals(-1, c.inputStream().read());
        }
    }

    @Test
    void closeRightAfterTheLastWriteStillDeliversEveryByte() throws Exception {
        try (Counting far = Counting.start(); Tunnel t = inProcess(far.path())) {
            long n = 24L << 20;
            byte[] chunk = new byte[256 * 1024];
            new SplittableRandom(3).nextBytes(chunk);
            TunnelConnection c = t.openConnection();
            for (long left = n; left > 0; left -= chunk.length) {
                c.outputStream().write(chunk);
            }
            c.close(); // returns at once; up to a megabyte may still be queued
            Counting.Result got = far.result().get(30, TimeUnit.SECONDS);
            assertEquals(n, got.bytes(), "bytes that reached the far end after close()");
            MessageDigest expected = MessageDigest.getInstance("SHA-256");
            for (long left = n; left > 0; left -= chunk.length) {
                expected.update(chunk);
            }
            assertArrayEquals(expected.digest(), got.sha256());
            assertThrows(IOException.class, () -> c.outputStream().write(1), "writing after close");
        }
    }

    @Test
    void aFarEndThatStopsReadingHoldsTheWriterBackAndCloseStillEndsIt() throws Exception {
        try (Stalled far = Stalled.start(); Tunnel t = inProcess(far.path())) {
            TunnelConnection c = t.openConnection();
            AtomicLong written = new AtomicLong();
            CountDownLatch started = new CountDownLatch(1);
            CompletableFuture<Throwable> writer = CompletableFuture.supplyAsync(() -> {
                byte[] chunk = new byte[64 * 1024];
                started.countDown();
                try {
                    while (true) {
                        c.outputStream().write(chunk);
                        written.addAndGet(chunk.length);
                    }
                } catch (IOException e) {
                    return e;
                }
            }, ThreadPerTask.EXECUTOR);
            assertTrue(started.await(10, TimeUnit.SECONDS));
            // the writer stops once the SSH window, the sockets' buffers and our megabyte are full
            long before;
            long after = written.get();
            do {
                before = after;
                Thread.sleep(1_000);
                after = written.get();
            } while (after != before);
            assertTrue(after < 32L << 20, "the writer should be held back, but wrote " + after + " bytes into a far end"
                    + " that reads nothing");
            assertEquals(1, t.stats().openConnections());

            long closing = System.nanoTime();
            c.close();
            // the blocked writer fails at once, not when the linger time is over
            Throwable e = writer.get(5, TimeUnit.SECONDS);
            assertInstanceOf(IOException.class, e);
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
            // the queued bytes cannot leave: after the linger time the channel is closed anyway
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (far.open() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(0, far.open(), "the far end's connection should end once close() gave up on the queued bytes");
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closing);
            assertTrue(took < 20_000, "close() of a stuck connection took " + took + " ms to end the channel");
        }
    }

    @Test
    void aLocalClientThatLeavesWithoutReadingEndsTheRemoteConnectionToo() throws Exception {
        try (Stalled far = Stalled.start();
                Tunnel t = Tunnel.to(TunnelBehaviourIT.target(sshd), RemoteEndpoint.unixSocket(far.path().toString()))
                        .options(TunnelBehaviourIT.keyOptions(sshd, knownHosts).build()).open()) {
            // the tunnel's own check that the socket is there comes and goes first
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (far.open() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            int before = far.accepted();
            SocketChannel local = TunnelIT.connect(t);
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (far.accepted() == before && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(1, far.open(), "the far end should have the forwarded connection");
            local.close(); // the far end's next byte cannot be delivered: the link aborts
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (far.open() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(0, far.open(), "sshd should have been told to close the far end's socket (SSH_MSG_CHANNEL_CLOSE)");
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (t.stats().openConnections() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(0, t.stats().openConnections());
        }
    }

    @Test
    void concurrentUploadsOnOneSessionArriveWholeWhileOtherConnectionsComeAndGo() throws Exception {
        // bulk writes leave the TCP socket gathered, several packets per system call; writes of other channels of the
        // same session (opens, small data, window adjustments) must still go out at once and in order
        try (Tunnel t = Tunnel.to(TunnelBehaviourIT.target(sshd), RemoteEndpoint.unixSocket(sink.path().toString()))
                .options(TunnelBehaviourIT.keyOptions(sshd, knownHosts).build()).open()) {
            java.util.List<CompletableFuture<String>> uploads = new java.util.ArrayList<>();
            for (int i = 0; i < 3; i++) {
                int seed = i;
                boolean viaSocket = i == 0; // one through the local socket, two in-process
                uploads.add(CompletableFuture.supplyAsync(() -> upload(t, viaSocket, seed, 32L << 20), ThreadPerTask.EXECUTOR));
            }
            int smallOnes = 0;
            while (!uploads.stream().allMatch(CompletableFuture::isDone)) {
                assertEquals("ok", upload(t, false, 100 + smallOnes, 64), "small upload " + smallOnes);
                smallOnes++;
            }
            for (int i = 0; i < uploads.size(); i++) {
                assertEquals("ok", uploads.get(i).get(), "upload " + i);
            }
            assertTrue(smallOnes > 0, "no small upload ran alongside the big ones");
        }
    }

    /** Sends {@code n} random bytes to the sink and compares its checksum; "ok" or what went wrong. */
    private static String upload(Tunnel t, boolean viaSocket, long seed, long n) {
        try {
            UnixSinkServer.Transfer up;
            if (viaSocket) {
                try (SocketChannel c = TunnelIT.connect(t)) {
                    up = UnixSinkServer.upload(java.nio.channels.Channels.newOutputStream(c),
                            java.nio.channels.Channels.newInputStream(c), c::shutdownOutput, n, seed);
                }
            } else {
                try (TunnelConnection c = t.openConnection()) {
                    c.setReadTimeout(java.time.Duration.ofSeconds(30));
                    up = UnixSinkServer.upload(c.outputStream(), c.inputStream(), c::shutdownOutput, n, seed);
                }
            }
            return java.util.Arrays.equals(up.expected(), up.sha256()) ? "ok" : "checksum differs";
        } catch (Exception e) {
            return e.toString();
        }
    }

    /** Reads each connection to EOF; reports the byte count and SHA-256 of the first one that sent anything. */
    static final class Counting extends UnixSocketServer {
        record Result(long bytes, byte[] sha256) {
        }

        private final CompletableFuture<Result> result = new CompletableFuture<>();

        private Counting() {
            super("counting");
        }

        static Counting start() {
            Counting c = new Counting();
            c.startAccepting();
            return c;
        }

        CompletableFuture<Result> result() {
            return result;
        }

        @Override
        protected void handle(SocketChannel channel) throws IOException {
            try {
                MessageDigest d = MessageDigest.getInstance("SHA-256");
                ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
                long n = 0;
                for (int r; (r = channel.read(buf.clear())) >= 0;) {
                    d.update(buf.flip());
                    n += r;
                }
                if (n > 0) { // not the tunnel's check that the socket is there
                    result.complete(new Result(n, d.digest()));
                }
            } catch (java.security.NoSuchAlgorithmException e) {
                result.completeExceptionally(e);
            }
        }
    }

    /** Accepts and never reads; holds each connection until the client side goes away. */
    static final class Stalled extends UnixSocketServer {
        private Stalled() {
            super("stalled");
        }

        static Stalled start() {
            Stalled s = new Stalled();
            s.startAccepting();
            return s;
        }

        int open() {
            return active();
        }

        @Override
        protected void handle(SocketChannel channel) throws IOException {
            // not reading; a peer that goes away shows as a failed write of one byte
            ByteBuffer probe = ByteBuffer.allocate(1);
            while (true) {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
                try {
                    channel.write(probe.clear());
                } catch (IOException gone) {
                    return;
                }
            }
        }
    }

    /**
     * A reader parked on an empty queue is handed bytes straight into its buffer; what does not fit is queued behind
     * them. Reads of every size, from one byte to more than a packet, and pauses that let the queue fill, must still
     * see every byte once and in order.
     */
    @Test
    void readsOfEverySizeSeeTheDownloadWholeAndInOrder() throws Exception {
        long n = 24L << 20;
        long seed = 77;
        SplittableRandom random = new SplittableRandom(5);
        MessageDigest got = MessageDigest.getInstance("SHA-256");
        long total = 0;
        try (Tunnel t = inProcess(sink.path()); TunnelConnection c = t.openConnection()) {
            c.outputStream().write(UnixSinkServer.sendRequest(n, seed));
            InputStream in = c.inputStream();
            byte[] buf = new byte[200 * 1024];
            while (true) {
                int pick = random.nextInt(8);
                int len = pick == 0 ? 1 : pick < 4 ? 1 + random.nextInt(100) : 1 + random.nextInt(buf.length - 16);
                int off = random.nextInt(16);
                int r = len == 1 && random.nextBoolean() ? readOne(in, buf, off) : in.read(buf, off, len);
                if (r < 0) {
                    break;
                }
                got.update(buf, off, r);
                total += r;
                if (random.nextInt(64) == 0) {
                    Thread.sleep(2); // the queue fills meanwhile
                }
            }
        }
        assertEquals(n, total);
        assertArrayEquals(UnixSinkServer.expectedSha256(n, seed), got.digest(), "the bytes, in order");
    }

    private static int readOne(InputStream in, byte[] buf, int off) throws IOException {
        int b = in.read();
        if (b < 0) {
            return -1;
        }
        buf[off] = (byte) b;
        return 1;
    }
}
