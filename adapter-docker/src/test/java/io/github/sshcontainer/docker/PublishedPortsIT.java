package io.github.sshcontainer.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.runtime.RuntimeConnection;
import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.Requirements;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link PublishedPorts} through a real OpenSSH sshd to this machine's Docker daemon: a busybox httpd from the local
 * registry, published on a random port of the Docker host, reached through the tunnel's SSH session.
 */
class PublishedPortsIT {
    static final String IMAGE = DockerAdapterIT.envOr("SSHC_REGISTRY", "127.0.0.1:5000") + "/busybox:latest";
    static OpenSshServer sshd;
    @TempDir
    static Path tmp;
    static SshOptions options;

    @BeforeAll
    static void start() {
        Requirements.requireUnixSocket(DockerAdapterIT.DOCKER_SOCK);
        sshd = OpenSshServer.startOrSkip(OpenSshServer.builder());
        options = sshd.clientOptions(tmp.resolve("known_hosts")).build();
    }

    @AfterAll
    static void stop() {
        if (sshd != null) {
            sshd.close();
        }
    }

    @Test
    void publishedTcpPortsAreForwardedOverTheSameSession() throws Exception {
        try (RuntimeConnection<DockerClient> docker = DockerOverSsh.connect(sshd.target(), options)) {
            DockerClient client = docker.client();
            try {
                client.pullImageCmd(IMAGE).start().awaitCompletion(60, TimeUnit.SECONDS);
            } catch (RuntimeException e) {
                Requirements.require(false, "cannot pull " + IMAGE + " (ci/start-services.sh seeds the registry): " + e);
            }
            ExposedPort web = ExposedPort.tcp(8080);
            ExposedPort udp = ExposedPort.udp(9999);
            ExposedPort unpublished = ExposedPort.tcp(7000);
            String id = client.createContainerCmd(IMAGE)
                    .withCmd("sh", "-c", "mkdir /www && echo published > /www/index.html && exec httpd -f -p 8080 -h /www")
                    .withExposedPorts(web, udp, unpublished)
                    .withHostConfig(HostConfig.newHostConfig().withPortBindings(
                            new PortBinding(Ports.Binding.empty(), web), new PortBinding(Ports.Binding.empty(), udp)))
                    .exec().getId();
            InetSocketAddress local;
            try {
                client.startContainerCmd(id).exec();
                try (PublishedPorts ports = PublishedPorts.forward(docker, id)) {
                    Map<ExposedPort, InetSocketAddress> all = ports.addresses();
                    assertEquals(List.of(web), List.copyOf(all.keySet()), "TCP and published only: " + all);
                    local = ports.address(8080);
                    assertTrue(local.getAddress().isLoopbackAddress(), local.toString());
                    int published = Integer.parseInt(client.inspectContainerCmd(id).exec().getNetworkSettings()
                            .getPorts().getBindings().get(web)[0].getHostPortSpec());
                    assertNotEquals(published, local.getPort());
                    assertEquals("published\n", fetchWithin(local, 10_000));

                    IllegalArgumentException notThere = assertThrows(IllegalArgumentException.class,
                            () -> ports.address(7000));
                    assertTrue(notThere.getMessage().contains("7000/tcp") && notThere.getMessage().contains("8080/tcp"),
                            notThere.getMessage());
                }
                InetSocketAddress closed = local;
                assertThrows(ConnectException.class, () -> new Socket(closed.getAddress(), closed.getPort()).close());
            } finally {
                client.removeContainerCmd(id).withForce(true).exec();
            }
            IOException gone = assertThrows(IOException.class, () -> PublishedPorts.forward(docker, id));
            assertTrue(gone.getMessage().contains("no container " + id), gone.getMessage());
            // one login for discovery (id -u), one for the tunnel: the forward added none
            assertEquals(2, logins(), sshd.log());
        }
    }

    static int logins() {
        return sshd.log().split("Accepted publickey for ", -1).length - 1;
    }

    /** {@code GET /index.html} on the local address, retried while httpd is starting. */
    static String fetchWithin(InetSocketAddress local, long millis) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (true) {
            String response;
            try (Socket s = new Socket(local.getAddress(), local.getPort())) {
                s.setSoTimeout(5000);
                s.getOutputStream().write("GET /index.html HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                try (InputStream in = s.getInputStream()) {
                    response = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
                }
            } catch (IOException e) {
                response = e.toString();
            }
            if (response.matches("(?s)HTTP/1\\.[01] 200 .*")) {
                return response.substring(response.indexOf("\r\n\r\n") + 4);
            }
            assertTrue(System.nanoTime() < deadline, "no page on " + local + " in time; last: " + response);
            Thread.sleep(100);
        }
    }
}
