package io.github.sshcontainer.docker;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import io.github.sshcontainer.tunnel.RemoteEndpoint;
import io.github.sshcontainer.tunnel.RemoteUnavailableException;
import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.runtime.Readiness;
import io.github.sshcontainer.tunnel.runtime.RuntimeAdapter;
import io.github.sshcontainer.tunnel.runtime.RuntimeAdapters;
import io.github.sshcontainer.tunnel.runtime.RuntimeConnection;
import io.github.sshcontainer.tunnel.testing.MiniHttp;
import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.Requirements;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docker-java through a real OpenSSH sshd to the real Docker daemon of this machine: the answers match the daemon's
 * own, containers run, concurrent calls and hijacked (attach) streams work. Needs a running dockerd
 * ({@code ci/start-services.sh}) and, for the container tests, a static busybox at {@code /bin/busybox}
 * ({@code busybox-static}; {@code .ci/run} installs it). There is no registry: the image is built {@code FROM scratch}.
 */
class DockerAdapterIT {
    static final Path DOCKER_SOCK = Path.of(envOr("DOCKER_SOCK", "/var/run/docker.sock"));
    static final Path BUSYBOX = Path.of("/bin/busybox");
    static final String IMAGE = "sshc-test/busybox:1";
    static final Pattern API_VERSION = Pattern.compile("\"ApiVersion\"\\s*:\\s*\"([^\"]+)\"");

    static OpenSshServer sshd;
    @TempDir
    static Path tmp;
    static SshOptions options;
    /** {@code ssh://user@127.0.0.1:PORT/var/run/docker.sock}: the remote socket is the target's path. */
    static SshTarget target;
    /** docker-java straight on the daemon's socket: the reference to compare with, and the clean-up. */
    static DockerClient direct;

    @BeforeAll
    static void start() {
        Requirements.requireUnixSocket(DOCKER_SOCK);
        sshd = OpenSshServer.startOrSkip(OpenSshServer.builder());
        Path knownHosts = tmp.resolve("known_hosts");
        options = sshd.clientOptions(knownHosts).build();
        target = SshTarget.parse("ssh://" + sshd.user() + "@" + sshd.host() + ":" + sshd.port() + DOCKER_SOCK);
        URI daemon = URI.create("unix://" + DOCKER_SOCK);
        direct = DockerClientImpl.getInstance(new DefaultDockerClientConfig.Builder().withDockerHost(daemon.toString())
                .build(), new ZerodepDockerHttpClient.Builder().dockerHost(daemon).build());
    }

    @AfterAll
    static void stop() throws IOException {
        if (direct != null) {
            try {
                direct.removeImageCmd(IMAGE).withForce(true).exec(); // left over by a failed test
            } catch (NotFoundException expected) {
                // the tests removed it
            }
            direct.close();
        }
        if (sshd != null) {
            sshd.close();
        }
    }

    static String envOr(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isEmpty() ? fallback : value;
    }

    @Test
    void pingVersionAndInfoThroughSshMatchTheDaemonItself() throws Exception {
        RuntimeAdapter<DockerClient> adapter = RuntimeAdapters.find("docker", DockerClient.class);
        assertInstanceOf(DockerAdapter.class, adapter);
        try (RuntimeConnection<DockerClient> docker = RuntimeConnection.open(adapter, target, options)) {
            DockerClient client = docker.client();
            client.pingCmd().exec();
            assertEquals(directApiVersion(), client.versionCmd().exec().getApiVersion());
            String id = client.infoCmd().exec().getId();
            assertFalse(id == null || id.isEmpty(), "no daemon ID in info");
            assertEquals(direct.infoCmd().exec().getId(), id);
            Path socket = docker.tunnel().localSocket().orElseThrow();
            assertEquals("DOCKER_HOST=unix://" + socket, docker.environmentLine());
        }
    }

    /** {@code ApiVersion} of a plain {@code GET /version} on the daemon's socket, without docker-java. */
    static String directApiVersion() throws IOException {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(DOCKER_SOCK))) {
            MiniHttp.Response r = MiniHttp.over(c, c).getAndClose("/version");
            assertEquals(200, r.status(), r::toString);
            Matcher m = API_VERSION.matcher(r.bodyText());
            assertTrue(m.find(), "no \"ApiVersion\" in " + r.bodyText());
            return m.group(1);
        }
    }

    @Test
    void fiftyConcurrentCallsAllSucceed() throws Exception {
        Requirements.requireExecutable(BUSYBOX.toString());
        try (RuntimeConnection<DockerClient> docker = DockerOverSsh.connect(target, options)) {
            concurrentCalls(docker, IMAGE, 50, 1);
        }
    }

    /**
     * {@code calls} concurrent inspect/list calls about one container, {@code rounds} times, all released at once;
     * every call must name the container, and they must have used more than one tunnel connection. Builds
     * {@code image} first and removes it and the container after.
     */
    static void concurrentCalls(RuntimeConnection<DockerClient> docker, String image, int calls, int rounds)
            throws Exception {
        DockerClient client = docker.client();
        buildBusyboxImage(client, image);
        String id = client.createContainerCmd(image).withCmd("/bin/busybox", "true").exec().getId();
        ExecutorService pool = Executors.newFixedThreadPool(calls);
        try {
            for (int round = 0; round < rounds; round++) {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<String>> results = new ArrayList<>();
                for (int i = 0; i < calls; i++) {
                    Callable<String> call = i % 2 == 0
                            ? () -> client.inspectContainerCmd(id).exec().getId()
                            : () -> client.listContainersCmd().withShowAll(true).withIdFilter(List.of(id)).exec()
                                    .stream().map(Container::getId).findFirst().orElse("missing");
                    results.add(pool.submit(() -> {
                        go.await();
                        return call.call();
                    }));
                }
                go.countDown();
                for (Future<String> result : results) {
                    assertEquals(id, result.get(60, SECONDS));
                }
            }
            assertTrue(docker.tunnel().stats().totalConnections() > 1,
                    "the calls ran in parallel over several connections: " + docker.tunnel().stats());
        } finally {
            pool.shutdownNow();
            client.removeContainerCmd(id).withForce(true).exec();
            client.removeImageCmd(image).withForce(true).exec();
        }
    }

    @Test
    void aContainerFromAFreshlyBuiltImageRunsAndItsLogsComeBack() throws Exception {
        Requirements.requireExecutable(BUSYBOX.toString());
        try (RuntimeConnection<DockerClient> docker = DockerOverSsh.connect(target, options)) {
            DockerClient client = docker.client();
            buildBusyboxImage(client);
            String id = client.createContainerCmd(IMAGE).withCmd("/bin/busybox", "echo", "hello").exec().getId();
            try {
                client.startContainerCmd(id).exec();
                assertEquals(0, client.waitContainerCmd(id).start().awaitStatusCode(30, SECONDS));
                ByteArrayOutputStream stdout = new ByteArrayOutputStream();
                ResultCallback.Adapter<Frame> logs = client.logContainerCmd(id).withStdOut(true).withFollowStream(true)
                        .exec(new ResultCallback.Adapter<>() {
                            @Override
                            public void onNext(Frame frame) {
                                stdout.writeBytes(frame.getPayload());
                            }
                        });
                assertTrue(logs.awaitCompletion(30, SECONDS), "the log stream did not end");
                assertEquals("hello\n", stdout.toString(StandardCharsets.UTF_8));
            } finally {
                client.removeContainerCmd(id).withForce(true).exec();
            }
            assertThrows(NotFoundException.class, () -> client.inspectContainerCmd(id).exec());
            client.removeImageCmd(IMAGE).withForce(true).exec();
            assertThrows(NotFoundException.class, () -> direct.inspectImageCmd(IMAGE).exec());
        }
    }

    /** An attach with stdin is a hijacked connection (HTTP upgrade, then raw bytes both ways), through the tunnel. */
    @Test
    void attachWithStdinThroughTheTunnel() throws Exception {
        Requirements.requireExecutable(BUSYBOX.toString());
        try (RuntimeConnection<DockerClient> docker = DockerOverSsh.connect(target, options)) {
            DockerClient client = docker.client();
            buildBusyboxImage(client);
            // head exits after one line: docker-java's hijacked stream never half-closes stdin, so cat would not end
            String id = client.createContainerCmd(IMAGE).withCmd("/bin/busybox", "head", "-n", "1")
                    .withAttachStdin(true).withStdinOpen(true).withStdInOnce(true).exec().getId();
            try {
                ByteArrayOutputStream stdout = new ByteArrayOutputStream();
                ResultCallback.Adapter<Frame> attach = client.attachContainerCmd(id).withStdOut(true)
                        .withFollowStream(true)
                        .withStdIn(new ByteArrayInputStream("through ssh\n".getBytes(StandardCharsets.UTF_8)))
                        .exec(new ResultCallback.Adapter<>() {
                            @Override
                            public void onNext(Frame frame) {
                                stdout.writeBytes(frame.getPayload());
                            }
                        });
                assertTrue(attach.awaitStarted(30, SECONDS), "the attach was not upgraded");
                client.startContainerCmd(id).exec();
                assertTrue(attach.awaitCompletion(30, SECONDS), "the attach stream did not end");
                assertEquals("through ssh\n", stdout.toString(StandardCharsets.UTF_8));
                assertEquals(0, client.waitContainerCmd(id).start().awaitStatusCode(30, SECONDS));
            } finally {
                client.removeContainerCmd(id).withForce(true).exec();
                client.removeImageCmd(IMAGE).withForce(true).exec();
            }
        }
    }

    /**
     * Builds {@link #IMAGE} {@code FROM scratch} with nothing but a static busybox: no registry needed. (Not
     * {@code createImageCmd(repo, tarStream)}, docker import: docker-java 3.5.1 sends {@code {}} as its body.)
     */
    static void buildBusyboxImage(DockerClient client) throws IOException {
        buildBusyboxImage(client, IMAGE);
    }

    /** Builds {@code image} {@code FROM scratch} with nothing but a static busybox, and checks it is the one built. */
    static void buildBusyboxImage(DockerClient client, String image) throws IOException {
        Path context = Files.createTempDirectory("busybox-image");
        try {
            Files.copy(BUSYBOX, context.resolve("busybox"));
            Files.writeString(context.resolve("Dockerfile"), "FROM scratch\nCOPY busybox /bin/busybox\n");
            String id = client.buildImageCmd(context.toFile()).withTags(Set.of(image)).withNoCache(true).start()
                    .awaitImageId(120, SECONDS);
            String inspected = client.inspectImageCmd(image).exec().getId();
            assertTrue(inspected.startsWith("sha256:" + id), inspected + " is not the image built, " + id);
        } finally {
            Files.deleteIfExists(context.resolve("busybox"));
            Files.deleteIfExists(context.resolve("Dockerfile"));
            Files.deleteIfExists(context);
        }
    }

    @Test
    void closingClosesTheClientWhileTheTunnelIsOpenThenTheTunnel() throws Exception {
        ClosingOrder adapter = new ClosingOrder(new DockerAdapter());
        Path socket;
        DockerClient client;
        try (RuntimeConnection<DockerClient> docker = RuntimeConnection.open(adapter, target, options)) {
            socket = docker.tunnel().localSocket().orElseThrow();
            client = docker.client();
            client.pingCmd().exec();
        }
        assertEquals(List.of("client closed; tunnel socket exists: true"), adapter.events);
        assertFalse(Files.exists(socket), "the tunnel's socket is gone");
        assertThrows(RuntimeException.class, () -> client.pingCmd().exec(), "the client's pool is shut down");
    }

    @Test
    void aMissingRemoteSocketIsRemoteUnavailable() {
        SshTarget nope = SshTarget.parse("ssh://" + sshd.user() + "@" + sshd.host() + ":" + sshd.port()
                + "/run/nope.sock");
        RemoteUnavailableException e = assertThrows(RemoteUnavailableException.class,
                () -> DockerOverSsh.connect(nope, options));
        assertTrue(e.getMessage().contains("/run/nope.sock"), e.getMessage());

        RemoteUnavailableException viaBuilder = assertThrows(RemoteUnavailableException.class,
                () -> RuntimeConnection.open(new DockerAdapter(), Tunnel.to(SshTarget.of(sshd.user(), sshd.host(),
                        sshd.port()), RemoteEndpoint.unixSocket("/run/nope.sock")).options(options), Readiness.DEFAULT));
        assertTrue(viaBuilder.getMessage().contains("/run/nope.sock"), viaBuilder.getMessage());
    }

    /** The Docker adapter, noting at {@link #closeClient} whether the tunnel's socket still exists. */
    static final class ClosingOrder implements RuntimeAdapter<DockerClient> {
        final DockerAdapter delegate;
        final List<String> events = new ArrayList<>();
        Tunnel tunnel;

        ClosingOrder(DockerAdapter delegate) {
            this.delegate = delegate;
        }

        @Override
        public String name() {
            return delegate.name();
        }

        @Override
        public Class<DockerClient> clientType() {
            return delegate.clientType();
        }

        @Override
        public List<String> socketCandidates(int remoteUid) {
            return delegate.socketCandidates(remoteUid);
        }

        @Override
        public String environmentVariable() {
            return delegate.environmentVariable();
        }

        @Override
        public DockerClient createClient(Tunnel t) {
            this.tunnel = t;
            return delegate.createClient(t);
        }

        @Override
        public void checkReady(DockerClient client) throws IOException {
            delegate.checkReady(client);
        }

        @Override
        public void closeClient(DockerClient client) throws IOException {
            delegate.closeClient(client);
            events.add("client closed; tunnel socket exists: " + Files.exists(tunnel.localSocket().orElseThrow()));
        }
    }
}
