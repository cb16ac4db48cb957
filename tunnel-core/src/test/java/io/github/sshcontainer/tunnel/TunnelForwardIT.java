package io.github.sshcontainer.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.UnixEchoServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Tunnel#forward(RemoteEndpoint, int)} against a real OpenSSH sshd: remote TCP addresses (a TCP echo server of
 * this test on the server's loopback) reached through local ports over the tunnel's one SSH session.
 */
class TunnelForwardIT {
    static OpenSshServer sshd;
    static UnixEchoServer unixEcho;
    static TcpEcho tcpEcho;
    @TempDir
    static Path tmp;
    static SshOptions options;

    @BeforeAll
    static void start() throws IOException {
        sshd = OpenSshServer.startOrSkip(OpenSshServer.builder());
        unixEcho = UnixEchoServer.start();
        tcpEcho = new TcpEcho();
        options = sshd.clientOptions(tmp.resolve("known_hosts")).build();
    }

    @AfterAll
    static void stop() {
        if (tcpEcho != null) {
            tcpEcho.close();
        }
        if (unixEcho != null) {
            unixEcho.close();
        }
        if (sshd != null) {
            sshd.close();
        }
    }

    static Tunnel openTunnel() throws SshTunnelException {
        return Tunnel.to(sshd.target(), RemoteEndpoint.unixSocket(unixEcho.path().toString())).options(options).open();
    }

    @Test
    void forwardsReachRemoteTcpAddressesWithoutASecondLogin() throws Exception {
        int loginsBefore = logins();
        try (Tunnel tunnel = openTunnel()) {
            Tunnel first = tunnel.forward(RemoteEndpoint.tcp("127.0.0.1", tcpEcho.port()), 0);
            Tunnel second = tunnel.forward(RemoteEndpoint.tcp("localhost", tcpEcho.port()), 0);
            InetSocketAddress a = first.localTcpAddress().orElseThrow();
            InetSocketAddress b = second.localTcpAddress().orElseThrow();
            assertTrue(a.getAddress().isLoopbackAddress(), a.toString());
            assertNotEquals(a.getPort(), b.getPort());
            assertEquals("tcp://127.0.0.1:" + a.getPort(), first.localUri().toString());
            assertEquals(RemoteEndpoint.tcp("127.0.0.1", tcpEcho.port()), first.remote());

            assertEquals("hello one", echoOver(a, "hello one"));
            assertEquals("hello two", echoOver(b, "hello two"));
            try (TunnelConnection c = first.openConnection()) {
                c.outputStream().write("in-process\n".getBytes(StandardCharsets.US_ASCII));
                assertEquals("in-process", readLine(c.inputStream()));
            }
            // the tunnel itself still works beside its forwards
            try (TunnelConnection c = tunnel.openConnection()) {
                c.outputStream().write("unix\n".getBytes(StandardCharsets.US_ASCII));
                assertEquals("unix", readLine(c.inputStream()));
            }
            assertEquals(2, first.stats().totalConnections(), first.stats().toString());
            assertEquals(1, second.stats().totalConnections(), second.stats().toString());
            // one tunnel, two forwards, four connections: one SSH login
            assertEquals(loginsBefore + 1, logins(), sshd.log());
        }
    }

    @Test
    void closingAForwardLeavesTheTunnelAndClosingTheTunnelClosesItsForwards() throws Exception {
        Tunnel kept;
        InetSocketAddress keptAddress;
        try (Tunnel tunnel = openTunnel()) {
            Tunnel dropped = tunnel.forward(RemoteEndpoint.tcp("127.0.0.1", tcpEcho.port()), 0);
            InetSocketAddress droppedAddress = dropped.localTcpAddress().orElseThrow();
            dropped.close();
            assertThrows(ConnectException.class, () -> new Socket(droppedAddress.getAddress(), droppedAddress.getPort()).close());

            kept = tunnel.forward(RemoteEndpoint.tcp("127.0.0.1", tcpEcho.port()), 0);
            keptAddress = kept.localTcpAddress().orElseThrow();
            assertEquals("still here", echoOver(keptAddress, "still here"));
        }
        assertThrows(ConnectException.class, () -> new Socket(keptAddress.getAddress(), keptAddress.getPort()).close());
        assertThrows(IOException.class, kept::openConnection);
    }

    @Test
    void aConnectionToNothingIsClosedAndTheForwardGoesOn() throws Exception {
        int nothing;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            nothing = s.getLocalPort();
        }
        try (Tunnel tunnel = openTunnel()) {
            Tunnel forward = tunnel.forward(RemoteEndpoint.tcp("127.0.0.1", nothing), 0);
            InetSocketAddress local = forward.localTcpAddress().orElseThrow();
            try (Socket s = new Socket(local.getAddress(), local.getPort())) {
                s.setSoTimeout(10_000);
                assertEquals(-1, s.getInputStream().read(), "the refused channel closes the local connection");
            }
            RemoteUnavailableException e = assertThrows(RemoteUnavailableException.class, forward::openConnection);
            assertTrue(e.getMessage().contains("127.0.0.1:" + nothing), e.getMessage());
            assertEquals(2, forward.stats().failedOpens(), forward.stats().toString());
            // and the same tunnel still forwards elsewhere
            Tunnel other = tunnel.forward(RemoteEndpoint.tcp("127.0.0.1", tcpEcho.port()), 0);
            assertEquals("after", echoOver(other.localTcpAddress().orElseThrow(), "after"));
        }
    }

    @Test
    void aForwardFollowsTheTunnelAcrossAReconnect() throws Exception {
        try (Tunnel tunnel = openTunnel()) {
            Tunnel forward = tunnel.forward(RemoteEndpoint.tcp("127.0.0.1", tcpEcho.port()), 0);
            InetSocketAddress local = forward.localTcpAddress().orElseThrow();
            assertEquals("before", echoOver(local, "before"));
            sshd.restart();
            assertEquals("after restart", echoOver(local, "after restart"));
            assertEquals(1, tunnel.stats().reconnects(), tunnel.stats().toString());
        }
    }

    @Test
    void badForwardsAreRefusedWithTheReason() throws Exception {
        try (Tunnel tunnel = openTunnel(); ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            SshTunnelException busy = assertThrows(SshTunnelException.class,
                    () -> tunnel.forward(RemoteEndpoint.tcp("127.0.0.1", tcpEcho.port()), taken.getLocalPort()));
            assertEquals(Failure.USAGE, busy.failure());
            assertTrue(busy.getMessage().contains("127.0.0.1:" + taken.getLocalPort()), busy.getMessage());

            IllegalArgumentException command = assertThrows(IllegalArgumentException.class,
                    () -> tunnel.forward(RemoteEndpoint.command("cat"), 0));
            assertTrue(command.getMessage().contains("RemoteEndpoint.command"), command.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> tunnel.forward(RemoteEndpoint.tcp("127.0.0.1", tcpEcho.port()), 70000));
            tunnel.close();
            assertThrows(IllegalStateException.class,
                    () -> tunnel.forward(RemoteEndpoint.tcp("127.0.0.1", tcpEcho.port()), 0));
        }
    }

    /** Successful public-key logins the server logged so far. */
    static int logins() {
        Matcher m = Pattern.compile("Accepted publickey for ").matcher(sshd.log());
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    static String echoOver(InetSocketAddress local, String line) throws IOException {
        try (Socket s = new Socket(local.getAddress(), local.getPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write((line + "\n").getBytes(StandardCharsets.US_ASCII));
            return readLine(s.getInputStream());
        }
    }

    static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int c; (c = in.read()) != -1 && c != '\n';) {
            sb.append((char) c);
        }
        return sb.toString();
    }

    /** A TCP echo server on 127.0.0.1 (the SSH server's loopback too), one thread per connection. */
    static final class TcpEcho implements AutoCloseable {
        private final ServerSocket server;

        TcpEcho() throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread acceptor = new Thread(this::accept, "tcp-echo-accept");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread t = new Thread(() -> echo(s), "tcp-echo");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private static void echo(Socket s) {
            try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                byte[] buf = new byte[8192];
                for (int n; (n = in.read(buf)) > 0;) {
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // the peer went away
            }
        }

        @Override
        public void close() {
            try {
                server.close();
            } catch (IOException e) {
                // closing
            }
        }
    }
}
