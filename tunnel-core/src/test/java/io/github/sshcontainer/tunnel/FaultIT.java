package io.github.sshcontainer.tunnel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.github.sshcontainer.tunnel.testing.Cleanup;
import io.github.sshcontainer.tunnel.testing.MiniHttp;
import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.Requirements;
import io.github.sshcontainer.tunnel.testing.UnixSinkServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults with real processes: sshd killed and restarted under 50 busy connections (checksummed, through the same
 * local socket), {@code close()} while 200 connections stream, and a private Podman API service, a private
 * containerd and a private dockerd stopped and started behind a live tunnel (a clear "daemon not answering" error,
 * then the same tunnel works again without a new SSH session).
 */
@Timeout(value = 100, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class FaultIT {
    /** How long an in-flight request may take to fail once sshd is gone (keepalive 1 s x 2, plus slack). */
    static final Duration FAILURE_BOUND = Duration.ofSeconds(10);
    /** How soon after sshd is back a new request must succeed. */
    static final Duration RECOVERY_BOUND = Duration.ofSeconds(2);

    static UnixSinkServer sink;
    /** One sshd for all tests (each key generation costs seconds on a busy machine); restarted where killed. */
    static OpenSshServer server;
    @TempDir
    static Path tmp;
    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fault-it");
        t.setDaemon(true);
        return t;
    });

    @BeforeAll
    static void start() {
        server = OpenSshServer.startOrSkip(OpenSshServer.builder().extraConfig("MaxStartups 200:30:400")
                .extraConfig("MaxSessions 300"));
        sink = UnixSinkServer.start();
    }

    @AfterAll
    static void stop() {
        if (sink != null) {
            sink.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @AfterEach
    void closeEverything() {
        if (!server.isRunning()) {
            server.restart();
        }
        threads.shutdownNow();
        Cleanup.closeReversed(cleanup);
    }

    private <T extends AutoCloseable> T closeLater(T c) {
        cleanup.add(c);
        return c;
    }

    /** What became of one request. */
    enum Outcome { OK, FAILED }

    /**
     * One {@code SEND n seed} request through the local socket: OK when all {@code n} bytes came and their SHA-256 is
     * right; FAILED when the connection ended early or with an error. A full-length answer with a wrong checksum is
     * an {@link AssertionError}: a response silently wrong.
     */
    static Outcome request(Path socket, long n, long seed, Set<SocketChannel> inFlight) {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            inFlight.add(c);
            try {
                TunnelBehaviourIT.writeFully(c, UnixSinkServer.sendRequest(n, seed));
                MessageDigest digest = MessageDigest.getInstance("SHA-256");
                ByteBuffer b = ByteBuffer.allocate(64 * 1024);
                long got = 0;
                for (int r; (r = c.read(b)) >= 0;) {
                    b.flip();
                    digest.update(b);
                    b.clear();
                    got += r;
                }
                if (got != n) {
                    return Outcome.FAILED; // ended early: the client can tell
                }
                assertArrayEquals(UnixSinkServer.expectedSha256(n, seed), digest.digest(),
                        "a complete response with wrong content (seed " + seed + ")");
                return Outcome.OK;
            } finally {
                inFlight.remove(c);
            }
        } catch (IOException e) {
            return Outcome.FAILED;
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    @org.junit.jupiter.api.Order(1)
    void sshdKilledUnderFiftyBusyConnectionsFailsThemCleanlyAndTheSameSocketRecovers() throws Exception {
        Tunnel t = closeLater(Tunnel.to(server.target(), RemoteEndpoint.unixSocket(sink.path().toString()))
                // default keepalive (15 s x 3): a killed sshd closes the TCP connection, which is noticed at once; a
                // 1 s x 2 keepalive gives false alarms here when replies queue behind 50 streams on a busy machine
                .options(server.clientOptions(tmp.resolve("kh-kill")).build())
                .open());
        Path socket = t.localSocket().orElseThrow();
        int workers = 50;
        long size = 1L << 20;
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicLong seeds = new AtomicLong();
        Set<SocketChannel> inFlight = ConcurrentHashMap.newKeySet();
        CountDownLatch allBusy = new CountDownLatch(workers);
        List<Future<?>> running = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            running.add(threads.submit(() -> {
                boolean counted = false;
                while (!stop.get()) {
                    Outcome o = request(socket, size, seeds.incrementAndGet(), inFlight);
                    (o == Outcome.OK ? ok : failed).incrementAndGet();
                    if (!counted && o == Outcome.OK) {
                        allBusy.countDown();
                        counted = true;
                    }
                }
                return null;
            }));
        }
        assertTrue(allBusy.await(60, TimeUnit.SECONDS), "each of the " + workers + " workers completed a request: "
                + ok.get() + " ok, " + failed.get() + " failed");
        assertEquals(0, failed.get(), "no failure before the fault");
        TunnelBehaviourIT.awaitTrue(() -> inFlight.size() >= workers / 2, Duration.ofSeconds(10),
                () -> "requests in flight: " + inFlight.size());

        Set<SocketChannel> caught = Set.copyOf(inFlight);
        server.kill();
        long killed = System.nanoTime();
        TunnelBehaviourIT.awaitTrue(() -> caught.stream().noneMatch(inFlight::contains), FAILURE_BOUND,
                () -> caught.stream().filter(inFlight::contains).count() + " of " + caught.size()
                        + " requests in flight when sshd died are still waiting");
        System.out.printf("FaultIT: %d in-flight requests ended %d ms after sshd was killed%n", caught.size(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed));
        int failedAtKill = failed.get();
        assertTrue(failedAtKill >= caught.size() / 2, "the requests cut off were seen as failed: " + failedAtKill);

        Thread.sleep(500); // down for a while: new requests fail (the socket still accepts, the channel open fails)
        server.restart();
        long back = System.nanoTime();
        // the SAME local socket: the tunnel was not re-created
        assertTrue(Files.exists(socket, LinkOption.NOFOLLOW_LINKS));
        int okBefore = ok.get();
        TunnelBehaviourIT.awaitTrue(() -> ok.get() > okBefore + workers, RECOVERY_BOUND.plusSeconds(20),
                () -> "requests after sshd came back: " + (ok.get() - okBefore));
        long firstOkMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - back);
        Outcome probe = request(socket, 1000, 7, inFlight);
        assertEquals(Outcome.OK, probe);
        stop.set(true);
        for (Future<?> f : running) {
            f.get(FAILURE_BOUND.toSeconds(), TimeUnit.SECONDS); // none hangs; a wrong checksum fails here
        }
        System.out.printf("FaultIT: %d ok, %d failed (cut off by the kill or refused while down); %d more ok within"
                + " %d ms of sshd's return; reconnects %d%n", ok.get(), failed.get(), workers, firstOkMs,
                t.stats().reconnects());
        assertTrue(t.stats().reconnects() >= 1, "reconnected: " + t.stats());
        // a new request right after the restart must work within the bound (the workers show it under load)
        long start = System.nanoTime();
        assertEquals(Outcome.OK, request(socket, 100, 8, inFlight));
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < RECOVERY_BOUND.toMillis(),
                "a request on the recovered tunnel");
    }

    @Test
    @org.junit.jupiter.api.Order(2)
    void recoveryWithinTwoSecondsOfSshdsReturnThroughTheSameSocket() throws Exception {
        Tunnel t = closeLater(Tunnel.to(server.target(), RemoteEndpoint.unixSocket(sink.path().toString()))
                .options(server.clientOptions(tmp.resolve("kh-back")).keepAlive(Duration.ofSeconds(1), 2).build())
                .open());
        Path socket = t.localSocket().orElseThrow();
        Set<SocketChannel> inFlight = ConcurrentHashMap.newKeySet();
        assertEquals(Outcome.OK, request(socket, 1 << 20, 1, inFlight));
        server.kill();
        assertEquals(Outcome.FAILED, assertTimeoutPreemptively(FAILURE_BOUND, () -> request(socket, 1 << 20, 2,
                inFlight)), "a request while sshd is down fails, and does not hang");
        server.restart();
        long back = System.nanoTime();
        Outcome o = Outcome.FAILED;
        while (o != Outcome.OK && System.nanoTime() - back < RECOVERY_BOUND.toNanos()) {
            o = request(socket, 1 << 20, 3, inFlight);
        }
        assertEquals(Outcome.OK, o, "a request through the same socket within " + RECOVERY_BOUND.toMillis()
                + " ms of sshd's return");
    }

    @Test
    @org.junit.jupiter.api.Order(4)
    void closeWhileTwoHundredConnectionsStreamReturnsWithinTheDrainBoundAndLeavesNothing() throws Exception {
        int n = 200;
        Duration drain = Duration.ofSeconds(1);
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        Tunnel t = Tunnel.to(server.target(), RemoteEndpoint.unixSocket(sink.path().toString()))
                .options(server.clientOptions(tmp.resolve("kh-close")).build()).drainTimeout(drain).open();
        closeLater(t);
        Path socket = t.localSocket().orElseThrow();
        AtomicLong received = new AtomicLong();
        List<Future<Outcome>> streams = new ArrayList<>();
        Set<SocketChannel> inFlight = ConcurrentHashMap.newKeySet();
        for (int i = 0; i < n; i++) {
            long seed = i;
            streams.add(threads.submit(() -> streamForever(socket, seed, received, inFlight)));
        }
        TunnelBehaviourIT.awaitTrue(() -> inFlight.size() == n && t.stats().openConnections() == n,
                Duration.ofSeconds(30), () -> inFlight.size() + " streaming, " + t.stats().openConnections() + " open");
        long mark = received.get();
        TunnelBehaviourIT.awaitTrue(() -> received.get() > mark + (16L << 20), Duration.ofSeconds(20),
                () -> "data flowing: " + (received.get() - mark));

        long started = System.nanoTime();
        assertTimeoutPreemptively(drain.plusSeconds(5), t::close);
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        System.out.printf("FaultIT: close() with %d streaming connections took %d ms (drain %d ms)%n", n, tookMs,
                drain.toMillis());
        assertTrue(tookMs < drain.plusSeconds(3).toMillis(), "close() took " + tookMs + " ms");
        for (Future<Outcome> s : streams) {
            assertEquals(Outcome.FAILED, s.get(5, TimeUnit.SECONDS), "an endless stream ends when the tunnel closes");
        }
        assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "socket removed");
        assertFalse(Files.exists(socket.getParent(), LinkOption.NOFOLLOW_LINKS), "private directory removed");
        TunnelBehaviourIT.awaitTrue(() -> TunnelBehaviourIT.tunnelThreadsSince(before).isEmpty(), Duration.ofSeconds(3),
                () -> "threads left after close: " + TunnelBehaviourIT.tunnelThreadsSince(before));
        assertEquals(0, t.stats().openConnections());
    }

    /** Asks for 1 TiB and reads until the connection ends; always FAILED (it cannot complete). */
    static Outcome streamForever(Path socket, long seed, AtomicLong received, Set<SocketChannel> inFlight) {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            TunnelBehaviourIT.writeFully(c, UnixSinkServer.sendRequest(1L << 40, seed));
            inFlight.add(c);
            ByteBuffer b = ByteBuffer.allocate(4 * 1024);
            for (int r; (r = c.read(b)) >= 0;) {
                received.addAndGet(r);
                b.clear();
                Thread.sleep(10); // stream (about 400 KB/s each), but leave the CPU to the others
            }
            return Outcome.FAILED;
        } catch (IOException e) {
            return Outcome.FAILED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Outcome.FAILED;
        }
    }

    // ------------------------------------------------------------------- a private Podman service stops and starts

    @Test
    @org.junit.jupiter.api.Order(3)
    void aPrivatePodmanServiceStoppedAndStartedBehindALiveTunnel() throws Exception {
        Requirements.requireExecutable("/usr/bin/podman");
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "sshc-pm-");
        closeLater(() -> removePrivateDir(dir));
        Path sock = dir.resolve("podman.sock");
        PrivatePodman podman = closeLater(new PrivatePodman(dir, sock));
        podman.start();
        Tunnel t = closeLater(Tunnel.to(server.target(), RemoteEndpoint.unixSocket(sock.toString()))
                .options(server.clientOptions(tmp.resolve("kh-podman")).build()).inProcessOnly().open());
        assertEquals(200, ping(t).status());

        podman.stop();
        IOException down = assertThrows(IOException.class, () -> assertTimeoutPreemptively(Duration.ofSeconds(15),
                () -> ping(t)));
        String m = String.valueOf(down.getMessage());
        System.out.println("FaultIT: with the Podman service stopped: " + down);
        assertTrue(down instanceof RemoteUnavailableException, down.toString());
        assertTrue(m.contains(sock.toString()) && (m.contains("is the daemon running") || m.contains("not accepting")),
                "the message says the daemon is not answering: " + m);

        podman.start();
        assertEquals(200, ping(t).status(), "the same tunnel works again");
        assertEquals(0, t.stats().reconnects(), "the SSH session was kept: " + t.stats());
    }

    static MiniHttp.Response ping(Tunnel t) throws IOException {
        return get(t, "/v4.0.0/libpod/_ping");
    }

    /** One HTTP/1.1 GET through a new connection of {@code t}. */
    static MiniHttp.Response get(Tunnel t, String path) throws IOException {
        try (TunnelConnection c = t.openConnection()) {
            return MiniHttp.over(c.inputStream(), c.outputStream()).getAndClose(path);
        }
    }

    /** {@code podman system service} with its own root, runroot, tmpdir and socket: never the shared service. */
    static final class PrivatePodman extends PrivateDaemon {
        PrivatePodman(Path dir, Path sock) {
            super("podman service", dir, sock, "podman.log", 20, 10);
        }

        @Override
        Process launch() throws IOException {
            return new ProcessBuilder("podman", "--root", dir.resolve("root").toString(), "--runroot",
                    dir.resolve("run").toString(), "--tmpdir", dir.resolve("tmp").toString(), "system", "service",
                    "--time=0", "unix://" + sock).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("podman.log").toFile()).start();
        }

        @Override
        boolean answers(SocketChannel c) throws IOException {
            return MiniHttp.over(c, c).getAndClose("/v4.0.0/libpod/_ping").status() == 200;
        }
    }

    /**
     * A daemon of the test's own, in its own directory, that a test stops and starts: how to launch it, and how to
     * tell it answers on its socket. Shared: waiting until it answers (or failing with its log), and stopping it.
     */
    abstract static class PrivateDaemon implements AutoCloseable {
        final Path dir;
        final Path sock;
        private final String name;
        private final String log;
        private final int startSeconds;
        private final int stopSeconds;
        Process process;

        PrivateDaemon(String name, Path dir, Path sock, String log, int startSeconds, int stopSeconds) {
            this.name = name;
            this.dir = dir;
            this.sock = sock;
            this.log = log;
            this.startSeconds = startSeconds;
            this.stopSeconds = stopSeconds;
        }

        /** Starts the daemon's process. */
        abstract Process launch() throws IOException;

        /** Whether the daemon answers on {@code c}; an IOException means not yet. */
        abstract boolean answers(SocketChannel c) throws IOException;

        /** Launches the daemon and waits until it answers on its socket. */
        void start() throws Exception {
            process = launch();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(startSeconds);
            while (true) {
                try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
                    if (answers(c)) {
                        return;
                    }
                } catch (IOException notYet) {
                    // starting
                }
                if (System.nanoTime() > deadline || !process.isAlive()) {
                    throw new IllegalStateException("private " + name + " did not start: "
                            + Files.readString(dir.resolve(log)));
                }
                Thread.sleep(100);
            }
        }

        /** SIGTERM, then waits for the daemon to exit (SIGKILL if it does not). */
        void stop() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(stopSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }

        @Override
        public void close() throws Exception {
            if (process != null) {
                stop();
            }
        }
    }

    // ----------------------------------------------------------------- a private containerd stops and starts

    @Test
    @org.junit.jupiter.api.Order(5)
    void aPrivateContainerdStoppedAndStartedBehindALiveTunnel() throws Exception {
        Requirements.requireExecutable("/usr/bin/containerd");
        Requirements.require("root".equals(System.getProperty("user.name")), "a private containerd needs root");
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "sshc-ctd-");
        closeLater(() -> removePrivateDir(dir));
        Path sock = dir.resolve("containerd.sock");
        PrivateContainerd containerd = closeLater(new PrivateContainerd(dir, sock));
        containerd.start();
        Tunnel t = closeLater(Tunnel.to(server.target(), RemoteEndpoint.unixSocket(sock.toString()))
                .options(server.clientOptions(tmp.resolve("kh-containerd")).build()).inProcessOnly().open());
        System.out.println("FaultIT: private containerd through the tunnel: " + http2(t));

        containerd.stop();
        IOException down = assertThrows(IOException.class, () -> assertTimeoutPreemptively(Duration.ofSeconds(15),
                () -> http2(t)));
        String m = String.valueOf(down.getMessage());
        System.out.println("FaultIT: with containerd stopped (socket " + (Files.exists(sock, LinkOption.NOFOLLOW_LINKS)
                ? "left behind" : "removed") + "): " + down);
        assertTrue(down instanceof RemoteUnavailableException, down.toString());
        RemoteUnavailableException.Reason reason = ((RemoteUnavailableException) down).reason();
        assertTrue(reason == RemoteUnavailableException.Reason.MISSING
                || reason == RemoteUnavailableException.Reason.FORWARDING_REFUSED, "reason " + reason);
        assertTrue(m.contains(sock.toString()) && (m.contains("is the daemon running") || m.contains("not accepting")),
                "the message says the daemon is not answering: " + m);

        containerd.start();
        System.out.println("FaultIT: containerd restarted, the same tunnel: " + http2(t));
        assertEquals(0, t.stats().reconnects(), "the SSH session was kept: " + t.stats());
        assertTrue(t.stats().failedOpens() >= 1, "the open while containerd was down was counted: " + t.stats());
    }

    /** The HTTP/2 exchange below through a new connection of {@code t}. */
    static String http2(Tunnel t) throws IOException {
        try (TunnelConnection c = t.openConnection()) {
            return http2(c.inputStream(), c.outputStream());
        }
    }

    /**
     * Checks at the byte level that an HTTP/2 server (containerd's gRPC) answers, without a gRPC client (tunnel-core
     * does not depend on one): sends the client connection preface, an empty SETTINGS frame and a PING; expects the
     * server's first frame to be SETTINGS (RFC 9113 §3.4) and a PING ACK with the same 8 bytes (§6.7).
     */
    static String http2(java.io.InputStream in, java.io.OutputStream out) throws IOException {
        byte[] payload = "sshc-png".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer hello = ByteBuffer.allocate(24 + 9 + 9 + 8);
        hello.put("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        hello.put(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0}); // SETTINGS, no parameters
        hello.put(new byte[] {0, 0, 8, 6, 0, 0, 0, 0, 0}).put(payload); // PING
        out.write(hello.array());
        out.flush();
        java.io.DataInputStream frames = new java.io.DataInputStream(in);
        String first = null;
        for (int i = 0; i < 20; i++) {
            byte[] header = new byte[9];
            frames.readFully(header);
            int length = (header[0] & 0xff) << 16 | (header[1] & 0xff) << 8 | header[2] & 0xff;
            int type = header[3];
            int flags = header[4];
            if (length > 16_384) {
                throw new IOException("not HTTP/2: a frame of " + length + " bytes (type " + type + ")");
            }
            byte[] body = new byte[length];
            frames.readFully(body);
            if (first == null) {
                if (type != 4 || (flags & 1) != 0) {
                    throw new IOException("not an HTTP/2 server: its first frame is type " + type + " flags " + flags
                            + ", not SETTINGS");
                }
                first = "SETTINGS with " + length / 6 + " parameters";
            } else if (type == 6 && (flags & 1) != 0) {
                if (!java.util.Arrays.equals(payload, body)) {
                    throw new IOException("PING ACK with other data: " + text(body));
                }
                return first + ", PING answered";
            }
        }
        throw new IOException("no PING ACK in 20 frames");
    }

    /**
     * {@code containerd} with its own config, root, state, gRPC and ttrpc sockets (debug and metrics listeners off,
     * the CRI and opt plugins disabled), so it never meets the shared daemon on {@code /run/containerd}.
     */
    static final class PrivateContainerd extends PrivateDaemon {
        final Path config;

        PrivateContainerd(Path dir, Path sock) throws IOException {
            super("containerd", dir, sock, "containerd.log", 20, 10);
            this.config = dir.resolve("config.toml");
            Files.writeString(config, String.join("\n",
                    "version = 2",
                    "root = " + toml(dir.resolve("root")),
                    "state = " + toml(dir.resolve("state")),
                    "disabled_plugins = [\"io.containerd.grpc.v1.cri\", \"io.containerd.internal.v1.opt\","
                            + " \"io.containerd.snapshotter.v1.aufs\", \"io.containerd.snapshotter.v1.btrfs\","
                            + " \"io.containerd.snapshotter.v1.zfs\", \"io.containerd.snapshotter.v1.devmapper\"]",
                    "[grpc]",
                    "  address = " + toml(sock),
                    "[ttrpc]",
                    "  address = " + toml(Path.of(sock + ".ttrpc")),
                    "[debug]",
                    "  address = \"\"",
                    "[metrics]",
                    "  address = \"\"",
                    ""));
        }

        static String toml(Path p) {
            return "\"" + p.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        }

        @Override
        Process launch() throws IOException {
            return new ProcessBuilder("containerd", "--config", config.toString(), "--address", sock.toString(),
                    "--root", dir.resolve("root").toString(), "--state", dir.resolve("state").toString())
                    .directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("containerd.log").toFile())).start();
        }

        @Override
        boolean answers(SocketChannel c) throws IOException {
            http2(java.nio.channels.Channels.newInputStream(c), java.nio.channels.Channels.newOutputStream(c));
            return true;
        }
    }

    // ------------------------------------------------------------------- a private dockerd stops and starts

    @Test
    @org.junit.jupiter.api.Order(6)
    void aPrivateDockerdStoppedAndStartedBehindALiveTunnel() throws Exception {
        Requirements.require(PrivateDockerd.EXECUTABLE != null, "no dockerd executable on the PATH, in /usr/sbin or"
                + " in /usr/bin");
        Requirements.require("root".equals(System.getProperty("user.name")), "a private dockerd needs root");
        // a private dockerd uses the shared containerd (in a namespace of its own); ci/start-services.sh starts it
        Requirements.requireUnixSocket(PrivateDockerd.CONTAINERD);
        boolean sharedBridge = Files.exists(Path.of("/sys/class/net/docker0"));
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "sshc-dk-");
        closeLater(() -> removePrivateDir(dir));
        Path sock = dir.resolve("docker.sock");
        PrivateDockerd dockerd = closeLater(new PrivateDockerd(dir, sock));
        dockerd.start();
        Tunnel t = closeLater(Tunnel.to(server.target(), RemoteEndpoint.unixSocket(sock.toString()))
                .options(server.clientOptions(tmp.resolve("kh-dockerd")).build()).inProcessOnly().open());
        MiniHttp.Response up = get(t, "/_ping");
        assertEquals(200, up.status());
        assertEquals("OK", up.bodyText(), "dockerd's answer to /_ping");

        dockerd.stop();
        IOException down = assertThrows(IOException.class, () -> assertTimeoutPreemptively(Duration.ofSeconds(15),
                () -> get(t, "/_ping")));
        String m = String.valueOf(down.getMessage());
        System.out.println("FaultIT: with dockerd stopped (socket " + (Files.exists(sock, LinkOption.NOFOLLOW_LINKS)
                ? "left behind" : "removed") + "): " + down);
        assertTrue(down instanceof RemoteUnavailableException, down.toString());
        RemoteUnavailableException.Reason reason = ((RemoteUnavailableException) down).reason();
        assertTrue(reason == RemoteUnavailableException.Reason.MISSING
                || reason == RemoteUnavailableException.Reason.FORWARDING_REFUSED, "reason " + reason);
        assertTrue(m.contains(sock.toString()) && (m.contains("is the daemon running") || m.contains("not accepting")),
                "the message says the daemon is not answering: " + m);

        dockerd.start();
        assertEquals(200, get(t, "/_ping").status(), "the same tunnel works again");
        assertEquals(0, t.stats().reconnects(), "the SSH session was kept: " + t.stats());
        assertTrue(t.stats().failedOpens() >= 1, "the open while dockerd was down was counted: " + t.stats());
        assertEquals(sharedBridge, Files.exists(Path.of("/sys/class/net/docker0")),
                "the shared dockerd's bridge docker0 is left as it was");
    }

    /**
     * {@code dockerd} with its own socket, data root, exec root, pidfile and an empty config file (so
     * {@code /etc/docker/daemon.json} is not read), no bridge and no iptables rules. dockerd 20.10 given no
     * {@code --containerd} attaches to the system containerd in the shared dockerd's namespace {@code moby}; so it is
     * pointed at that containerd explicitly, in a namespace of its own: it never meets the shared dockerd's containers.
     */
    static final class PrivateDockerd extends PrivateDaemon {
        static final Path CONTAINERD = Path.of("/run/containerd/containerd.sock");
        /** dockerd's absolute path (Debian installs it in /usr/sbin, Docker's packages in /usr/bin), or null. */
        static final String EXECUTABLE = find("dockerd");
        final Path config;
        final String namespace;

        PrivateDockerd(Path dir, Path sock) throws IOException {
            // stop waits up to 20 s: dockerd removes its socket and pidfile on the way out
            super("dockerd", dir, sock, "dockerd.log", 30, 20);
            this.config = Files.writeString(dir.resolve("daemon.json"), "{}\n");
            this.namespace = "sshc-" + dir.getFileName().toString().replaceAll("[^A-Za-z0-9-]", "-").toLowerCase();
        }

        static String find(String name) {
            List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
            dirs.addAll(List.of("/usr/sbin", "/usr/bin"));
            for (String d : dirs) {
                Path p = Path.of(d.isEmpty() ? "/" : d, name);
                if (!d.isEmpty() && Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return p.toString();
                }
            }
            return null;
        }

        @Override
        Process launch() throws IOException {
            // in a network namespace of its own: with --bridge=none dockerd deletes the default bridge (docker0) it
            // finds, which here would be the shared dockerd's; unshare execs dockerd, so destroy() still reaches it
            return new ProcessBuilder("unshare", "--net", "--", EXECUTABLE, "-H", "unix://" + sock, "--data-root",
                    dir.resolve("root").toString(), "--exec-root", dir.resolve("exec").toString(), "--pidfile",
                    dir.resolve("docker.pid").toString(), "--config-file", config.toString(), "--bridge=none",
                    "--iptables=false", "--ip6tables=false", "--containerd=" + CONTAINERD,
                    "--containerd-namespace=" + namespace, "--containerd-plugins-namespace=" + namespace + "-plugins",
                    "--log-level=warn")
                    .directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("dockerd.log").toFile())).start();
        }

        @Override
        boolean answers(SocketChannel c) throws IOException {
            return MiniHttp.over(c, c).getAndClose("/_ping").status() == 200;
        }
    }

    /**
     * Deletes a private daemon's directory. Podman's storage leaves {@code root/overlay} bind-mounted on itself after
     * the service exits, which {@code rm -rf} cannot remove: unmount what is mounted below {@code dir} first (only
     * there), deepest first.
     */
    static void removePrivateDir(Path dir) throws Exception {
        List<String> mounts = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
            String point = line.split(" ")[1].replace("\\040", " ");
            if (point.startsWith(dir + "/")) {
                mounts.add(point);
            }
        }
        mounts.sort(java.util.Comparator.comparingInt(String::length).reversed());
        for (String point : mounts) {
            new ProcessBuilder("umount", point).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
        }
        new ProcessBuilder("rm", "-rf", dir.toString()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            System.err.println("FaultIT: could not remove " + dir);
        }
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
