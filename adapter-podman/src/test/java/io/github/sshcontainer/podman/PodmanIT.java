package io.github.sshcontainer.podman;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.github.sshcontainer.tunnel.RemoteEndpoint;
import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.TunnelBuilder;
import io.github.sshcontainer.tunnel.runtime.RuntimeConnection;
import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.Requirements;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link PodmanClient} through a real OpenSSH sshd to this machine's real Podman API service
 * ({@code ci/start-services.sh} starts it at {@code /run/podman/podman.sock}), over in-process tunnel connections.
 * The image comes from the local registry ({@code $SSHC_REGISTRY}, seeded by the same script).
 */
class PodmanIT {
    static final Path PODMAN_SOCK = Path.of("/run/podman/podman.sock");
    static final String IMAGE = envOr("SSHC_REGISTRY", "127.0.0.1:5000") + "/busybox:latest";

    static OpenSshServer sshd;
    @TempDir
    static Path tmp;
    static SshOptions options;
    /** The host without a socket path: the adapter's candidates are tried. */
    static SshTarget host;

    @BeforeAll
    static void start() {
        Requirements.requireUnixSocket(PODMAN_SOCK);
        sshd = OpenSshServer.startOrSkip(OpenSshServer.builder());
        Path knownHosts = tmp.resolve("known_hosts");
        options = sshd.clientOptions(knownHosts).build();
        host = sshd.target();
    }

    @AfterAll
    static void stop() {
        if (sshd != null) {
            sshd.close();
        }
    }

    static String envOr(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }

    static RuntimeConnection<PodmanClient> connect() throws IOException {
        return RuntimeConnection.open(new PodmanAdapter(), host, options, null, TunnelBuilder::inProcessOnly);
    }

    @Test
    void versionThroughDiscoveredSocket() throws IOException {
        try (RuntimeConnection<PodmanClient> podman = connect()) {
            assertEquals("/run/podman/podman.sock", podman.tunnel().remote().toString().replaceFirst("^unix:", ""),
                    "the rootful candidate was found");
            PodmanVersion v = podman.client().version();
            assertNotNull(v.version());
            assertTrue(v.apiVersion() != null && v.apiVersion().matches("[4-9]\\..*"), v.toString());
            assertNotNull(v.compatApiVersion(), v.toString());
            assertEquals("linux", v.os());
            assertNotNull(v.arch());
            assertEquals("Podman " + v.version() + ", API " + v.apiVersion() + ", linux/" + v.arch(),
                    podman.adapter().describe(podman.client()));
        }
    }

    /** The default tunnel has a private local socket: that is what {@code CONTAINER_HOST} names. */
    @Test
    void environmentLineNamesTheLocalSocket() throws IOException {
        try (RuntimeConnection<PodmanClient> podman = RuntimeConnection.open(new PodmanAdapter(), host, options)) {
            Path socket = podman.tunnel().localSocket().orElseThrow();
            assertEquals("CONTAINER_HOST=unix://" + socket, podman.environmentLine());
            podman.client().ping();
        }
    }

    @Test
    void pullRunLogsRemove() throws IOException {
        try (RuntimeConnection<PodmanClient> podman = connect()) {
            PodmanClient client = podman.client();
            List<String> progress = new ArrayList<>();
            String imageId = client.pull(IMAGE, false, progress::add);
            assertFalse(imageId.isBlank());
            assertFalse(progress.isEmpty(), "no progress lines");
            assertTrue(progress.get(0).contains(IMAGE), progress.toString());

            String id = client.containers().create(IMAGE, "busybox", "echo", "hello");
            try {
                client.containers().start(id);
                assertEquals(0, client.containers().waitFor(id));
                assertEquals("hello\n", client.containers().logs(id));
            } finally {
                client.containers().remove(id);
            }
            PodmanException gone = assertThrows(PodmanException.class, () -> client.containers().start(id));
            assertEquals(404, gone.status());
            // sequential calls (several POSTs among them, checked by OkHttp before reusing a pooled connection with
            // a 1 ms read timeout) share connections instead of opening one SSH channel each
            long channels = podman.tunnel().stats().totalConnections();
            assertTrue(channels < 4, channels + " channels for 7 calls");
        }
    }

    @Test
    void aBadContainerIdIsA404WithPodmansMessage() throws IOException {
        try (RuntimeConnection<PodmanClient> podman = connect()) {
            PodmanException e = assertThrows(PodmanException.class,
                    () -> podman.client().containers().start("sshc-no-such-container"));
            assertEquals(404, e.status());
            assertEquals("no such container", e.podmanCause());
            assertTrue(e.getMessage().contains("sshc-no-such-container"), e.getMessage());
            assertEquals("POST /containers/sshc-no-such-container/start", e.request());

            PodmanException logs = assertThrows(PodmanException.class,
                    () -> podman.client().containers().logs("sshc-no-such-container"));
            assertEquals(404, logs.status());
        }
    }

    /** Podman 4.3 answers a create from an unknown image with 500 "image not known"; a pull of one fails in-stream. */
    @Test
    void aMissingImageIsAPodmanException() throws IOException {
        String missing = envOr("SSHC_REGISTRY", "127.0.0.1:5000") + "/sshc-no-such-image:1";
        try (RuntimeConnection<PodmanClient> podman = connect()) {
            PodmanException create = assertThrows(PodmanException.class,
                    () -> podman.client().containers().create(missing, "true"));
            assertTrue(create.status() == 404 || create.status() == 500, create.toString());
            assertEquals("image not known", create.podmanCause(), create.toString());
            assertTrue(create.getMessage().contains(missing), create.getMessage());

            PodmanException pull = assertThrows(PodmanException.class,
                    () -> podman.client().pull(missing, false, line -> { }));
            assertTrue(pull.getMessage().contains("manifest unknown"), pull.getMessage());
        }
    }

    /** A socket of the factory honours SO_TIMEOUT, and stays usable after a timed-out read. */
    @Test
    void tunnelSocketReadTimesOutAndStaysUsable() throws IOException {
        try (Tunnel tunnel = Tunnel.to(host, RemoteEndpoint.unixSocket(PODMAN_SOCK.toString())).options(options)
                .inProcessOnly().open(); Socket s = new TunnelSocketFactory(tunnel).createSocket()) {
            s.setSoTimeout(100);
            s.connect(InetSocketAddress.createUnresolved("podman", 80));
            InputStream in = s.getInputStream();
            long t0 = System.nanoTime();
            assertThrows(SocketTimeoutException.class, in::read);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 90 && ms < 5_000, ms + " ms");
            s.setSoTimeout(10_000);
            s.getOutputStream().write("GET /v4.0.0/libpod/_ping HTTP/1.0\r\nHost: d\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String answer = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            assertTrue(answer.startsWith("HTTP/1.0 200") && answer.endsWith("OK"), answer);
        }
    }

    @Test
    void closingTheConnectionClosesTheClient() throws IOException {
        PodmanClient client;
        try (RuntimeConnection<PodmanClient> podman = connect()) {
            client = podman.client();
            client.ping();
        }
        IOException e = assertThrows(IOException.class, client::ping);
        assertInstanceOf(IOException.class, e);
    }
}
