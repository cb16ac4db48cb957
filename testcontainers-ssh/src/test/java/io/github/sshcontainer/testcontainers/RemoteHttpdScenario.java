package io.github.sshcontainer.testcontainers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;

import com.github.dockerjava.api.model.ContainerPort;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;

/**
 * A plain Testcontainers JUnit 5 test: nothing in it knows about SSH. {@link TestcontainersOverSshIT} runs it in a
 * JVM whose only configuration is {@code DOCKER_HOST=ssh://root@127.0.0.1:PORT}, with the server's host key in
 * {@code ~/.ssh/known_hosts} and a key in {@code ~/.ssh/id_ed25519} (a private home). Not run on its own by Maven
 * (its name is not a test's).
 */
@Testcontainers
class RemoteHttpdScenario {
    static final DockerImageName BUSYBOX = DockerImageName.parse(
            System.getenv().getOrDefault("SSHC_REGISTRY", "127.0.0.1:5000") + "/busybox:latest");
    static final String PAGE = "hello from the Docker host behind sshd\n";

    @Container
    static final GenericContainer<?> HTTPD = new GenericContainer<>(BUSYBOX)
            .withCopyToContainer(Transferable.of(PAGE), "/www/index.html")
            .withCommand("httpd", "-f", "-p", "8080", "-h", "/www")
            .withExposedPorts(8080)
            .waitingFor(Wait.forHttp("/index.html"));

    @Test
    void thePageComesThroughTheMappedPort() throws IOException {
        assertEquals("127.0.0.1", HTTPD.getHost());
        assertEquals(PAGE, get("http://" + HTTPD.getHost() + ":" + HTTPD.getMappedPort(8080) + "/index.html"));
    }

    @Test
    void theMappedPortIsALocalForwardNotTheDaemonsPort() {
        com.github.dockerjava.api.model.Container listed = DockerClientFactory.instance().client().listContainersCmd()
                .withIdFilter(java.util.List.of(HTTPD.getContainerId())).exec().get(0);
        int published = java.util.Arrays.stream(listed.getPorts()).filter(p -> p.getPrivatePort() == 8080)
                .map(ContainerPort::getPublicPort).filter(java.util.Objects::nonNull).findFirst().orElseThrow();
        assertNotEquals(published, HTTPD.getMappedPort(8080), "the daemon published " + published);
    }

    /** The default wait strategy: a listening port, checked from here (the forward) and inside (grep /proc/net/tcp). */
    @Test
    void theDefaultWaitStrategyWorksAndStoppingClosesTheForward() throws IOException {
        int local;
        try (GenericContainer<?> other = new GenericContainer<>(BUSYBOX)
                .withCommand("sh", "-c", "busybox --install -s /bin && mkdir /www && echo second > /www/index.html"
                        + " && exec httpd -f -p 8081 -h /www")
                .withExposedPorts(8081)) {
            other.start();
            local = other.getMappedPort(8081);
            assertEquals("second\n", get("http://" + other.getHost() + ":" + local + "/index.html"));
        }
        assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", local).close());
    }

    static String get(String url) throws IOException {
        HttpURLConnection http = (HttpURLConnection) new URL(url).openConnection();
        http.setConnectTimeout(5000);
        http.setReadTimeout(10000);
        assertEquals(200, http.getResponseCode(), url);
        try (InputStream in = http.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            http.disconnect();
        }
    }
}
