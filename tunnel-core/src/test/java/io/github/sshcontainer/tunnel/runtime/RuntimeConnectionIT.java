package io.github.sshcontainer.tunnel.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import java.time.Duration;
import java.util.List;

import io.github.sshcontainer.tunnel.RemoteEndpoint;
import io.github.sshcontainer.tunnel.RemoteUnavailableException;
import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.Requirements;
import io.github.sshcontainer.tunnel.testing.UnixEchoServer;
import io.github.sshcontainer.tunnel.testing.UnixSinkServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
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

    static final String NODOCKER_USER = envOr("SSHC_NODOCKER_USER", "sshc-nodocker");

    static String envOr(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isEmpty() ? fallback : value;
    }

    @BeforeAll
    static void start() throws IOException {
        // as in DockerSocketIT: a world-readable copy of the public keys lets the second user log in too
        Path publicKeys = tmp.resolve("authorized_keys_any_user");
        sshd = OpenSshServer.startOrSkip(OpenSshServer.builder()
                .extraConfig("Match User " + NODOCKER_USER)
                .extraConfig("AuthorizedKeysFile " + publicKeys));
        Files.copy(sshd.dir().resolve("authorized_keys"), publicKeys);
        Files.setPosixFilePermissions(publicKeys, PosixFilePermissions.fromString("rw-r--r--"));
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
        echo = UnixEchoServer.start();
        notEcho = UnixSinkServer.start();
        Path kh = tmp.resolve("known_hosts");
        options = sshd.clientOptions(kh).build();
        target = sshd.target();
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

    @AfterEach
    void resetCandidates() {
        EchoAdapter.candidateBase = null;
    }

    /** A fresh candidate base under {@code tmp}; {@code user-UID/echo.sock} links to the echo server when given. */
    static Path candidateBase(String name, Integer uidWithSocket) throws IOException {
        Path base = Files.createDirectories(tmp.resolve(name));
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        if (uidWithSocket != null) {
            Path dir = Files.createDirectories(base.resolve("user-" + uidWithSocket));
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.createSymbolicLink(dir.resolve("echo.sock"), echo.path());
        }
        EchoAdapter.candidateBase = base.toString();
        return base;
    }

    static int localUid(String user) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("id", "-u", user).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? Integer.parseInt(out) : -1;
    }

    @Test
    void withoutAPathTheFirstExistingCandidateForTheRemoteUidWins() throws Exception {
        int uid = localUid(sshd.user());
        Path base = candidateBase("picks-second", uid);
        EchoAdapter adapter = (EchoAdapter) RuntimeAdapters.find("echo");
        try (RuntimeConnection<EchoAdapter.Client> c = RuntimeConnection.open(adapter, target, options)) {
            assertEquals(base.resolve("user-" + uid).resolve("echo.sock").toString(), c.tunnel().remote().toString());
            assertEquals("ping\n", c.client().ping());
        }
    }

    @Test
    void theUidIsTheRemoteUsersOwnForAnotherUserToo() throws Exception {
        int uid = localUid(NODOCKER_USER);
        Requirements.require(uid > 0, "no local user " + NODOCKER_USER + " (.ci/run creates it; see SSHC_NODOCKER_USER)");
        // the other user must reach the echo server's (private) directory and socket
        Files.setPosixFilePermissions(echo.path().getParent(), PosixFilePermissions.fromString("rwx--x--x"));
        Files.setPosixFilePermissions(echo.path(), PosixFilePermissions.fromString("rwxrwxrwx"));
        Path base = candidateBase("other-user", uid);
        // a socket for root's uid too: picking it would mean the uid was not asked as this user
        Files.createDirectories(base.resolve("user-" + localUid(sshd.user())));
        EchoAdapter adapter = (EchoAdapter) RuntimeAdapters.find("echo");
        SshTarget other = SshTarget.of(NODOCKER_USER, sshd.host(), sshd.port());
        try (RuntimeConnection<EchoAdapter.Client> c = RuntimeConnection.open(adapter, other, options)) {
            assertEquals(base.resolve("user-" + uid).resolve("echo.sock").toString(), c.tunnel().remote().toString());
            assertEquals("ping\n", c.client().ping());
        }
    }

    @Test
    void noCandidateExistingListsEveryPathTriedAndWhy() throws Exception {
        int uid = localUid(sshd.user());
        Path base = candidateBase("none", null);
        Files.createDirectories(base.resolve("user-" + uid).resolve("echo.sock")); // a directory: not a socket
        EchoAdapter adapter = (EchoAdapter) RuntimeAdapters.find("echo");
        RemoteUnavailableException e = assertThrows(RemoteUnavailableException.class,
                () -> RuntimeConnection.open(adapter, target, options));
        assertEquals(RemoteUnavailableException.Reason.MISSING, e.reason());
        assertEquals("no echo socket on " + sshd.host() + ": " + base + "/missing.sock (does not exist), " + base
                + "/user-" + uid + "/echo.sock (not a socket)", e.getMessage());
    }

    @Test
    void aPathInTheTargetIsTheOnlySocketTried() throws Exception {
        Path base = candidateBase("path-only", localUid(sshd.user()));
        EchoAdapter adapter = (EchoAdapter) RuntimeAdapters.find("echo");
        SshTarget withPath = SshTarget.parse("ssh://" + sshd.user() + "@127.0.0.1:" + sshd.port() + base
                + "/missing.sock");
        RemoteUnavailableException e = assertThrows(RemoteUnavailableException.class,
                () -> RuntimeConnection.open(adapter, withPath, options));
        assertEquals(RemoteUnavailableException.Reason.MISSING, e.reason());
        assertFalse(e.getMessage().contains("echo.sock"), e.getMessage());
    }
}
