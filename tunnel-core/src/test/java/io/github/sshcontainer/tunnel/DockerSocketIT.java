package io.github.sshcontainer.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.github.sshcontainer.tunnel.testing.MiniHttp;
import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.Requirements;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tunnel to a real Docker daemon's socket through a real OpenSSH sshd: the Docker REST API answers through the
 * tunnel's local socket and its in-process connections exactly as it does directly. Needs a running dockerd
 * ({@code ci/start-services.sh}) and, for the permission test, the user {@code sshc-nodocker} ({@code .ci/run}).
 */
class DockerSocketIT {
    static final Path DOCKER_SOCK = Path.of(envOr("DOCKER_SOCK", "/var/run/docker.sock"));
    static final Pattern API_VERSION = Pattern.compile("\"ApiVersion\"\\s*:\\s*\"([^\"]+)\"");

    static final String NODOCKER_USER = envOr("SSHC_NODOCKER_USER", "sshc-nodocker");

    static OpenSshServer sshd;
    @TempDir
    static Path tmp;
    static Path knownHosts;

    @BeforeAll
    static void start() throws IOException {
        Requirements.requireUnixSocket(DOCKER_SOCK);
        // sshd reads AuthorizedKeysFile with the privileges of the user logging in, and the fixture's copy sits in
        // its private (0700, owned by us) directory: fine for root, unreadable for NODOCKER_USER. Give that user a
        // world-readable copy of the public keys in a directory it may traverse (public keys are no secret).
        Path publicKeys = tmp.resolve("authorized_keys_any_user");
        sshd = OpenSshServer.startOrSkip(OpenSshServer.builder()
                .extraConfig("Match User " + NODOCKER_USER)
                .extraConfig("AuthorizedKeysFile " + publicKeys));
        Files.copy(sshd.dir().resolve("authorized_keys"), publicKeys);
        Files.setPosixFilePermissions(publicKeys, PosixFilePermissions.fromString("rw-r--r--"));
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
        knownHosts = tmp.resolve("known_hosts");
        sshd.writeKnownHosts(knownHosts);
    }

    @AfterAll
    static void stop() {
        if (sshd != null) {
            sshd.close();
        }
    }

    static String envOr(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isEmpty() ? fallback : value;
    }

    static Tunnel open(String user) throws SshTunnelException {
        SshOptions o = sshd.clientOptions(knownHosts).build();
        return Tunnel.to(SshTarget.of(user, sshd.host(), sshd.port()), RemoteEndpoint.unixSocket(DOCKER_SOCK.toString()))
                .options(o).open();
    }

    static SocketChannel connect(Path socket) throws IOException {
        return SocketChannel.open(UnixDomainSocketAddress.of(socket));
    }

    /** One request with {@code Connection: close} on a fresh connection to {@code socket}; reads to the end. */
    static MiniHttp.Response getOnce(Path socket, String path) throws IOException {
        try (SocketChannel c = connect(socket)) {
            MiniHttp.Response r = MiniHttp.over(c, c).getAndClose(path);
            assertEquals(-1, c.read(ByteBuffer.allocate(1)), "the daemon closes after Connection: close");
            return r;
        }
    }

    static String apiVersion(MiniHttp.Response r) {
        Matcher m = API_VERSION.matcher(r.bodyText());
        assertTrue(m.find(), "no \"ApiVersion\" in " + r.bodyText());
        return m.group(1);
    }

    static void assertPing(MiniHttp.Response r) {
        assertEquals(200, r.status(), r::toString);
        assertEquals("OK", r.bodyText());
    }

    @Test
    void pingAndVersionThroughTheLocalSocketMatchTheDaemonItself() throws Exception {
        try (Tunnel t = open(sshd.user())) {
            Path local = t.localSocket().orElseThrow();
            MiniHttp.Response ping = getOnce(local, "/_ping");
            assertPing(ping);
            MiniHttp.Response direct = getOnce(DOCKER_SOCK, "/version");
            MiniHttp.Response tunneled = getOnce(local, "/version");
            assertEquals(200, direct.status(), direct::toString);
            assertEquals(200, tunneled.status(), tunneled::toString);
            assertEquals(apiVersion(direct), apiVersion(tunneled));
            assertEquals(direct.header("Api-Version"), ping.header("Api-Version"));
        }
    }

    @Test
    void pingThroughAnInProcessConnection() throws Exception {
        try (Tunnel t = open(sshd.user()); TunnelConnection c = t.openConnection()) {
            MiniHttp.Response r = MiniHttp.over(c.inputStream(), c.outputStream()).getAndClose("/_ping");
            assertPing(r);
            assertEquals(-1, c.inputStream().read(), "the daemon closes after Connection: close");
        }
    }

    @Test
    void hundredPingsOnOneKeepAliveConnection() throws Exception {
        try (Tunnel t = open(sshd.user()); SocketChannel c = connect(t.localSocket().orElseThrow())) {
            MiniHttp http = MiniHttp.over(c, c);
            for (int i = 0; i < 100; i++) {
                MiniHttp.Response r = http.get("/_ping");
                assertEquals(200, r.status(), "request " + i + ": " + r);
                assertEquals("OK", r.bodyText(), "request " + i);
            }
            // one local connection, so one SSH channel, carried all of them
            assertEquals(1, t.stats().totalConnections());
            assertEquals(1, t.stats().openConnections());
        }
    }

    @Test
    void userOutsideTheDockerGroupGetsPermissionDeniedQuickly() throws Exception {
        String user = NODOCKER_USER;
        Requirements.require(userExists(user), "no local user " + user + " (.ci/run creates it; see SSHC_NODOCKER_USER)");
        RemoteUnavailableException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(RemoteUnavailableException.class, () -> open(user).close()));
        assertEquals(Failure.REMOTE_UNAVAILABLE, e.failure());
        assertTrue(e.getMessage().contains("permission denied for user " + user), e.getMessage());
        // the socket's own group, and how to join it
        String group = Files.readAttributes(DOCKER_SOCK, java.nio.file.attribute.PosixFileAttributes.class).group()
                .getName();
        assertTrue(e.getMessage().contains("sudo usermod -aG " + group + " " + user), e.getMessage());
        assertTrue(e.getMessage().contains(DOCKER_SOCK.toString()), e.getMessage());
    }

    static boolean userExists(String user) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("id", "-u", user).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    }
}
