package io.github.sshcontainer.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.tunnel.RemoteEndpoint;
import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.TunnelBuilder;
import io.github.sshcontainer.tunnel.embedded.EmbeddedSshServer;
import io.github.sshcontainer.tunnel.runtime.RuntimeAdapter;
import io.github.sshcontainer.tunnel.runtime.RuntimeAdapters;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The adapter's error handling and configuration, through real SSH tunnels to the embedded MINA server, against
 * daemons that misbehave on purpose (a real dockerd is in {@link DockerAdapterIT}).
 */
class DockerAdapterTest {
    @TempDir
    static Path keys;
    static KeyPair clientKey;
    static EmbeddedSshServer server;
    static SshOptions options;

    @TempDir
    Path tmp;
    private final List<Tunnel> tunnels = new ArrayList<>();

    @BeforeAll
    static void startServer() throws Exception {
        clientKey = KeyUtils.generateKeyPair("ssh-ed25519", 256);
        server = EmbeddedSshServer.builder().authorizedKey(clientKey.getPublic()).start();
        Path knownHosts = keys.resolve("known_hosts");
        Files.writeString(knownHosts, server.knownHostsLine() + "\n", StandardCharsets.US_ASCII);
        options = SshOptions.builder().identity(clientKey).knownHosts(knownHosts).sshConfig(null).useAgent(false)
                .build();
    }

    @AfterAll
    static void stopServer() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    @AfterEach
    void closeTunnels() {
        tunnels.forEach(Tunnel::close);
    }

    /** A tunnel through the embedded SSH server to {@code socket}, which need not exist yet. */
    private Tunnel tunnelTo(Path socket) throws IOException {
        Tunnel t = tunnelBuilder(socket).open();
        tunnels.add(t);
        return t;
    }

    private static TunnelBuilder tunnelBuilder(Path socket) {
        return Tunnel.to(SshTarget.of("test", server.host(), server.port()), RemoteEndpoint.unixSocket(socket.toString()))
                .options(options).verifyRemote(false);
    }

    @Test
    void serviceLoaderFindsTheDockerAdapter() {
        RuntimeAdapter<DockerClient> adapter = RuntimeAdapters.find("Docker", DockerClient.class);
        assertInstanceOf(DockerAdapter.class, adapter);
        assertEquals("docker", adapter.name());
        assertEquals(DockerClient.class, adapter.clientType());
        assertEquals("DOCKER_HOST", adapter.environmentVariable());
        assertEquals(List.of("/var/run/docker.sock", "/run/user/1000/docker.sock"), adapter.socketCandidates(1000));
    }

    @Test
    void buildingTheClientDoesNotConnectAndAPingToNothingSaysWhy() throws Exception {
        Path missing = tmp.resolve("no-daemon.sock");
        DockerAdapter adapter = new DockerAdapter();
        try (DockerClient client = adapter.createClient(tunnelTo(missing))) {
            IOException e = assertThrows(IOException.class, () -> adapter.checkReady(client));
            // the tunnel accepts, the SSH channel open fails, the connection drops before any answer
            assertTrue(e.getMessage().startsWith("no answer from the Docker daemon to GET /_ping: "), e.getMessage());
        }
    }

    @Test
    void aDaemonThatAnswersWithAnErrorIsQuoted() throws Exception {
        DockerAdapter adapter = new DockerAdapter();
        try (FakeDaemon daemon = FakeDaemon.answering(500, "{\"message\":\"daemon is starting\"}");
                DockerClient client = adapter.createClient(tunnelTo(daemon.path()))) {
            IOException e = assertThrows(IOException.class, () -> adapter.checkReady(client));
            assertEquals("the Docker daemon answered GET /_ping with Status 500: {\"message\":\"daemon is starting\"}",
                    e.getMessage());
        }
    }

    @Test
    void aSilentDaemonTimesOutAndThePingThreadEnds() throws Exception {
        DockerAdapter adapter = new DockerAdapter().withPingTimeout(Duration.ofMillis(300));
        try (FakeDaemon daemon = FakeDaemon.silent();
                DockerClient client = adapter.createClient(tunnelTo(daemon.path()))) {
            IOException e = assertTimeoutPreemptively(Duration.ofSeconds(5),
                    () -> assertThrows(IOException.class, () -> adapter.checkReady(client)));
            assertEquals("the Docker daemon did not answer GET /_ping within 300 ms", e.getMessage());
            // the interrupt ends the blocked read: no ping thread is left behind
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (pingThreadAlive() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertFalse(pingThreadAlive(), "the ping thread still runs");
        }
    }

    private static boolean pingThreadAlive() {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals("ssh-container-docker-ping") && t.isAlive());
    }

    @Test
    void theConfigCustomizerSetsTheApiVersionButNotTheHost() throws Exception {
        DockerAdapter adapter = new DockerAdapter(
                config -> config.withApiVersion("1.40").withDockerHost("tcp://203.0.113.1:2375"),
                http -> http.maxConnections(2));
        try (FakeDaemon daemon = FakeDaemon.answering(200, "OK");
                DockerClient client = adapter.createClient(tunnelTo(daemon.path()))) {
            adapter.checkReady(client);
            assertEquals(List.of("GET /v1.40/_ping HTTP/1.1"), daemon.requestLines());
        }
    }

    @Test
    void withoutAnApiVersionThePathsAreUnversioned() throws Exception {
        DockerAdapter adapter = new DockerAdapter();
        try (FakeDaemon daemon = FakeDaemon.answering(200, "OK");
                DockerClient client = adapter.createClient(tunnelTo(daemon.path()))) {
            adapter.checkReady(client);
            assertEquals(List.of("GET /_ping HTTP/1.1"), daemon.requestLines());
        }
    }

    @Test
    void anInProcessOnlyTunnelIsRefusedWithAHint() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> {
                    Tunnel inProcess = tunnelBuilder(tmp.resolve("x.sock")).inProcessOnly().open();
                    tunnels.add(inProcess);
                    new DockerAdapter().createClient(inProcess);
                });
        assertTrue(e.getMessage().contains("privateLocalSocket()"), e.getMessage());
    }

    @Test
    void aCustomizerReturningNullIsAnError() {
        DockerAdapter adapter = new DockerAdapter(config -> null, http -> http);
        NullPointerException e = assertThrows(NullPointerException.class,
                () -> adapter.createClient(tunnelTo(tmp.resolve("x.sock"))));
        assertEquals("the Docker config customizer returned null", e.getMessage());
    }
}
