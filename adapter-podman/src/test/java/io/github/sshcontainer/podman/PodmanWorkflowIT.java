package io.github.sshcontainer.podman;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.function.UnaryOperator;

import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.runtime.ContainerSummary;
import io.github.sshcontainer.tunnel.runtime.RuntimeConnection;
import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.Requirements;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The libpod workflow (version negotiation, info, images, run, logs, exec, inspect, stop, list, remove, pods, typed
 * errors) through a real OpenSSH sshd to this machine's real Podman API service, once per transport: the tunnel's
 * in-process connections, and its private local unix socket through junixsocket.
 */
class PodmanWorkflowIT {
    static OpenSshServer sshd;
    @TempDir
    static Path tmp;
    static SshOptions options;
    static SshTarget host;

    /** The two ways {@link PodmanClient} reaches the tunnel. */
    enum Transport {
        IN_PROCESS, LOCAL_SOCKET;

        RuntimeConnection<PodmanClient> connect() throws IOException {
            return this == IN_PROCESS ? PodmanOverSsh.connectInProcess(host, options)
                    : PodmanOverSsh.connectThroughLocalSocket(host, options, UnaryOperator.identity());
        }
    }

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

    @ParameterizedTest
    @EnumSource(Transport.class)
    void negotiatesTheApiVersionAndDescribesTheHost(Transport transport) throws IOException {
        try (RuntimeConnection<PodmanClient> podman = transport.connect()) {
            PodmanClient client = podman.client();
            if (transport == Transport.IN_PROCESS) {
                assertTrue(podman.tunnel().localSocket().isEmpty(), "in-process only: no socket file");
            }
            PodmanVersion v = client.version();
            String api = client.apiVersion();
            assertEquals(PodmanClient.negotiate(v), api);
            assertTrue(PodmanClient.compareVersions(api, PodmanClient.OLDEST_API) >= 0, api);
            assertTrue(PodmanClient.compareVersions(api, v.apiVersion()) <= 0, api + " vs " + v);
            PodmanInfo info = client.info();
            assertEquals("linux", info.os());
            assertEquals(v.arch(), info.arch());
            assertNotNull(info.hostname());
            assertNotNull(info.graphRoot(), info.raw().toString());
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void pullRunEchoExecStopRemove(Transport transport) throws IOException {
        try (RuntimeConnection<PodmanClient> podman = transport.connect()) {
            PodmanClient.Containers containers = podman.client().containers();
            String imageId = podman.client().images().pull(PodmanIT.IMAGE, false, line -> { });
            assertTrue(podman.client().images().list().stream()
                    .anyMatch(i -> i.id().equals(imageId) && i.names().contains(PodmanIT.IMAGE)), "image listed");

            // busybox echo hello: exit 0, logs hello
            String echo = containers.create(PodmanIT.IMAGE, "echo", "hello");
            try {
                containers.start(echo);
                assertEquals(0, containers.waitFor(echo));
                assertEquals("hello\n", containers.logs(echo));
                ContainerDetails done = containers.inspect(echo);
                assertEquals(echo, done.id());
                assertEquals("exited", done.status());
                assertFalse(done.running());
                assertEquals(0, done.exitCode());
            } finally {
                containers.remove(echo);
            }

            // stdout and stderr apart; follow ends with the container
            String both = containers.create(PodmanIT.IMAGE, "sh", "-c", "echo out; echo err >&2; echo more");
            try {
                containers.start(both);
                assertEquals(0, containers.waitFor(both));
                java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
                java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
                containers.logs(both, true, out, err);
                assertEquals("out\nmore\n", out.toString(java.nio.charset.StandardCharsets.UTF_8));
                assertEquals("err\n", err.toString(java.nio.charset.StandardCharsets.UTF_8));
                assertEquals("out\nmore\n", containers.logs(both));
            } finally {
                containers.remove(both);
            }

            // a running container: exec, list, stop
            String sleeper = containers.create(PodmanIT.IMAGE, "sleep", "60");
            try {
                containers.start(sleeper);
                assertTrue(containers.inspect(sleeper).running());
                assertEquals(new ExecResult(0, "hi\n", ""), containers.exec(sleeper, "echo", "hi"));
                assertEquals(new ExecResult(3, "out\n", "err\n"),
                        containers.exec(sleeper, "sh", "-c", "echo out; echo err >&2; exit 3"));
                ContainerSummary listed = find(containers.list(false), sleeper);
                assertNotNull(listed, "running container listed");
                assertEquals("running", listed.state());
                assertEquals(PodmanIT.IMAGE, listed.image());
                assertEquals(List.of(containers.inspect(sleeper).name()), listed.names());
                assertEquals(listed, find(podman.adapter().listContainers(podman.client(), false), sleeper),
                        "the SPI lists the same");

                PodmanException inUse = assertThrows(PodmanException.class,
                        () -> podman.client().images().remove(PodmanIT.IMAGE, false));
                assertEquals(PodmanException.Kind.CONFLICT, inUse.kind(), inUse.toString());

                containers.stop(sleeper, 0); // sleep as PID 1 ignores SIGTERM: no grace time
                ContainerDetails stopped = containers.inspect(sleeper);
                assertFalse(stopped.running(), stopped.status());
                assertEquals(null, find(containers.list(false), sleeper), "a stopped container is not running");
                assertNotNull(find(containers.list(true), sleeper), "but listed with all");
                containers.stop(sleeper, 0); // sleep as PID 1 ignores SIGTERM: no grace time // already stopped: Podman says 304, no error
            } finally {
                containers.remove(sleeper);
            }
            PodmanException gone = assertThrows(PodmanException.class, () -> containers.inspect(sleeper));
            assertEquals(PodmanException.Kind.NOT_FOUND, gone.kind());
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void tagAndRemoveAnImageReference(Transport transport) throws IOException {
        String tag = "t" + UUID.randomUUID().toString().substring(0, 8);
        String reference = "localhost/sshc-podman-it:" + tag;
        try (RuntimeConnection<PodmanClient> podman = transport.connect()) {
            PodmanClient.Images images = podman.client().images();
            images.pull(PodmanIT.IMAGE, false, null);
            images.tag(PodmanIT.IMAGE, "localhost/sshc-podman-it", tag);
            assertTrue(images.list().stream().anyMatch(i -> i.names().contains(reference)), "tag listed");
            images.remove(reference, false);
            assertFalse(images.list().stream().anyMatch(i -> i.names().contains(reference)), "tag removed");
            assertTrue(images.list().stream().anyMatch(i -> i.names().contains(PodmanIT.IMAGE)), "image kept");
            PodmanException missing = assertThrows(PodmanException.class, () -> images.remove(reference, false));
            assertEquals(PodmanException.Kind.NOT_FOUND, missing.kind(), missing.toString());
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void podsAreListed(Transport transport) throws IOException {
        String name = "sshc-podman-it-" + UUID.randomUUID().toString().substring(0, 8);
        try (RuntimeConnection<PodmanClient> podman = transport.connect()) {
            PodmanClient.Pods pods = podman.client().pods();
            String id = pods.create(name);
            try {
                PodSummary pod = pods.list().stream().filter(p -> p.id().equals(id)).findFirst().orElseThrow();
                assertEquals(name, pod.name());
                assertEquals(List.of(), pod.containerIds());
                assertNotNull(pod.status());
            } finally {
                pods.remove(id, true);
            }
            assertTrue(pods.list().stream().noneMatch(p -> p.id().equals(id)));
            PodmanException gone = assertThrows(PodmanException.class, () -> pods.remove(id, true));
            assertEquals(PodmanException.Kind.NOT_FOUND, gone.kind());
            assertEquals("no such pod", gone.podmanCause());
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void missingImagesAndBadIdsAreTypedErrors(Transport transport) throws IOException {
        String missing = PodmanIT.envOr("SSHC_REGISTRY", "127.0.0.1:5000") + "/sshc-no-such-image:1";
        try (RuntimeConnection<PodmanClient> podman = transport.connect()) {
            PodmanClient client = podman.client();
            PodmanException pull = assertThrows(PodmanException.class, () -> client.pull(missing, false, null));
            assertEquals(PodmanException.Kind.NOT_FOUND, pull.kind(), pull.toString());
            PodmanException create = assertThrows(PodmanException.class,
                    () -> client.containers().create(missing, "true"));
            assertEquals(PodmanException.Kind.NOT_FOUND, create.kind(), create.toString());
            for (PodmanException e : List.of(
                    assertThrows(PodmanException.class, () -> client.containers().inspect("sshc-no-such-container")),
                    assertThrows(PodmanException.class, () -> client.containers().stop("sshc-no-such-container", 1)),
                    assertThrows(PodmanException.class, () -> client.containers().exec("sshc-no-such-container",
                            "true")),
                    assertThrows(PodmanException.class, () -> client.containers().remove("sshc-no-such-container")))) {
                assertEquals(PodmanException.Kind.NOT_FOUND, e.kind(), e.toString());
                assertEquals(404, e.status(), e.toString());
                assertTrue(e.getMessage().contains("sshc-no-such-container"), e.getMessage());
            }
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                    () -> client.containers().inspect(".."));
            assertTrue(bad.getMessage().contains("'..'"), bad.getMessage());
        }
    }

    private static ContainerSummary find(List<ContainerSummary> list, String id) {
        return list.stream().filter(c -> c.id().equals(id)).findFirst().orElse(null);
    }
}
