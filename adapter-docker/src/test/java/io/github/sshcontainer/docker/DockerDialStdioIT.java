package io.github.sshcontainer.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import io.github.sshcontainer.tunnel.RemoteEndpoint;
import io.github.sshcontainer.tunnel.RemoteUnavailableException;
import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.runtime.RuntimeConnection;
import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.Requirements;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link DockerOverSsh} against a real OpenSSH sshd with {@code AllowStreamLocalForwarding no} and
 * {@code MaxSessions 10}: it falls back to {@code docker system dial-stdio} over exec channels. The "remote" machine
 * is this one, so it needs a running dockerd and the {@code docker} CLI.
 */
class DockerDialStdioIT {
    static final Path DOCKER_SOCK = Path.of(DockerAdapterIT.envOr("DOCKER_SOCK", "/var/run/docker.sock"));

    static OpenSshServer sshd;
    @TempDir
    static Path tmp;
    static SshOptions options;
    static SshTarget target;

    @BeforeAll
    static void start() {
        Requirements.requireUnixSocket(DOCKER_SOCK);
        Requirements.requireExecutable("/usr/bin/docker");
        sshd = OpenSshServer.startOrSkip(OpenSshServer.builder().allowStreamLocalForwarding(false)
                .extraConfig("MaxSessions 10"));
        Path knownHosts = tmp.resolve("known_hosts");
        options = sshd.clientOptions(knownHosts).build();
        target = SshTarget.parse("ssh://" + sshd.user() + "@" + sshd.host() + ":" + sshd.port() + DOCKER_SOCK);
    }

    @AfterAll
    static void stop() {
        if (sshd != null) {
            sshd.close();
        }
    }

    @Test
    void withoutAPathTheDiscoveredSocketFallsBackToDialStdioToo() throws Exception {
        Requirements.require(DOCKER_SOCK.equals(Path.of("/var/run/docker.sock")),
                "discovery finds the daemon only at its default path");
        SshTarget noPath = sshd.target();
        try (RuntimeConnection<DockerClient> docker = DockerOverSsh.connect(noPath, options)) {
            assertEquals("`" + DockerOverSsh.dialStdioCommand(DOCKER_SOCK.toString()) + "`", docker.tunnel().remote().toString());
            docker.client().pingCmd().exec();
        }
    }

    @Test
    void fallsBackToDialStdioWhenStreamlocalIsRefused() throws Exception {
        try (RuntimeConnection<DockerClient> docker = DockerOverSsh.connect(target, options)) {
            assertInstanceOf(RemoteEndpoint.Command.class, docker.tunnel().remote());
            assertTrue(docker.tunnel().remote().toString().contains("system dial-stdio"));
            DockerClient client = docker.client();
            client.pingCmd().exec();
            String apiVersion = client.versionCmd().exec().getApiVersion();
            assertFalse(apiVersion == null || apiVersion.isEmpty());
            assertEquals(directContainerCount(), client.listContainersCmd().withShowAll(true).exec().size());
        }
    }

    @Test
    void twentyConcurrentListContainersOverDialStdio() throws Exception {
        int n = 20;
        try (RuntimeConnection<DockerClient> docker = DockerOverSsh.connect(target, options, c -> c,
                http -> http.maxConnections(n))) {
            DockerClient client = docker.client();
            int expected = directContainerCount();
            ExecutorService threads = Executors.newFixedThreadPool(n);
            try {
                List<Future<List<Container>>> calls = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    calls.add(threads.submit(() -> client.listContainersCmd().withShowAll(true).exec()));
                }
                for (Future<List<Container>> call : calls) {
                    assertEquals(expected, call.get(60, TimeUnit.SECONDS).size());
                }
            } finally {
                threads.shutdownNow();
            }
        }
    }

    @Test
    void aMissingSocketIsStillAnErrorNotAFallback() {
        SshTarget nope = SshTarget.parse("ssh://" + sshd.user() + "@" + sshd.host() + ":" + sshd.port()
                + "/run/nope.sock");
        RemoteUnavailableException e = assertThrows(RemoteUnavailableException.class,
                () -> DockerOverSsh.connect(nope, options));
        assertEquals(RemoteUnavailableException.Reason.MISSING, e.reason(), e.getMessage());
    }

    @Test
    void dialStdioCommandQuotesThePath() {
        assertEquals("docker -H 'unix:///var/run/docker.sock' system dial-stdio",
                DockerOverSsh.dialStdioCommand("/var/run/docker.sock"));
        assertEquals("docker -H 'unix:///tmp/it'\\''s.sock' system dial-stdio",
                DockerOverSsh.dialStdioCommand("/tmp/it's.sock"));
    }

    private static int directContainerCount() throws Exception {
        String host = "unix://" + DOCKER_SOCK;
        try (DockerClient direct = DockerClientImpl.getInstance(
                new DefaultDockerClientConfig.Builder().withDockerHost(host).build(),
                new ZerodepDockerHttpClient.Builder().dockerHost(java.net.URI.create(host)).build())) {
            return direct.listContainersCmd().withShowAll(true).exec().size();
        }
    }
}
