package io.github.sshcontainer.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Failures that used to surface as "connection closed", explained with the sshd setting behind them. */
class ExplainedErrorsIT {
    @TempDir
    Path dir;

    @Test
    void aConnectionDroppedBeforeTheBannerNamesMaxStartups() throws Exception {
        try (OpenSshServer sshd = OpenSshServer.startOrSkip(OpenSshServer.builder().extraConfig("MaxStartups 1:100:1"));
                Socket holder = sshd.holdUnauthenticatedConnection();
                SshConnector connector = SshConnector.create(sshd.clientOptions(dir.resolve("kh")).build())) {
            SshTunnelException e = assertThrows(SshTunnelException.class, () -> connector.connect(sshd.target()).close());
            assertEquals(Failure.CONNECT, e.failure(), e.getMessage());
            assertTrue(e.getMessage().contains("closed it before identifying itself"), e.getMessage());
            assertTrue(e.getMessage().contains("MaxStartups"), e.getMessage());
        }
    }

    @Test
    void aRefusedKeyListsWhatTheServerOfferedAndWhatWasTried() throws Exception {
        try (OpenSshServer sshd = OpenSshServer.startOrSkip(OpenSshServer.builder().passwordAuthentication(true))) {
            SshOptions options = sshd.clientOptions(dir.resolve("kh")).build().toBuilder().build();
            SshOptions wrongKey = SshOptions.builder().identity(sshd.unauthorizedKey()).knownHosts(options.knownHosts()
                    .get(0)).sshConfig(null).useAgent(false).build();
            try (SshConnector connector = SshConnector.create(wrongKey)) {
                AuthenticationException e = assertThrows(AuthenticationException.class,
                        () -> connector.connect(sshd.target()).close());
                assertTrue(e.getMessage().contains("the server offers publickey,password, we tried publickey"),
                        e.getMessage());
            }
        }
    }

    @Test
    void aServerThatIsNotSshIsAConnectFailureSayingSo() throws Exception {
        try (ServerSocket http = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> {
                while (!http.isClosed()) { // like a real HTTP server: every connection gets the answer
                    try (Socket s = http.accept(); OutputStream out = s.getOutputStream()) {
                        out.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                                .getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                    } catch (IOException closedOrGone) {
                        // the listener was closed, or the client went away first
                    }
                }
            });
            server.start();
            SshTunnelException e = connectTo(http.getLocalPort(), Duration.ofSeconds(10));
            assertEquals(Failure.CONNECT, e.failure(), e.getMessage());
            assertTrue(e.getMessage().contains("SSH server"), e.getMessage());
            assertTrue(e.getMessage().contains("HTTP/1.1 400 Bad Request"), "shows what answered: " + e.getMessage());
            http.close();
            server.join(10_000);
        }
    }

    @Test
    void aSilentServerIsAConnectFailureNotAnAuthenticationOne() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> {
                try (Socket s = silent.accept(); InputStream in = s.getInputStream()) {
                    in.transferTo(OutputStream.nullOutputStream()); // reads the client's banner, never answers
                } catch (IOException ignored) {
                    // closed by the client
                }
            });
            server.start();
            SshTunnelException e = connectTo(silent.getLocalPort(), Duration.ofSeconds(2));
            assertEquals(Failure.CONNECT, e.failure(), e.getMessage());
            assertTrue(e.getMessage().contains("did not identify itself"), e.getMessage());
            server.join(10_000);
        }
    }

    private SshTunnelException connectTo(int port, Duration authTimeout) throws Exception {
        SshOptions options = SshOptions.builder().knownHosts(dir.resolve("kh")).sshConfig(null).useAgent(false)
                .authTimeout(authTimeout).build();
        try (SshConnector connector = SshConnector.create(options)) {
            return assertThrows(SshTunnelException.class,
                    () -> connector.connect(SshTarget.parse("ssh://nobody@127.0.0.1:" + port)).close());
        }
    }
}
