package io.github.sshcontainer.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.UnixEchoServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resource leaks against a real sshd: after 10,000 connections through one tunnel, and after 500 tunnels opened and
 * closed (each by {@value #WORKERS} workers one after the other: complete open-use-close cycles, overlapped so that
 * the test stays fast on a busy machine; about 45 s and 60 s on two cores shared with other builds at load 28, they
 * time out only when the machine is far more overloaded than that), this JVM's open file descriptors ({@code /proc/self/fd}) and live threads return to what they
 * were before (the baseline is taken after a warm-up, so lazily created JDK threads and class loading do not count).
 *
 * <p>Slack: {@value #FD_SLACK} descriptors and {@value #THREAD_SLACK} threads, for what the JVM itself opens on the
 * side (a jar file opened by the class loader, the JIT's compiler threads that come and go, a GC worker). A leak of
 * one descriptor or thread per connection or per tunnel would be thousands or hundreds over.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LeakIT {
    static final int FD_SLACK = 8;
    static final int THREAD_SLACK = 4;
    /** Workers that each run their share of the connections or tunnels one after the other. */
    static final int WORKERS = 8;

    static OpenSshServer sshd;
    static UnixEchoServer echo;
    @TempDir
    static Path tmp;
    static SshOptions options;

    @BeforeAll
    static void start() {
        sshd = OpenSshServer.startOrSkip(OpenSshServer.builder().extraConfig("MaxStartups 100:30:200"));
        echo = UnixEchoServer.start();
        // generous: this test is about leaks, not speed, and 8 parallel handshakes are slow on a busy machine
        options = sshd.clientOptions(tmp.resolve("known_hosts")).connectTimeout(Duration.ofSeconds(30))
                .authTimeout(Duration.ofSeconds(60)).build();
    }

    @AfterAll
    static void stop() {
        if (echo != null) {
            echo.close();
        }
        if (sshd != null) {
            sshd.close();
        }
    }

    @Test
    void tenThousandSequentialConnectionsLeaveNoDescriptorOrThread() throws Exception {
        try (Tunnel t = Tunnel.to(sshd.target(), RemoteEndpoint.unixSocket(echo.path().toString())).options(options)
                .open()) {
            Path socket = t.localSocket().orElseThrow();
            inParallel(200, i -> roundTrip(socket, i)); // warm-up: the echo server's threads, class loading
            int echoBefore = echo.accepted();
            Usage baseline = Usage.settled(null);
            long started = System.nanoTime();
            int n = 10_000;
            inParallel(n, i -> roundTrip(socket, i));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            System.out.printf("LeakIT: %d connections in %d ms%n", n, ms);
            assertEquals(n, echo.accepted() - echoBefore, "every connection reached the remote socket");
            Usage after = Usage.settled(baseline);
            baseline.assertBackTo(after, n + " connections");
            TunnelBehaviourIT.awaitTrue(() -> t.stats().openConnections() == 0, Duration.ofSeconds(5),
                    () -> "connections still counted open: " + t.stats().openConnections());
            TunnelBehaviourIT.awaitTrue(() -> echo.active() == 0, Duration.ofSeconds(5),
                    () -> "remote connections still open: " + echo.active());
        }
    }

    @Test
    void fiveHundredTunnelsOpenedAndClosedLeaveNoDescriptorThreadOrFile() throws Exception {
        inParallel(2 * WORKERS, LeakIT::cycle); // warm-up
        Usage baseline = Usage.settled(null);
        long started = System.nanoTime();
        int n = 500;
        inParallel(n, LeakIT::cycle);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        System.out.printf("LeakIT: %d tunnel open/close cycles in %d ms%n", n, ms);
        Usage after = Usage.settled(baseline);
        baseline.assertBackTo(after, n + " tunnels");
    }

    interface Step {
        void run(int i) throws Exception;
    }

    /**
     * Runs {@code step} for 0..n-1 on {@link #WORKERS} threads, each one step after the other: the loop stays a
     * sequence of complete open-use-close cycles, while the waits of one worker overlap with the others' work.
     */
    static void inParallel(int n, Step step) throws Exception {
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(WORKERS);
        try {
            List<java.util.concurrent.Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < WORKERS; w++) {
                workers.add(pool.submit(() -> {
                    for (int i; (i = next.getAndIncrement()) < n;) {
                        step.run(i);
                    }
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> f : workers) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(5, TimeUnit.SECONDS), "workers ended");
        }
    }

    /** One tunnel with its own connector, one connection through its private socket, closed. */
    private static void cycle(int i) throws IOException {
        Path socket;
        Path dir;
        try (Tunnel t = Tunnel.to(sshd.target(), RemoteEndpoint.unixSocket(echo.path().toString())).options(options)
                .verifyRemote(false).drainTimeout(Duration.ZERO).open()) {
            socket = t.localSocket().orElseThrow();
            dir = socket.getParent();
            roundTrip(socket, i);
        }
        assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "socket removed: " + socket);
        assertFalse(Files.exists(dir, LinkOption.NOFOLLOW_LINKS), "private directory removed: " + dir);
    }

    private static void roundTrip(Path socket, int i) throws IOException {
        byte[] msg = ("m" + i + "\n").getBytes(StandardCharsets.US_ASCII);
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            TunnelBehaviourIT.writeFully(c, msg);
            c.shutdownOutput();
            assertEquals("m" + i + "\n", new String(TunnelBehaviourIT.readExactly(c, msg.length),
                    StandardCharsets.US_ASCII));
            assertEquals(-1, c.read(java.nio.ByteBuffer.allocate(1)), "EOF after the echo");
        }
    }

    /** Open descriptors and live threads of this JVM. */
    record Usage(List<String> fds, Set<Thread> threads) {
        static Usage now() throws IOException {
            List<String> fds = new ArrayList<>();
            try (Stream<Path> list = Files.list(Path.of("/proc/self/fd"))) {
                for (Path fd : list.collect(Collectors.toList())) {
                    try {
                        fds.add(fd.getFileName() + " -> " + Files.readSymbolicLink(fd));
                    } catch (IOException gone) {
                        // the directory stream's own descriptor, closed by now
                    }
                }
            }
            return new Usage(fds, Set.copyOf(Thread.getAllStackTraces().keySet()));
        }

        /**
         * The usage once it stops falling (closed sessions end asynchronously): waits until it is within the slack
         * of {@code target} (or, for a baseline, 300 ms without change).
         */
        static Usage settled(Usage target) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            Usage u = now();
            while (System.nanoTime() < deadline) {
                if (target != null && u.fds.size() <= target.fds.size() + FD_SLACK
                        && u.threads.size() <= target.threads.size() + THREAD_SLACK) {
                    return u;
                }
                Thread.sleep(300);
                Usage next = now();
                if (target == null && next.fds.size() == u.fds.size() && next.threads.size() == u.threads.size()) {
                    return next;
                }
                u = next;
            }
            return u;
        }

        void assertBackTo(Usage after, String what) {
            List<String> newFds = new ArrayList<>(after.fds);
            newFds.removeAll(fds);
            assertTrue(after.fds.size() <= fds.size() + FD_SLACK, "open descriptors after " + what + ": "
                    + after.fds.size() + " (before: " + fds.size() + "); new: " + newFds);
            List<String> newThreads = after.threads.stream().filter(t -> !threads.contains(t) && t.isAlive())
                    .map(Thread::getName).sorted().collect(Collectors.toList());
            assertTrue(after.threads.size() <= threads.size() + THREAD_SLACK, "live threads after " + what + ": "
                    + after.threads.size() + " (before: " + threads.size() + "); new: " + newThreads);
            assertTrue(newThreads.stream().noneMatch(n -> n.startsWith("ssh-container") || n.startsWith("sshd-")),
                    "tunnel or MINA threads left after " + what + ": " + newThreads);
        }
    }
}
