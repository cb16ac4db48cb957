package io.github.sshcontainer.tunnel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.github.sshcontainer.tunnel.internal.ChannelEvents;
import io.github.sshcontainer.tunnel.internal.ForwardingChannel;
import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.UnixEchoServer;
import io.github.sshcontainer.tunnel.testing.UnixSinkServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tunnel against a real OpenSSH sshd, to unix sockets served by this test. */
class TunnelIT {
    static OpenSshServer sshd;
    static UnixEchoServer echo;
    static UnixSinkServer sink;
    @TempDir
    static Path tmp;
    static Path knownHosts;

    @BeforeAll
    static void start() throws IOException {
        sshd = OpenSshServer.startOrSkip(OpenSshServer.builder());
        echo = UnixEchoServer.start();
        sink = UnixSinkServer.start();
        knownHosts = tmp.resolve("known_hosts");
        sshd.writeKnownHosts(knownHosts);
    }

    @AfterAll
    static void stop() {
        if (echo != null) {
            echo.close();
        }
        if (sink != null) {
            sink.close();
        }
        if (sshd != null) {
            sshd.close();
        }
    }

    static SshOptions.Builder options(Path key) {
        return SshOptions.builder().identity(key).knownHosts(knownHosts).sshConfig(null).useAgent(false)
                .connectTimeout(Duration.ofSeconds(5)).keepAlive(Duration.ofSeconds(2), 2);
    }

    static SshTarget target() {
        return sshd.target();
    }

    static Tunnel open(RemoteEndpoint remote) throws SshTunnelException {
        return Tunnel.to(target(), remote).options(options(sshd.clientKey()).build()).open();
    }

    static SocketChannel connect(Tunnel t) throws IOException {
        return SocketChannel.open(UnixDomainSocketAddress.of(t.localSocket().orElseThrow()));
    }

    static byte[] readFully(InputStream in, int n) throws IOException {
        byte[] b = in.readNBytes(n);
        assertEquals(n, b.length, "stream ended early");
        return b;
    }

    @Test
    void roundTripThroughAPrivateLocalSocket() throws Exception {
        try (Tunnel t = open(RemoteEndpoint.unixSocket(echo.path().toString()))) {
            Path sock = t.localSocket().orElseThrow();
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock.getParent())));
            assertEquals("unix://" + sock, t.localUri().toString());
            try (SocketChannel c = connect(t)) {
                c.write(ByteBuffer.wrap("hello\n".getBytes(StandardCharsets.US_ASCII)));
                assertEquals("hello\n", new String(readFully(Channels.newInputStream(c), 6), StandardCharsets.US_ASCII));
            }
            assertTrue(t.stats().bytesToRemote() >= 6);
            t.close();
            assertFalse(Files.exists(sock, LinkOption.NOFOLLOW_LINKS), "socket file removed on close");
            assertFalse(Files.exists(sock.getParent()), "private directory removed on close");
        }
    }

    @Test
    void halfClosePassesThroughBothWays() throws Exception {
        try (Tunnel t = open(RemoteEndpoint.unixSocket(echo.path().toString()))) {
            // many times: the answer and the EOF usually arrive in one SSH read, and the answer (held to be written
            // to the local socket in one go with the rest of that read) must still reach it before the EOF
            for (int i = 0; i < 100; i++) {
                try (SocketChannel c = connect(t)) {
                    c.write(ByteBuffer.wrap(("last words " + i).getBytes(StandardCharsets.US_ASCII)));
                    c.shutdownOutput();
                    // the echo server sees our EOF, answers, then half-closes: we read everything, then EOF
                    byte[] all = Channels.newInputStream(c).readAllBytes();
                    assertEquals("last words " + i, new String(all, StandardCharsets.US_ASCII));
                }
            }
        }
    }

    @Test
    void sixtyFourMibEachWayWithChecksums() throws Exception {
        long size = 64L << 20;
        try (Tunnel t = open(RemoteEndpoint.unixSocket(sink.path().toString()))) {
            // upload: we send, the far end checksums
            try (SocketChannel c = connect(t)) {
                UnixSinkServer.Transfer up = UnixSinkServer.upload(Channels.newOutputStream(c),
                        Channels.newInputStream(c), c::shutdownOutput, size, 42);
                assertArrayEquals(up.expected(), up.sha256());
            }
            // download: the far end sends, we checksum
            try (SocketChannel c = connect(t)) {
                UnixSinkServer.Transfer down = UnixSinkServer.download(Channels.newOutputStream(c),
                        Channels.newInputStream(c), size, 7);
                assertEquals(size, down.bytes());
                assertArrayEquals(down.expected(), down.sha256());
            }
        }
    }

    @Test
    void aLocalReaderThatFallsBehindStillGetsEveryByteInOrder() throws Exception {
        // the local socket fills up: what one SSH read delivered is queued and flushed when the socket drains, and the
        // SSH window reopens only for what reached it
        long size = 24L << 20;
        try (Tunnel t = open(RemoteEndpoint.unixSocket(sink.path().toString())); SocketChannel c = connect(t)) {
            Channels.newOutputStream(c).write(UnixSinkServer.sendRequest(size, 11));
            MessageDigest got = MessageDigest.getInstance("SHA-256");
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            long total = 0;
            long slowUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
            for (int n; (n = c.read(buf.clear().limit(System.nanoTime() < slowUntil ? 512 : buf.capacity()))) >= 0;) {
                got.update(buf.flip());
                total += n;
                if (System.nanoTime() < slowUntil) {
                    Thread.sleep(2); // much slower than the tunnel delivers: its writes to this socket stall
                }
            }
            assertEquals(size, total);
            assertArrayEquals(UnixSinkServer.expectedSha256(size, 11), got.digest());
        }
    }

    @Test
    void twoHundredConcurrentConnections() throws Exception {
        int n = 200;
        try (Tunnel t = open(RemoteEndpoint.unixSocket(echo.path().toString()))) {
            ExecutorService pool = Executors.newFixedThreadPool(n);
            try {
                List<SocketChannel> open = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    open.add(connect(t));
                }
                List<Future<String>> replies = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    SocketChannel c = open.get(i);
                    String msg = "message " + i + "\n";
                    replies.add(pool.submit(() -> {
                        c.write(ByteBuffer.wrap(msg.getBytes(StandardCharsets.US_ASCII)));
                        return new String(readFully(Channels.newInputStream(c), msg.length()), StandardCharsets.US_ASCII);
                    }));
                }
                for (int i = 0; i < n; i++) {
                    assertEquals("message " + i + "\n", replies.get(i).get());
                }
                assertEquals(n, t.stats().openConnections());
                for (SocketChannel c : open) {
                    c.close();
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void inProcessConnectionsNeedNoFileAndNoPort() throws Exception {
        try (Tunnel t = Tunnel.to(target(), RemoteEndpoint.unixSocket(echo.path().toString()))
                .options(options(sshd.clientKey()).build()).inProcessOnly().open()) {
            assertTrue(t.localSocket().isEmpty());
            assertTrue(t.localTcpAddress().isEmpty());
            assertThrows(IllegalStateException.class, t::localUri);
            try (TunnelConnection c = t.openConnection()) {
                byte[] data = new byte[3 << 20];
                new SplittableRandom(3).nextBytes(data);
                Future<byte[]> back = Executors.newSingleThreadExecutor().submit(() -> readFully(c.inputStream(), data.length));
                c.outputStream().write(data);
                c.shutdownOutput();
                assertArrayEquals(data, back.get());
                assertEquals(-1, c.inputStream().read(), "EOF after the echo server half-closed");
            }
        }
    }

    @Test
    void loopbackTcpPortOnlyWhenAskedFor() throws Exception {
        try (Tunnel t = Tunnel.to(target(), RemoteEndpoint.unixSocket(echo.path().toString()))
                .options(options(sshd.clientKey()).build()).localTcp(0).open()) {
            InetSocketAddress a = t.localTcpAddress().orElseThrow();
            assertTrue(a.getAddress().isLoopbackAddress());
            assertTrue(t.localSocket().isEmpty());
            assertEquals("tcp://127.0.0.1:" + a.getPort(), t.localUri().toString());
            try (Socket s = new Socket(a.getAddress(), a.getPort())) {
                s.getOutputStream().write("tcp\n".getBytes(StandardCharsets.US_ASCII));
                assertEquals("tcp\n", new String(readFully(s.getInputStream(), 4), StandardCharsets.US_ASCII));
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Tunnel.to(target(), RemoteEndpoint.unixSocket("/x"))
                .localTcp(java.net.InetAddress.getByName("0.0.0.0"), 0));
    }

    @Test
    void directTcpipReachesARemoteTcpPort() throws Exception {
        // the remote TCP service here is sshd itself: its banner proves the bytes came from the far side
        try (Tunnel t = Tunnel.to(target(), RemoteEndpoint.tcp("127.0.0.1", sshd.port()))
                .options(options(sshd.clientKey()).build()).inProcessOnly().open();
                TunnelConnection c = t.openConnection()) {
            byte[] banner = readFully(c.inputStream(), 8);
            assertEquals("SSH-2.0-", new String(banner, StandardCharsets.US_ASCII));
        }
    }

    @Test
    void missingRemoteSocketIsATypedErrorSayingSo() {
        RemoteUnavailableException e = assertThrows(RemoteUnavailableException.class,
                () -> open(RemoteEndpoint.unixSocket("/run/nothing-here/missing.sock")));
        assertEquals(Failure.REMOTE_UNAVAILABLE, e.failure());
        assertEquals(2, e.reasonCode());
        assertTrue(e.getMessage().contains("/run/nothing-here/missing.sock"), e.getMessage());
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void forwardingProhibitedByTheServerIsATypedError() throws Exception {
        try (OpenSshServer strict = OpenSshServer.builder().allowStreamLocalForwarding(false).start()) {
            Path kh = tmp.resolve("kh-strict");
            strict.writeKnownHosts(kh);
            SshOptions o = SshOptions.builder().identity(strict.clientKey()).knownHosts(kh).sshConfig(null)
                    .useAgent(false).build();
            RemoteUnavailableException e = assertThrows(RemoteUnavailableException.class,
                    () -> Tunnel.to(SshTarget.of(strict.user(), strict.host(), strict.port()),
                            RemoteEndpoint.unixSocket(echo.path().toString())).options(o).open());
            // OpenSSH answers a forbidden streamlocal open like a failed connect (reason 2, "open failed"); the
            // remote check finds the socket usable, so the message points at sshd's configuration
            assertEquals(2, e.reasonCode());
            assertTrue(e.getMessage().contains("AllowStreamLocalForwarding no"), e.getMessage());
            assertTrue(e.getMessage().contains("this user may use it"), e.getMessage());
        }
    }

    @Test
    void aChannelTheServerRefusesReportsNoCloseToItsConnection() throws Exception {
        // the opener retries a refused channel on another session with the same connection: a close reported for the
        // refused one (MINA closes it as the refusal arrives, maybe before the opener's listener is added) made that
        // connection look lost although its retry opened fine
        try (OpenSshServer strict = OpenSshServer.builder().allowStreamLocalForwarding(false).start();
                SshConnector connector = SshConnector.create(SshOptions.builder().identity(strict.clientKey())
                        .knownHosts(writeKnownHosts(strict)).sshConfig(null).useAgent(false).build())) {
            org.apache.sshd.client.session.ClientSession session = connector.connect(
                    SshTarget.of(strict.user(), strict.host(), strict.port()));
            java.util.concurrent.atomic.AtomicInteger closes = new java.util.concurrent.atomic.AtomicInteger();
            ForwardingChannel channel = new ForwardingChannel(RemoteEndpoint.unixSocket(echo.path().toString()));
            channel.setEvents(new ChannelEvents() {
                @Override
                public void bind(ForwardingChannel c) {
                }

                @Override
                public void onData(byte[] data, int off, int len) {
                }

                @Override
                public void onRemoteEof() {
                }

                @Override
                public void onClosed(boolean graceful) {
                    closes.incrementAndGet();
                }
            });
            java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
            channel.addCloseFutureListener(f -> closed.countDown());
            session.getService(org.apache.sshd.common.session.ConnectionService.class).registerChannel(channel);
            org.apache.sshd.client.future.OpenFuture opening = channel.open();
            assertTrue(opening.await(10, TimeUnit.SECONDS));
            assertFalse(opening.isOpened(), "sshd with AllowStreamLocalForwarding no should refuse the channel");
            assertTrue(closed.await(5, TimeUnit.SECONDS), "MINA closes a refused channel");
            Thread.sleep(200); // nothing arrives later either
            assertEquals(0, closes.get(), "a refused channel reported a close to its connection");
        }
    }

    private static Path writeKnownHosts(OpenSshServer server) throws IOException {
        Path kh = Files.createTempFile(tmp, "kh", "");
        server.writeKnownHosts(kh);
        return kh;
    }

    @Test
    void unknownHostKeyIsRefusedWithFingerprint() throws Exception {
        Path empty = tmp.resolve("kh-empty");
        Files.writeString(empty, "");
        SshOptions o = options(sshd.clientKey()).knownHosts(empty).build();
        HostKeyException e = assertThrows(HostKeyException.class,
                () -> Tunnel.to(target(), RemoteEndpoint.unixSocket(echo.path().toString())).options(o).open());
        assertEquals(Failure.HOST_KEY, e.failure());
        assertTrue(e.getMessage().contains("[127.0.0.1]:" + sshd.port()), e.getMessage());
        assertTrue(e.getMessage().contains("SHA256:"), e.getMessage());
        assertEquals("ssh-ed25519", e.keyType());
        assertEquals("", Files.readString(empty), "strict never writes known_hosts");
    }

    @Test
    void acceptNewAddsTheKeyThenTrustsIt() throws Exception {
        Path fresh = tmp.resolve("kh-new");
        SshOptions o = options(sshd.clientKey()).knownHosts(fresh).hostKeyPolicy(HostKeyPolicy.ACCEPT_NEW).build();
        try (Tunnel t = Tunnel.to(target(), RemoteEndpoint.unixSocket(echo.path().toString())).options(o).open()) {
            assertTrue(Files.readString(fresh).startsWith("[127.0.0.1]:" + sshd.port() + " ssh-ed25519 "));
        }
        SshOptions strictNow = options(sshd.clientKey()).knownHosts(fresh).build();
        try (Tunnel t = Tunnel.to(target(), RemoteEndpoint.unixSocket(echo.path().toString())).options(strictNow).open()) {
            assertEquals(0, t.stats().failedOpens());
        }
    }

    @Test
    void wrongKeyIsAnAuthenticationError() {
        AuthenticationException e = assertThrows(AuthenticationException.class,
                () -> Tunnel.to(target(), RemoteEndpoint.unixSocket(echo.path().toString()))
                        .options(options(sshd.unauthorizedKey()).build()).open());
        assertEquals(Failure.AUTHENTICATION, e.failure());
        assertTrue(e.getMessage().contains(sshd.user() + "@127.0.0.1:" + sshd.port()), e.getMessage());
    }

    @Test
    void encryptedKeysInPemAndOpenSshFormatWithPassphrase() throws Exception {
        for (Path key : List.of(sshd.clientKeyPemEncrypted(), sshd.clientKeyOpenSshEncrypted())) {
            SshOptions right = options(key).passphraseProvider(PassphraseProvider.of(OpenSshServer.KEY_PASSPHRASE)).build();
            try (Tunnel t = Tunnel.to(target(), RemoteEndpoint.unixSocket(echo.path().toString())).options(right).open()) {
                assertEquals(0, t.stats().failedOpens());
            }
            SshOptions wrong = options(key).passphraseProvider(PassphraseProvider.of("wrong")).build();
            AuthenticationException e = assertThrows(AuthenticationException.class,
                    () -> Tunnel.to(target(), RemoteEndpoint.unixSocket(echo.path().toString())).options(wrong).open());
            assertTrue(e.getMessage().contains("passphrase"), e.getMessage());
        }
    }

    @Test
    void survivesSshdRestartOnTheSameLocalSocket() throws Exception {
        try (OpenSshServer own = OpenSshServer.builder().start()) {
            Path kh = tmp.resolve("kh-restart");
            own.writeKnownHosts(kh);
            SshOptions o = SshOptions.builder().identity(own.clientKey()).knownHosts(kh).sshConfig(null).useAgent(false)
                    .keepAlive(Duration.ofSeconds(1), 2).build();
            try (Tunnel t = Tunnel.to(SshTarget.of(own.user(), own.host(), own.port()),
                    RemoteEndpoint.unixSocket(sink.path().toString())).options(o).open()) {
                Path sock = t.localSocket().orElseThrow();
                SocketChannel midStream = connect(t);
                Channels.newOutputStream(midStream).write(UnixSinkServer.sendRequest(1L << 40, 1));
                InputStream in = Channels.newInputStream(midStream);
                readFully(in, 1 << 20);
                own.kill();
                assertTimeoutPreemptively(Duration.ofSeconds(15), () -> {
                    byte[] buf = new byte[65536];
                    try {
                        while (in.read(buf) >= 0) {
                            // drain until the tunnel drops the connection
                        }
                    } catch (IOException expected) {
                        // an IOException is as good as EOF here: the connection ended
                    }
                });
                midStream.close();
                own.restart();
                assertTimeoutPreemptively(Duration.ofSeconds(15), () -> {
                    try (SocketChannel again = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
                        Channels.newOutputStream(again).write(UnixSinkServer.sendRequest(1000, 5));
                        byte[] got = Channels.newInputStream(again).readAllBytes();
                        assertArrayEquals(UnixSinkServer.expectedBytes(1000, 5), got);
                    }
                });
                assertEquals(1, t.stats().reconnects());
            }
        }
    }
}
