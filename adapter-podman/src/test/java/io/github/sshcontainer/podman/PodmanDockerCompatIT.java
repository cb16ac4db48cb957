package io.github.sshcontainer.podman;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Version;
import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.TunnelBuilder;
import io.github.sshcontainer.tunnel.runtime.ContainerSummary;
import io.github.sshcontainer.tunnel.runtime.RuntimeConnection;
import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.Requirements;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A docker-java {@link DockerClient} against Podman's Docker-compatible API, through a real OpenSSH sshd to this
 * machine's Podman service: ping, version, and the containers the libpod client created.
 */
class PodmanDockerCompatIT {
    static OpenSshServer sshd;
    @TempDir
    static Path tmp;
    static SshOptions options;
    static SshTarget host;

    @BeforeAll
    static void start() {
        Requirements.requireUnixSocket(PodmanIT.PODMAN_SOCK);
        sshd = OpenSshServer.startOrSkip(OpenSshServer.builder());
        options = sshd.clientOptions(tmp.resolve("known_hosts")).build();
        host = sshd.target();
    }

    @AfterAll
    static void stop() {
        if (sshd != null) {
            sshd.close();
        }
    }

    @Test
    void dockerJavaTalksToPodman() throws IOException {
        try (RuntimeConnection<DockerClient> docker = PodmanOverSsh.connectDockerCompatible(host, options);
                RuntimeConnection<PodmanClient> podman = PodmanOverSsh.connectInProcess(host, options)) {
            assertEquals("/run/podman/podman.sock", docker.tunnel().remote().toString().replaceFirst("^unix:", ""));
            assertEquals("DOCKER_HOST=unix://" + docker.tunnel().localSocket().orElseThrow(),
                    docker.environmentLine());
            DockerClient client = docker.client();
            client.pingCmd().exec();
            Version v = client.versionCmd().exec();
            PodmanVersion pv = podman.client().version();
            assertEquals(pv.compatApiVersion(), v.getApiVersion(), "the compat API's version");
            assertEquals(pv.version(), v.getVersion(), "Podman's own version");
            assertTrue(docker.adapter().describe(client).contains(pv.version()), docker.adapter().describe(client));

            podman.client().pull(PodmanIT.IMAGE, false, null);
            String id = podman.client().containers().create(PodmanIT.IMAGE, "sleep", "30");
            try {
                Container listed = client.listContainersCmd().withShowAll(true).exec().stream()
                        .filter(c -> c.getId().equals(id)).findFirst().orElse(null);
                assertNotNull(listed, "docker-java lists the container made through libpod");
                assertEquals(PodmanIT.IMAGE, listed.getImage());
                ContainerSummary summary = docker.adapter().listContainers(client, true).stream()
                        .filter(c -> c.id().equals(id)).findFirst().orElseThrow();
                assertEquals("created", summary.state());
            } finally {
                podman.client().containers().remove(id);
            }
        }
    }

    @Test
    void inProcessOnlyTunnel() throws IOException {
        try (RuntimeConnection<DockerClient> docker = RuntimeConnection.open(new PodmanDockerAdapter(), host, options,
                null, TunnelBuilder::inProcessOnly)) {
            assertTrue(docker.tunnel().localSocket().isEmpty());
            docker.client().pingCmd().exec();
            assertNotNull(docker.client().infoCmd().exec().getOperatingSystem());
        }
    }
}
