package io.github.sshcontainer.docker;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectExecResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
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
 * docker-java over {@link TunnelDockerHttpClient}: through a real OpenSSH sshd to this machine's real dockerd, with an
 * in-process-only tunnel (no socket file, no port). Hijacked streams half-close: {@code cat} with attached stdin ends.
 * Needs a running dockerd ({@code ci/start-services.sh}) and a static busybox at {@code /bin/busybox}.
 */
class InProcessDockerIT {
    static final Path DOCKER_SOCK = DockerAdapterIT.DOCKER_SOCK;
    static final Path BUSYBOX = DockerAdapterIT.BUSYBOX;
    static final String IMAGE = "sshc-test/busybox-inproc:1";

    static OpenSshServer sshd;
    @TempDir
    static Path tmp;
    static SshOptions options;
    static SshTarget target;
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
                direct.removeImageCmd(IMAGE).withForce(true).exec();
            } catch (NotFoundException expected) {
                // the tests removed it
            }
            direct.close();
        }
        if (sshd != null) {
            sshd.close();
        }
    }

    static TunnelDockerHttpClient httpClientOf(DockerClient client) {
        return assertInstanceOf(TunnelDockerHttpClient.class, ((DockerClientImpl) client).getHttpClient());
    }

    @Test
    void pingVersionAndInfoWithoutASocketFile() throws Exception {
        try (RuntimeConnection<DockerClient> docker = DockerOverSsh.connectInProcess(target, options)) {
            assertTrue(docker.tunnel().localSocket().isEmpty(), "no socket file");
            assertTrue(docker.tunnel().localTcpAddress().isEmpty(), "no port");
            assertThrows(IllegalStateException.class, docker::environmentLine);
            DockerClient client = docker.client();
            client.pingCmd().exec();
            assertEquals(DockerAdapterIT.directApiVersion(), client.versionCmd().exec().getApiVersion());
            String id = client.infoCmd().exec().getId();
            assertFalse(id == null || id.isEmpty(), "no daemon ID in info");
            assertEquals(direct.infoCmd().exec().getId(), id);
        }
    }

    @Test
    void sequentialCallsReuseOneConnection() throws Exception {
        try (RuntimeConnection<DockerClient> docker = DockerOverSsh.connectInProcess(target, options)) {
            DockerClient client = docker.client();
            TunnelDockerHttpClient http = httpClientOf(client);
            long before = http.connectionsOpened();
            for (int i = 0; i < 20; i++) {
                client.pingCmd().exec();
                client.versionCmd().exec();
                client.listContainersCmd().withShowAll(true).exec();
                client.listImagesCmd().exec();
                assertThrows(NotFoundException.class, () -> client.inspectContainerCmd("sshc-no-such").exec());
            }
            assertTrue(http.connectionsOpened() - before <= 1, "opened " + (http.connectionsOpened() - before)
                    + " connections for 100 sequential calls");
            assertTrue(http.connectionsReused() >= 99, "reused " + http.connectionsReused());
        }
    }

    @Test
    void fiftyConcurrentCallsAllSucceed() throws Exception {
        Requirements.requireExecutable(BUSYBOX.toString());
        try (RuntimeConnection<DockerClient> docker = DockerOverSsh.connectInProcess(target, options)) {
            DockerAdapterIT.concurrentCalls(docker, IMAGE, 50, 2);
        }
    }

    @Test
    void aContainerRunsAndItsFollowedLogsComeBack() throws Exception {
        Requirements.requireExecutable(BUSYBOX.toString());
        try (RuntimeConnection<DockerClient> docker = DockerOverSsh.connectInProcess(target, options)) {
            DockerClient client = docker.client();
            buildBusyboxImage(client);
            String id = client.createContainerCmd(IMAGE)
                    .withCmd("/bin/busybox", "sh", "-c", "for i in 1 2 3; do echo line $i; sleep 0.2; done")
                    .exec().getId();
            try {
                client.startContainerCmd(id).exec();
                ByteArrayOutputStream stdout = new ByteArrayOutputStream();
                ResultCallback.Adapter<Frame> logs = client.logContainerCmd(id).withStdOut(true).withFollowStream(true)
                        .exec(collectInto(stdout));
                assertTrue(logs.awaitCompletion(30, SECONDS), "the log stream did not end");
                assertEquals("line 1\nline 2\nline 3\n", text(stdout));
                assertEquals(0, client.waitContainerCmd(id).start().awaitStatusCode(30, SECONDS));
            } finally {
                client.removeContainerCmd(id).withForce(true).exec();
            }
            assertThrows(NotFoundException.class, () -> client.inspectContainerCmd(id).exec());
            client.removeImageCmd(IMAGE).withForce(true).exec();
            assertThrows(NotFoundException.class, () -> direct.inspectImageCmd(IMAGE).exec());
        }
    }

    /**
     * The half-close proof: {@code cat} in an exec reads stdin until end-of-file. Closing our stdin must reach it as
     * end-of-file (docker-java's own transports never half-close, so there cat would never end).
     */
    @Test
    void execCatWithStdinEndsWhenStdinIsClosed() throws Exception {
        Requirements.requireExecutable(BUSYBOX.toString());
        try (RuntimeConnection<DockerClient> docker = DockerOverSsh.connectInProcess(target, options)) {
            DockerClient client = docker.client();
            buildBusyboxImage(client);
            String id = client.createContainerCmd(IMAGE).withCmd("/bin/busybox", "sleep", "120").exec().getId();
            try {
                client.startContainerCmd(id).exec();
                String exec = client.execCreateCmd(id).withCmd("/bin/busybox", "cat").withAttachStdin(true)
                        .withAttachStdout(true).withAttachStderr(true).exec().getId();
                PipedOutputStream stdinWriter = new PipedOutputStream();
                PipedInputStream stdin = new PipedInputStream(stdinWriter, 64 * 1024);
                ByteArrayOutputStream stdout = new ByteArrayOutputStream();
                ResultCallback.Adapter<Frame> started = client.execStartCmd(exec).withStdIn(stdin)
                        .exec(collectInto(stdout));
                assertTrue(started.awaitStarted(30, SECONDS), "the exec was not upgraded");
                StringBuilder expected = new StringBuilder();
                for (int i = 1; i <= 100; i++) {
                    String line = "line " + i + " through ssh, no socket file\n";
                    expected.append(line);
                    stdinWriter.write(line.getBytes(StandardCharsets.UTF_8));
                }
                stdinWriter.close();
                assertTrue(started.awaitCompletion(30, SECONDS), "cat did not end: stdin was not half-closed");
                assertEquals(expected.toString(), text(stdout));
                InspectExecResponse inspected = awaitExecEnd(client, exec);
                assertEquals(0L, inspected.getExitCodeLong());
            } finally {
                client.removeContainerCmd(id).withForce(true).exec();
                client.removeImageCmd(IMAGE).withForce(true).exec();
            }
        }
    }

    @Test
    void attachWithStdinToCatEndsWhenStdinEnds() throws Exception {
        Requirements.requireExecutable(BUSYBOX.toString());
        try (RuntimeConnection<DockerClient> docker = DockerOverSsh.connectInProcess(target, options)) {
            DockerClient client = docker.client();
            buildBusyboxImage(client);
            String id = client.createContainerCmd(IMAGE).withCmd("/bin/busybox", "cat")
                    .withAttachStdin(true).withStdinOpen(true).withStdInOnce(true).exec().getId();
            try {
                PipedOutputStream stdinWriter = new PipedOutputStream();
                PipedInputStream stdin = new PipedInputStream(stdinWriter);
                ByteArrayOutputStream stdout = new ByteArrayOutputStream();
                ResultCallback.Adapter<Frame> attach = client.attachContainerCmd(id).withStdOut(true)
                        .withStdErr(true).withFollowStream(true).withStdIn(stdin).exec(collectInto(stdout));
                assertTrue(attach.awaitStarted(30, SECONDS), "the attach was not upgraded");
                client.startContainerCmd(id).exec();
                stdinWriter.write("first\nsecond\n".getBytes(StandardCharsets.UTF_8));
                stdinWriter.close();
                assertTrue(attach.awaitCompletion(30, SECONDS), "the attach stream did not end");
                assertEquals("first\nsecond\n", text(stdout));
                assertEquals(0, client.waitContainerCmd(id).start().awaitStatusCode(30, SECONDS));
            } finally {
                client.removeContainerCmd(id).withForce(true).exec();
                client.removeImageCmd(IMAGE).withForce(true).exec();
            }
        }
    }

    /** Closing a followed log stream of a container that keeps running ends it at once; the client still works. */
    @Test
    void closingAnEndlessStreamEndsIt() throws Exception {
        Requirements.requireExecutable(BUSYBOX.toString());
        try (RuntimeConnection<DockerClient> docker = DockerOverSsh.connectInProcess(target, options)) {
            DockerClient client = docker.client();
            buildBusyboxImage(client);
            String id = client.createContainerCmd(IMAGE)
                    .withCmd("/bin/busybox", "sh", "-c", "while true; do echo tick; sleep 0.1; done").exec().getId();
            try {
                client.startContainerCmd(id).exec();
                CountDownLatch ticks = new CountDownLatch(3);
                ResultCallback.Adapter<Frame> logs = client.logContainerCmd(id).withStdOut(true).withFollowStream(true)
                        .exec(new ResultCallback.Adapter<>() {
                            @Override
                            public void onNext(Frame frame) {
                                ticks.countDown();
                            }
                        });
                assertTrue(ticks.await(30, SECONDS), "no ticks");
                logs.close();
                assertTrue(logs.awaitCompletion(10, SECONDS), "the closed stream did not end");
                client.pingCmd().exec();
            } finally {
                client.removeContainerCmd(id).withForce(true).exec();
                client.removeImageCmd(IMAGE).withForce(true).exec();
            }
        }
    }

    static InspectExecResponse awaitExecEnd(DockerClient client, String exec) throws InterruptedException {
        long deadline = System.nanoTime() + SECONDS.toNanos(30);
        InspectExecResponse r = client.inspectExecCmd(exec).exec();
        while (Boolean.TRUE.equals(r.isRunning()) && System.nanoTime() < deadline) {
            Thread.sleep(50);
            r = client.inspectExecCmd(exec).exec();
        }
        assertFalse(Boolean.TRUE.equals(r.isRunning()), "the exec is still running");
        return r;
    }

    static ResultCallback.Adapter<Frame> collectInto(ByteArrayOutputStream out) {
        return new ResultCallback.Adapter<>() {
            @Override
            public void onNext(Frame frame) {
                synchronized (out) {
                    out.writeBytes(frame.getPayload());
                }
            }
        };
    }

    static String text(ByteArrayOutputStream out) {
        synchronized (out) {
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    /** {@link #IMAGE} {@code FROM scratch} with a static busybox; the build context goes up as a chunked body. */
    static void buildBusyboxImage(DockerClient client) throws IOException {
        DockerAdapterIT.buildBusyboxImage(client, IMAGE);
    }
}
