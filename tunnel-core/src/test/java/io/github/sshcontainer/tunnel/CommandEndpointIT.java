package io.github.sshcontainer.tunnel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.Requirements;
import io.github.sshcontainer.tunnel.testing.UnixEchoServer;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.channel.exception.SshChannelOpenException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RemoteEndpoint#command(String)} against a real OpenSSH sshd that refuses streamlocal forwarding: each
 * connection is an exec channel, beyond the server's {@code MaxSessions 10}.
 */
class CommandEndpointIT {
    static OpenSshServer sshd;
    static UnixEchoServer echo;
    @TempDir
    static Path tmp;
    static Path knownHosts;

    @BeforeAll
    static void start() throws IOException {
        sshd = OpenSshServer.startOrSkip(OpenSshServer.builder().allowStreamLocalForwarding(false)
                .extraConfig("MaxSessions 10"));
        echo = UnixEchoServer.start();
        knownHosts = tmp.resolve("known_hosts");
        sshd.writeKnownHosts(knownHosts);
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

    static SshOptions options() {
        return sshd.clientOptions(knownHosts).build();
    }

    static SshTarget target() {
        return sshd.target();
    }

    static Tunnel open(String command) throws SshTunnelException {
        return Tunnel.to(target(), RemoteEndpoint.command(command)).options(options()).open();
    }

    static SocketChannel connect(Tunnel t) throws IOException {
        return SocketChannel.open(UnixDomainSocketAddress.of(t.localSocket().orElseThrow()));
    }

    @Test
    void catEchoesOneMibAndHalfCloseGivesEof() throws Exception {
        try (Tunnel t = open("cat"); SocketChannel c = connect(t)) {
            byte[] data = new byte[1 << 20];
            new SplittableRandom(3).nextBytes(data);
            // the channel itself, not Channels streams: those share one lock between a blocked read and a write
            Thread writer = new Thread(() -> {
                try {
                    ByteBuffer out = ByteBuffer.wrap(data);
                    while (out.hasRemaining()) {
                        c.write(out);
                    }
                    c.shutdownOutput();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            writer.start();
            // cat answers everything, then exits on our EOF: its EOF reaches us after the last byte
            java.io.ByteArrayOutputStream received = new java.io.ByteArrayOutputStream();
            ByteBuffer in = ByteBuffer.allocate(64 * 1024);
            while (c.read(in.clear()) >= 0) {
                received.write(in.array(), 0, in.position());
            }
            byte[] back = received.toByteArray();
            writer.join(10_000);
            assertArrayEquals(data, back);
        }
    }

    @Test
    void inProcessConnectionToCat() throws Exception {
        try (Tunnel t = Tunnel.to(target(), RemoteEndpoint.command("cat")).options(options()).inProcessOnly().open();
                TunnelConnection c = t.openConnection()) {
            c.outputStream().write("ping\n".getBytes(StandardCharsets.US_ASCII));
            c.shutdownOutput();
            assertEquals("ping\n", new String(c.inputStream().readAllBytes(), StandardCharsets.US_ASCII));
        }
    }

    @Test
    void socatReachesTheUnixEchoServer() throws Exception {
        Requirements.requireExecutable("/usr/bin/socat");
        try (Tunnel t = open("socat - UNIX-CONNECT:" + echo.path()); SocketChannel c = connect(t)) {
            c.write(ByteBuffer.wrap("through socat\n".getBytes(StandardCharsets.US_ASCII)));
            byte[] got = Channels.newInputStream(c).readNBytes(14);
            assertEquals("through socat\n", new String(got, StandardCharsets.US_ASCII));
        }
    }

    @Test
    void thirtyConcurrentConnectionsBeyondMaxSessions() throws Exception {
        int n = 30;
        try (Tunnel t = open("cat")) {
            ExecutorService threads = Executors.newFixedThreadPool(n);
            List<SocketChannel> open = new ArrayList<>();
            try {
                for (int i = 0; i < n; i++) {
                    open.add(connect(t));
                }
                List<Future<String>> replies = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    SocketChannel c = open.get(i);
                    String msg = "message " + i + "\n";
                    replies.add(threads.submit(() -> {
                        c.write(ByteBuffer.wrap(msg.getBytes(StandardCharsets.US_ASCII)));
                        byte[] b = Channels.newInputStream(c).readNBytes(msg.length());
                        return new String(b, StandardCharsets.US_ASCII);
                    }));
                }
                // all 30 are open at once (each waits for its echo while the others stay open)
                for (int i = 0; i < n; i++) {
                    assertEquals("message " + i + "\n", replies.get(i).get(30, TimeUnit.SECONDS));
                }
                assertEquals(n, t.stats().openConnections());
            } finally {
                for (SocketChannel c : open) {
                    c.close();
                }
                threads.shutdownNow();
            }
        }
    }

    @Test
    void failingCommandIsAClearErrorWithItsStderr() throws Exception {
        // the tunnel's check runs the command once and reports it
        RemoteUnavailableException e = assertThrows(RemoteUnavailableException.class,
                () -> open("echo 'something went wrong' >&2; exit 3"));
        assertEquals(RemoteUnavailableException.Reason.COMMAND_FAILED, e.reason());
        assertTrue(e.getMessage().contains("exited with status 3"), e.getMessage());
        assertTrue(e.getMessage().contains("something went wrong"), e.getMessage());

        RemoteUnavailableException missing = assertThrows(RemoteUnavailableException.class,
                () -> open("/nonexistent/dial-stdio"));
        assertTrue(missing.getMessage().contains("exited with status 127"), missing.getMessage());
        assertTrue(missing.getMessage().contains("/nonexistent/dial-stdio"), missing.getMessage());

        // without the check, the error comes with the first read
        try (Tunnel t = Tunnel.to(target(), RemoteEndpoint.command("echo nope >&2; exit 3")).options(options())
                .inProcessOnly().verifyRemote(false).open(); TunnelConnection c = t.openConnection()) {
            IOException read = assertThrows(IOException.class, () -> c.inputStream().read());
            assertTrue(read.getMessage().contains("exited with status 3"), read.getMessage());
            assertTrue(read.getMessage().contains("nope"), read.getMessage());
        }
    }

    @Test
    void commandThatSucceedsSilentlyIsAnEmptyAnswer() throws Exception {
        try (Tunnel t = Tunnel.to(target(), RemoteEndpoint.command("true")).options(options()).inProcessOnly().open();
                TunnelConnection c = t.openConnection()) {
            assertEquals(-1, c.inputStream().read());
        }
    }

    /** A server with MaxSessions below the pool's first guess (10): refusals are retried on more SSH connections. */
    @Test
    void lowerMaxSessionsIsLearnedFromRefusals() throws Exception {
        try (OpenSshServer small = OpenSshServer.startOrSkip(OpenSshServer.builder().allowStreamLocalForwarding(false)
                .extraConfig("MaxSessions 3"))) {
            Path hosts = tmp.resolve("known_hosts_small");
            small.writeKnownHosts(hosts);
            SshOptions opts = SshOptions.builder().identity(small.clientKey()).knownHosts(hosts).sshConfig(null)
                    .useAgent(false).connectTimeout(Duration.ofSeconds(5)).build();
            int n = 12;
            try (Tunnel t = Tunnel.to(SshTarget.of(small.user(), small.host(), small.port()),
                    RemoteEndpoint.command("cat")).options(opts).inProcessOnly().open()) {
                List<TunnelConnection> open = new ArrayList<>();
                try {
                    for (int i = 0; i < n; i++) {
                        open.add(t.openConnection());
                    }
                    for (int i = 0; i < n; i++) {
                        byte[] msg = ("conn " + i + "\n").getBytes(StandardCharsets.US_ASCII);
                        open.get(i).outputStream().write(msg);
                        assertArrayEquals(msg, open.get(i).inputStream().readNBytes(msg.length));
                    }
                    assertEquals(n, t.stats().openConnections());
                } finally {
                    for (TunnelConnection c : open) {
                        c.close();
                    }
                }
            }
        }
    }

    /** Documents what OpenSSH does at MaxSessions: the 11th session channel on one connection fails to open. */
    @Test
    void openSshRefusesTheEleventhSessionChannel() throws Exception {
        try (SshConnector connector = SshConnector.create(options())) {
            ClientSession session = connector.connect(target());
            List<ChannelExec> execs = new ArrayList<>();
            try {
                for (int i = 0; i < 10; i++) {
                    ChannelExec exec = session.createExecChannel("sleep 30");
                    exec.open().verify(5, TimeUnit.SECONDS);
                    execs.add(exec);
                }
                ChannelExec eleventh = session.createExecChannel("sleep 30");
                IOException e = assertThrows(IOException.class, () -> eleventh.open().verify(5, TimeUnit.SECONDS));
                SshChannelOpenException open = (SshChannelOpenException) (e instanceof SshChannelOpenException ? e
                        : e.getCause());
                System.out.println("MaxSessions refusal: reason " + open.getReasonCode() + " \"" + open.getMessage()
                        + "\"");
                assertTrue(open.getReasonCode() == 1 || open.getReasonCode() == 2 || open.getReasonCode() == 4,
                        "reason " + open.getReasonCode());
            } finally {
                for (ChannelExec exec : execs) {
                    exec.close(true);
                }
                session.close(true);
            }
        }
    }

    @Test
    void streamlocalIsRefusedAsForwardingRefused() throws Exception {
        // the fallback's trigger: the socket is there and usable, the server says no
        RemoteUnavailableException e = assertThrows(RemoteUnavailableException.class,
                () -> Tunnel.to(target(), RemoteEndpoint.unixSocket(echo.path().toString())).options(options()).open());
        assertEquals(RemoteUnavailableException.Reason.FORWARDING_REFUSED, e.reason(), e.getMessage());
    }

}
