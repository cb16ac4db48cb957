package io.github.sshcontainer.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.tunnel.RemoteUnavailableException;
import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.runtime.RuntimeConnection;
import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.Requirements;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link DockerOverSsh#fromEnvironment(Map, SshOptions)}: {@code DOCKER_HOST=ssh://...} through a real OpenSSH sshd
 * to this machine's Docker daemon, with and without a socket path; any other {@code DOCKER_HOST} is a clear error.
 */
class DockerHostEnvIT {
    static OpenSshServer sshd;
    @TempDir
    static Path tmp;
    static SshOptions options;
    static String sshHost;

    @BeforeAll
    static void start() {
        Requirements.requireUnixSocket(DockerAdapterIT.DOCKER_SOCK);
        sshd = OpenSshServer.startOrSkip(OpenSshServer.builder());
        Path knownHosts = tmp.resolve("known_hosts");
        options = sshd.clientOptions(knownHosts).build();
        sshHost = "ssh://" + sshd.user() + "@127.0.0.1:" + sshd.port();
    }

    @AfterAll
    static void stop() {
        if (sshd != null) {
            sshd.close();
        }
    }

    @Test
    void sshDockerHostWithoutAPathFindsTheDaemonSocket() throws Exception {
        Requirements.require(DockerAdapterIT.DOCKER_SOCK.equals(Path.of("/var/run/docker.sock")),
                "discovery finds the daemon only at its default path");
        try (RuntimeConnection<DockerClient> docker = DockerOverSsh.fromEnvironment(Map.of("DOCKER_HOST", sshHost),
                options)) {
            docker.client().pingCmd().exec();
            assertEquals("/var/run/docker.sock", docker.tunnel().remote().toString());
        }
    }

    @Test
    void aPathInDockerHostIsTheRemoteSocket() throws Exception {
        String socket = DockerAdapterIT.DOCKER_SOCK.toString();
        try (RuntimeConnection<DockerClient> docker = DockerOverSsh.fromEnvironment(
                Map.of("DOCKER_HOST", sshHost + socket), options)) {
            docker.client().pingCmd().exec();
            assertEquals(socket, docker.tunnel().remote().toString());
        }
        RemoteUnavailableException e = assertThrows(RemoteUnavailableException.class,
                () -> DockerOverSsh.fromEnvironment(Map.of("DOCKER_HOST", sshHost + "/nonexistent/docker.sock"),
                        options).close());
        assertEquals(RemoteUnavailableException.Reason.MISSING, e.reason());
        assertTrue(e.getMessage().contains("/nonexistent/docker.sock"), e.getMessage());
    }

    @Test
    void unixOrTcpDockerHostSaysToUseDockerJavaDirectly() {
        for (String host : new String[] {"unix:///var/run/docker.sock", "tcp://127.0.0.1:2375"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> DockerOverSsh.fromEnvironment(Map.of("DOCKER_HOST", host), options));
            assertTrue(e.getMessage().contains("not an ssh:// address"), e.getMessage());
            assertTrue(e.getMessage().contains("docker-java directly"), e.getMessage());
            assertTrue(e.getMessage().contains(host), e.getMessage());
        }
    }

    @Test
    void anUnsetDockerHostIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DockerOverSsh.fromEnvironment(Map.of(), options));
        assertTrue(e.getMessage().startsWith("DOCKER_HOST is not set"), e.getMessage());
    }
}
