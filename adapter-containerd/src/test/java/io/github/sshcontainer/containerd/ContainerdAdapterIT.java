package io.github.sshcontainer.containerd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import io.github.sshcontainer.tunnel.RemoteEndpoint;
import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.runtime.RuntimeAdapter;
import io.github.sshcontainer.tunnel.runtime.RuntimeAdapters;
import io.github.sshcontainer.tunnel.runtime.RuntimeConnection;
import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.Requirements;
import io.grpc.Status;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The containerd client through a real OpenSSH sshd to the real containerd of this machine ({@code
 * ci/start-services.sh} starts it): its answers match containerd's own on the local socket and {@code ctr}'s.
 */
class ContainerdAdapterIT {
    static final Path SOCK = Path.of("/run/containerd/containerd.sock");

    static OpenSshServer sshd;
    @TempDir
    static Path tmp;
    static SshOptions options;
    /** {@code ssh://user@127.0.0.1:PORT} without a path: the adapter's candidates are searched. */
    static SshTarget target;
    /** Our client straight on containerd's socket: the reference, and the clean-up. */
    static ContainerdClient direct;

    @BeforeAll
    static void start() {
        Requirements.requireUnixSocket(SOCK);
        sshd = OpenSshServer.startOrSkip(OpenSshServer.builder());
        Path knownHosts = tmp.resolve("known_hosts");
        options = sshd.clientOptions(knownHosts).build();
        target = SshTarget.parse("ssh://" + sshd.user() + "@" + sshd.host() + ":" + sshd.port());
        direct = ContainerdClient.connect(SOCK);
    }

    @AfterAll
    static void stop() {
        if (direct != null) {
            direct.close();
        }
        if (sshd != null) {
            sshd.close();
        }
    }

    @Test
    void versionThroughSshMatchesContainerdItself() throws Exception {
        RuntimeAdapter<ContainerdClient> adapter = RuntimeAdapters.find("containerd", ContainerdClient.class);
        try (RuntimeConnection<ContainerdClient> c = RuntimeConnection.open(adapter, target, options)) {
            assertEquals(RemoteEndpoint.unixSocket(SOCK.toString()), c.tunnel().remote(),
                    "the rootful candidate is the one found");
            ContainerdClient.Version v = c.client().version();
            assertFalse(v.version().isEmpty(), "no version");
            assertEquals(direct.version(), v);
            assertEquals("containerd " + v.version() + " (" + v.revision() + ")", adapter.describe(c.client()));
            Path local = c.tunnel().localSocket().orElseThrow();
            assertEquals("CONTAINERD_ADDRESS=" + local, c.environmentLine());
            if (Files.isExecutable(Path.of("/usr/bin/ctr"))) {
                String ctr = run("/usr/bin/ctr", "--address", local.toString(), "version");
                assertTrue(ctr.contains("Server:") && ctr.contains("Version:  " + v.version())
                        && ctr.contains("Revision: " + v.revision()), ctr);
            }
        }
    }

    @Test
    void namespacesAreListedCreatedAndDeletedThroughSsh() throws Exception {
        String name = "sshc-test-" + UUID.randomUUID();
        try (RuntimeConnection<ContainerdClient> c = RuntimeConnection.open(new ContainerdAdapter(), target,
                options)) {
            ContainerdClient client = c.client();
            List<String> before = names(client.namespaces());
            assertEquals(names(direct.namespaces()), before);
            ContainerdClient.Namespace created = client.createNamespace(name, Map.of("sshc.test", "yes"));
            assertEquals(name, created.name());
            try {
                assertTrue(names(client.namespaces()).contains(name));
                assertEquals(Map.of("sshc.test", "yes"), direct.namespace(name).labels());
                ContainerdException again = assertThrows(ContainerdException.class,
                        () -> client.createNamespace(name, Map.of()));
                assertEquals(Status.Code.ALREADY_EXISTS, again.code());
            } finally {
                client.deleteNamespace(name);
            }
            assertFalse(names(client.namespaces()).contains(name));
            // containerd 1.6 answers Get for a missing namespace with the name and no labels, not NOT_FOUND
            assertEquals(Map.of(), client.namespace(name).labels());
        }
    }

    @Test
    void theConfiguredNamespaceAndDeadlineReachTheClient() throws Exception {
        ContainerdAdapter adapter = new ContainerdAdapter().withNamespace("k8s.io").withDeadline(Duration.ofSeconds(3))
                .withChannel(b -> b.maxInboundMessageSize(32 << 20));
        try (RuntimeConnection<ContainerdClient> c = RuntimeConnection.open(adapter, target, options)) {
            assertEquals("k8s.io", c.client().namespace());
            assertEquals(Duration.ofSeconds(3), c.client().deadline());
            assertEquals(direct.version(), c.client().version());
        }
    }

    @Test
    void aClosedClientFailsClearly() throws Exception {
        ContainerdClient client;
        try (RuntimeConnection<ContainerdClient> c = RuntimeConnection.open(new ContainerdAdapter(), target,
                options)) {
            client = c.client();
            client.version();
        }
        assertTrue(client.channel().isShutdown());
        ContainerdException e = assertThrows(ContainerdException.class, client::version);
        assertEquals(Status.Code.UNAVAILABLE, e.code());
    }

    static List<String> names(List<ContainerdClient.Namespace> namespaces) {
        return namespaces.stream().map(ContainerdClient.Namespace::name).sorted().toList();
    }

    static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "still running: " + String.join(" ", command));
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), text);
        return text;
    }
}
