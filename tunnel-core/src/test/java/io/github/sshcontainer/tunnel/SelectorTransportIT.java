package io.github.sshcontainer.tunnel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import io.github.sshcontainer.tunnel.internal.SelectorTransport;
import io.github.sshcontainer.tunnel.testing.Cleanup;
import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.UnixEchoServer;
import io.github.sshcontainer.tunnel.testing.UnixSinkServer;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.core.CoreModuleProperties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The selector transport (the default; {@code -Dsshcontainer.transport=selector} is set here anyway, for the whole
 * class, which runs in its own JVM) against a real OpenSSH sshd: bulk data both ways, many short channels, a server
 * killed in the middle of a transfer, no I/O thread left behind; and MINA's NIO2 transport when asked for.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SelectorTransportIT {
    private static final String IO_THREAD = "ssh-container-io-";

    static OpenSshServer sshd;
    static UnixSinkServer sink;
    static UnixEchoServer echo;
    @TempDir
    static Path tmp;
    static Path knownHosts;
    static String previous;

    @BeforeAll
    static void start() {
        previous = System.setProperty(SelectorTransport.PROPERTY, SelectorTransport.SELECTOR);
        sshd = OpenSshServer.startOrSkip(OpenSshServer.builder());
        sink = UnixSinkServer.start();
        echo = UnixEchoServer.start();
        knownHosts = tmp.resolve("known_hosts");
        sshd.writeKnownHosts(knownHosts);
    }

    @AfterAll
    static void stop() {
        Cleanup.closeAll(echo, sink, sshd);
        if (previous == null) {
            System.clearProperty(SelectorTransport.PROPERTY);
        } else {
            System.setProperty(SelectorTransport.PROPERTY, previous);
        }
    }

    private static Tunnel inProcess(Path socket) throws SshTunnelException {
        return Tunnel.to(TunnelBehaviourIT.target(sshd), RemoteEndpoint.unixSocket(socket.toString()))
                .options(TunnelBehaviourIT.keyOptions(sshd, knownHosts).build()).inProcessOnly().open();
    }

    private static Set<Thread> ioThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(IO_THREAD))
                .filter(Thread::isAlive).collect(Collectors.toSet());
    }

    @Test
    @Order(1)
    void sixtyFourMibEachWayWithChecksums() throws Exception {
        long size = 64L << 20;
        try (Tunnel t = inProcess(sink.path())) {
            try (TunnelConnection c = t.openConnection()) {
                UnixSinkServer.Transfer up = UnixSinkServer.upload(c.outputStream(), c.inputStream(), c::shutdownOutput,
                        size, 42);
                assertArrayEquals(up.expected(), up.sha256(), "what the far end received");
            }
            try (TunnelConnection c = t.openConnection()) {
                UnixSinkServer.Transfer down = UnixSinkServer.download(c.outputStream(), c.inputStream(), size, 7);
                assertEquals(size, down.bytes());
                assertArrayEquals(down.expected(), down.sha256(), "what we received");
            }
            assertFalse(ioThreads().isEmpty(), "the selector transport is in use");
        }
    }

    @Test
    @Order(2)
    void aThousandSequentialOpenEchoClose() throws Exception {
        try (Tunnel t = inProcess(echo.path())) {
            for (int i = 0; i < 1000; i++) {
                byte[] msg = ("ping " + i + "\n").getBytes(StandardCharsets.US_ASCII);
                try (TunnelConnection c = t.openConnection()) {
                    c.outputStream().write(msg);
                    assertArrayEquals(msg, c.inputStream().readNBytes(msg.length), "echo " + i);
                }
            }
            assertEquals(1000, t.stats().totalConnections(), t.stats().toString());
            assertEquals(0, t.stats().failedOpens(), t.stats().toString());
        }
    }

    @Test
    @Order(3)
    void closingTheConnectorLeavesNoIoThread() throws Exception {
        Set<Thread> before = ioThreads();
        SshConnector connector = SshConnector.create(TunnelBehaviourIT.keyOptions(sshd, knownHosts).build());
        Set<Thread> ours = ioThreads();
        ours.removeAll(before);
        assertEquals(1, ours.size(), "one I/O thread per connector: " + ours);
        Thread io = ours.iterator().next();
        assertTrue(io.isDaemon(), "the I/O thread does not keep the JVM alive");
        ClientSession session = connector.connect(TunnelBehaviourIT.target(sshd));
        assertTrue(session.isAuthenticated());
        connector.close();
        io.join(5000);
        assertFalse(io.isAlive(), "the I/O thread ended with its connector");
        assertTrue(session.isClosed() || session.isClosing(), "the session ended with its connector");
    }

    @Test
    @Order(3)
    void localSocketsArePumpedOnTheIoThreadAndClosingOneTunnelLeavesTheOthersConnections() throws Exception {
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        try (SshConnector connector = SshConnector.create(TunnelBehaviourIT.keyOptions(sshd, knownHosts).build())) {
            Tunnel toSink = Tunnel.to(TunnelBehaviourIT.target(sshd), RemoteEndpoint.unixSocket(sink.path().toString()))
                    .connector(connector).open();
            Tunnel toEcho = Tunnel.to(TunnelBehaviourIT.target(sshd), RemoteEndpoint.unixSocket(echo.path().toString()))
                    .connector(connector).open();
            try (SocketChannel neighbour = TunnelBehaviourIT.connect(toEcho)) {
                assertEquals("before\n", TunnelBehaviourIT.echo(neighbour, "before\n"));
                try (SocketChannel c = TunnelBehaviourIT.connect(toSink)) {
                    UnixSinkServer.Transfer up = UnixSinkServer.upload(Channels.newOutputStream(c),
                            Channels.newInputStream(c), c::shutdownOutput, 16L << 20, 11);
                    assertArrayEquals(up.expected(), up.sha256(), "what the far end received through the socket");
                }
                List<String> ours = TunnelBehaviourIT.tunnelThreadsSince(before);
                assertEquals(1, ours.stream().filter(name -> name.startsWith(IO_THREAD)).count(), ours.toString());
                assertTrue(ours.stream().noneMatch(name -> name.startsWith("ssh-container-tunnel-")),
                        "two tunnels, no thread of their own: " + ours);

                toSink.close(); // releases its own local sockets on the shared I/O thread, no others
                assertEquals("after\n", TunnelBehaviourIT.echo(neighbour, "after\n"),
                        "the other tunnel's connection lives on");
            } finally {
                Cleanup.closeAll(toEcho, toSink);
            }
        }
        System.setProperty(SelectorTransport.PROPERTY, SelectorTransport.NIO2);
        try (Tunnel t = Tunnel.to(TunnelBehaviourIT.target(sshd), RemoteEndpoint.unixSocket(echo.path().toString()))
                .options(TunnelBehaviourIT.keyOptions(sshd, knownHosts).build()).open();
                SocketChannel c = TunnelBehaviourIT.connect(t)) {
            assertEquals("over nio2\n", TunnelBehaviourIT.echo(c, "over nio2\n"));
            List<String> ours = TunnelBehaviourIT.tunnelThreadsSince(before);
            assertTrue(ours.stream().anyMatch(name -> name.startsWith("ssh-container-tunnel-")),
                    "without the selector transport the tunnel has a loop thread of its own: " + ours);
        } finally {
            System.setProperty(SelectorTransport.PROPERTY, SelectorTransport.SELECTOR);
        }
        TunnelBehaviourIT.awaitTrue(() -> TunnelBehaviourIT.tunnelThreadsSince(before).stream()
                .noneMatch(name -> name.startsWith("ssh-container-")), Duration.ofSeconds(5),
                () -> "threads left after close: " + TunnelBehaviourIT.tunnelThreadsSince(before));
    }

    @Test
    @Order(3)
    void nio2IsStillThereWhenAskedForAndAnUnknownTransportIsAUsageError() throws Exception {
        System.setProperty(SelectorTransport.PROPERTY, SelectorTransport.NIO2);
        try {
            Set<Thread> before = ioThreads();
            try (Tunnel t = inProcess(echo.path()); TunnelConnection c = t.openConnection()) {
                byte[] msg = "over nio2\n".getBytes(StandardCharsets.US_ASCII);
                c.outputStream().write(msg);
                assertArrayEquals(msg, c.inputStream().readNBytes(msg.length));
                Set<Thread> now = ioThreads();
                now.removeAll(before);
                assertEquals(Set.of(), now, "no selector thread with " + SelectorTransport.NIO2);
            }
            System.setProperty(SelectorTransport.PROPERTY, "epoll");
            SshTunnelException e = assertThrows(SshTunnelException.class,
                    () -> SshConnector.create(TunnelBehaviourIT.keyOptions(sshd, knownHosts).build()));
            assertEquals(Failure.USAGE, e.failure());
            assertTrue(e.getMessage().contains("sshcontainer.transport=epoll") && e.getMessage().contains("nio2"),
                    e.getMessage());
        } finally {
            System.setProperty(SelectorTransport.PROPERTY, SelectorTransport.SELECTOR);
        }
    }

    @Test
    @Order(4)
    void refusedConnectionIsReportedClearly() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        try (SshConnector connector = SshConnector.create(TunnelBehaviourIT.keyOptions(sshd, knownHosts).build())) {
            SshTunnelException e = assertThrows(SshTunnelException.class,
                    () -> connector.connect(SshTarget.of(sshd.user(), "127.0.0.1", port)));
            assertTrue(e.getMessage().contains("connection refused"), e.getMessage());
        }
    }

    @Test
    @Order(5)
    void aConnectThatNeverCompletesFailsAfterTheIoConnectTimeout() throws Exception {
        // a listener whose accept queue is full: Linux drops further SYNs, so a connect stays pending
        try (java.net.ServerSocket full = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            java.util.List<java.nio.channels.SocketChannel> fillers = new java.util.ArrayList<>();
            SshClient client = SshClient.setUpDefaultClient();
            try {
                for (int i = 0; i < 4; i++) {
                    java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open();
                    c.configureBlocking(false);
                    c.connect(full.getLocalSocketAddress());
                    fillers.add(c);
                }
                client.setIoServiceFactoryFactory(new SelectorTransport());
                CoreModuleProperties.IO_CONNECT_TIMEOUT.set(client, Duration.ofMillis(500));
                client.start();
                long start = System.nanoTime();
                IOException e = assertThrows(IOException.class, () -> client.connect("nobody", "127.0.0.1",
                        full.getLocalPort()).verify(Duration.ofSeconds(10)));
                long millis = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                Throwable root = e;
                while (root.getCause() != null) {
                    root = root.getCause();
                }
                assertTrue(String.valueOf(e.getMessage()).contains("time-out of 500ms")
                        || root instanceof java.net.SocketTimeoutException, String.valueOf(e));
                assertTrue(millis < 5000, "failed after the 500 ms connect time-out, not the 10 s wait: " + millis);
            } finally {
                client.stop();
                for (java.nio.channels.SocketChannel c : fillers) {
                    c.close();
                }
            }
        }
    }

    /** Last: it kills the class's sshd. */
    @Test
    @Order(6)
    void sshdKilledMidTransferFailsTheReadWithAClearIOException() throws Exception {
        try (Tunnel t = inProcess(sink.path()); TunnelConnection c = t.openConnection()) {
            c.outputStream().write(UnixSinkServer.sendRequest(1L << 40, 3)); // more than will ever arrive
            InputStream in = c.inputStream();
            byte[] buf = new byte[64 * 1024];
            long total = 0;
            while (total < 8L << 20) {
                int n = in.read(buf);
                assertTrue(n > 0, "data flows before the kill");
                total += n;
            }
            sshd.kill();
            IOException e = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThrows(IOException.class,
                    () -> {
                        while (in.read(buf) >= 0) {
                            // drain what arrived before the kill
                        }
                    }), "a read after the kill fails instead of hanging");
            assertTrue(e.getMessage() != null && e.getMessage().contains("connection lost"), String.valueOf(e));
        } finally {
            sshd.restart();
        }
    }
}
