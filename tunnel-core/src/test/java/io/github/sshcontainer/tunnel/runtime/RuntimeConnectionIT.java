package io.github.sshcontainer.tunnel.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.github.sshcontainer.tunnel.RemoteEndpoint;
import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.UnixEchoServer;
import io.github.sshcontainer.tunnel.testing.UnixSinkServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SPI's owner object over a real sshd: ready client, closing order, readiness failure. */
class RuntimeConnectionIT {
    static OpenSshServer sshd;
    static UnixEchoServer echo;
    static UnixSinkServer notEcho;
    @TempDir
    static Path tmp;
    static SshOptions options;
    static SshTarget target;

    @BeforeAll
    static void start() {
        sshd = OpenSshServer.startOrSkip(OpenSshServer.builder());
        echo = UnixEchoServer.start();
        notEcho = UnixSinkServer.start();
        Path kh = tmp.resolve("known_hosts");
        sshd.writeKnownHosts(kh);
        options = SshOptions.builder().identity(sshd.clientKey()).knownHosts(kh).sshConfig(null).useAgent(false).build();
        target = SshTarget.of(sshd.user(), sshd.host(), sshd.port());
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {echo, notEcho, sshd}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    @Test
    void opensAReadyClientAndClosesItBeforeTheTunnel() throws Exception {
        EchoAdapter adapter = (EchoAdapter) RuntimeAdapters.find("echo");
        EchoAdapter.EVENTS.clear();
        Path socket;
        try (RuntimeConnection<EchoAdapter.Client> c = RuntimeConnection.open(adapter,
                Tunnel.to(target, RemoteEndpoint.unixSocket(echo.path().toString())).options(options),
                Readiness.DEFAULT)) {
            assertEquals("ping\n", c.client().ping());
            socket = c.tunnel().localSocket().orElseThrow();
            assertEquals("ECHO_HOST=unix://" + socket, c.environmentLine());
        }
        assertEquals(List.of("client closed; tunnel open: true"), EchoAdapter.EVENTS);
        assertFalse(Files.exists(socket), "tunnel closed after the client");
    }

    @Test
    void aDaemonThatNeverAnswersRightFailsAfterTheAttemptsSayingWhatItAnswered() {
        EchoAdapter adapter = (EchoAdapter) RuntimeAdapters.find("echo");
        // the sink server does not echo: it closes without a reply to an unknown first line
        IOException e = assertThrows(IOException.class, () -> RuntimeConnection.open(adapter,
                Tunnel.to(target, RemoteEndpoint.unixSocket(notEcho.path().toString())).options(options),
                Readiness.attempts(2, Duration.ofMillis(50))));
        assertTrue(e.getMessage().contains("not ready after 2 attempt(s)"), e.getMessage());
        assertTrue(e.getMessage().contains("instead of 'ping'"), e.getMessage());
    }

    @Test
    void theTargetPathOrTheFirstCandidateIsTheRemoteSocket() throws Exception {
        EchoAdapter adapter = (EchoAdapter) RuntimeAdapters.find("echo");
        SshTarget withPath = SshTarget.parse("ssh://" + sshd.user() + "@127.0.0.1:" + sshd.port() + echo.path());
        try (RuntimeConnection<EchoAdapter.Client> c = RuntimeConnection.open(adapter, withPath, options)) {
            assertEquals(echo.path().toString(), c.tunnel().remote().toString());
        }
    }
}
