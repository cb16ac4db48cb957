package io.github.sshcontainer.testcontainers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.dockerclient.DockerClientProviderStrategy;
import org.testcontainers.dockerclient.TransportConfig;

/**
 * {@link ForwardingDockerClient} over {@link SshDockerHost}'s tunnel through a real OpenSSH sshd to this machine's
 * Docker daemon, with Testcontainers' own docker-java client but without Testcontainers' container lifecycle: what an
 * inspection answers, that the local port reaches the container, and that removal closes the forward.
 */
class PortForwardsIT {
    static final String IMAGE = TestcontainersOverSshIT.REGISTRY + "/busybox:latest";
    static OpenSshServer sshd;
    static SshDockerHost host;
    static DockerClient docker;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() throws Exception {
        TestcontainersOverSshIT.requireDockerAndRegistry();
        sshd = OpenSshServer.startOrSkip(OpenSshServer.builder());
        host = SshDockerHost.connect(sshd.target(), sshd.clientOptions(tmp.resolve("known_hosts")).build());
        DockerClient plain = DockerClientProviderStrategy.getClientForConfig(
                TransportConfig.builder().dockerHost(host.localUri()).build());
        docker = new ForwardingDockerClient(plain, host.forwards());
        docker.pullImageCmd(IMAGE).start().awaitCompletion(60, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() {
        if (host != null) {
            host.close();
        }
        if (sshd != null) {
            sshd.close();
        }
    }

    @Test
    void anInspectedContainersPortIsForwardedHereUntilItIsRemoved() throws Exception {
        ExposedPort http = ExposedPort.tcp(8080);
        String id = docker.createContainerCmd(IMAGE)
                .withCmd("sh", "-c", "mkdir /www && echo forwarded > /www/index.html && exec httpd -f -p 8080 -h /www")
                .withExposedPorts(http)
                .withHostConfig(HostConfig.newHostConfig().withPortBindings(new PortBinding(Ports.Binding.empty(), http)))
                .exec().getId();
        int local;
        try {
            docker.startContainerCmd(id).exec();
            Ports.Binding[] bindings = docker.inspectContainerCmd(id).exec().getNetworkSettings().getPorts()
                    .getBindings().get(http);
            assertEquals(1, bindings.length, java.util.Arrays.toString(bindings));
            assertEquals("127.0.0.1", bindings[0].getHostIp());
            local = Integer.parseInt(bindings[0].getHostPortSpec());
            assertEquals(1, host.forwards().size());
            // asked again, the same forward
            assertEquals(String.valueOf(local), docker.inspectContainerCmd(id).exec().getNetworkSettings().getPorts()
                    .getBindings().get(http)[0].getHostPortSpec());
            assertEquals(1, host.forwards().size());
            // the daemon's own answer names another port: the one published on the Docker host
            int published = docker.listContainersCmd().withIdFilter(java.util.List.of(id)).exec().get(0).getPorts()[0]
                    .getPublicPort();
            assertNotEquals(published, local);

            assertEquals("forwarded\n", fetchWithin(local, 10_000));
        } finally {
            docker.removeContainerCmd(id).withForce(true).exec();
        }
        assertEquals(0, host.forwards().size());
        int closed = local;
        assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", closed).close());
    }

    /** {@code GET /index.html} on 127.0.0.1:port, retried while httpd is starting. */
    static String fetchWithin(int port, long millis) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (true) {
            String response = "";
            try (Socket s = new Socket("127.0.0.1", port)) {
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
            assertTrue(System.nanoTime() < deadline, "no page on 127.0.0.1:" + port + " in time; last: " + response);
            Thread.sleep(100);
        }
    }
}
