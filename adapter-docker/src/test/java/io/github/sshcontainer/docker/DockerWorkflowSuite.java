package io.github.sshcontainer.docker;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.PullImageResultCallback;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.Frame;
import io.github.sshcontainer.tunnel.RemoteUnavailableException;
import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.runtime.ContainerSummary;
import io.github.sshcontainer.tunnel.runtime.RuntimeConnection;
import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.Requirements;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Everyday Docker work with docker-java through {@link DockerOverSsh} over a real OpenSSH sshd to this machine's
 * dockerd: pull from a registry, save and load image tarballs, run containers and follow their logs, exec and attach
 * with stdin, the events stream, concurrent calls, and a user who may not use the socket. Needs dockerd and the local
 * registry seeded with {@code $SSHC_REGISTRY/busybox:latest} ({@code ci/start-services.sh}); the last test needs the
 * user {@code $SSHC_NODOCKER_USER} ({@code .ci/run}). Everything created is named with this run's {@link #RUN} and
 * removed again.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class DockerWorkflowSuite {
    static final Path DOCKER_SOCK = Path.of(envOr("DOCKER_SOCK", "/var/run/docker.sock"));
    static final String REGISTRY = envOr("SSHC_REGISTRY", "127.0.0.1:5000");
    static final String BUSYBOX = REGISTRY + "/busybox:latest";
    static final String NODOCKER_USER = envOr("SSHC_NODOCKER_USER", "sshc-nodocker");
    /** Unique per run: container names and image tags of this class start with it. */
    static final String RUN = "sshc-wf-" + UUID.randomUUID().toString().substring(0, 8);

    static OpenSshServer sshd;
    @TempDir
    static Path tmp;
    static SshOptions options;
    static RuntimeConnection<DockerClient> docker;
    static DockerClient client;
    static final List<String> containers = new CopyOnWriteArrayList<>();
    static final List<String> images = new CopyOnWriteArrayList<>();

    /** How this suite reaches dockerd: through the private local socket, or in-process. */
    abstract RuntimeConnection<DockerClient> connect(SshTarget target, SshOptions ssh) throws IOException;

    @BeforeAll
    void start() throws IOException {
        Requirements.requireUnixSocket(DOCKER_SOCK);
        Requirements.require(registryAnswers(), "no registry answers at http://" + REGISTRY + "/v2/ (ci/start-services.sh)");
        // as in DockerSocketIT: NODOCKER_USER reads its authorized keys with its own rights, so it gets a readable copy
        Path publicKeys = tmp.resolve("authorized_keys_any_user");
        sshd = OpenSshServer.startOrSkip(OpenSshServer.builder()
                .extraConfig("Match User " + NODOCKER_USER)
                .extraConfig("AuthorizedKeysFile " + publicKeys));
        Files.copy(sshd.dir().resolve("authorized_keys"), publicKeys);
        Files.setPosixFilePermissions(publicKeys, PosixFilePermissions.fromString("rw-r--r--"));
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
        Path knownHosts = tmp.resolve("known_hosts");
        options = sshd.clientOptions(knownHosts).build();
        docker = connect(target(sshd.user()), options);
        client = docker.client();
    }

    @AfterAll
    void stop() throws IOException {
        if (client != null) {
            for (String id : containers) {
                try {
                    client.removeContainerCmd(id).withForce(true).exec();
                } catch (NotFoundException gone) {
                    // removed by its test
                }
            }
            for (String image : images) {
                try {
                    client.removeImageCmd(image).withForce(true).exec();
                } catch (NotFoundException gone) {
                    // removed by its test
                }
            }
        }
        if (docker != null) {
            docker.close();
        }
        if (sshd != null) {
            sshd.close();
        }
    }

    static SshTarget target(String user) {
        return SshTarget.parse("ssh://" + user + "@" + sshd.host() + ":" + sshd.port() + DOCKER_SOCK);
    }

    static String envOr(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isEmpty() ? fallback : value;
    }

    static boolean registryAnswers() {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create("http://" + REGISTRY + "/v2/").toURL().openConnection();
            c.setConnectTimeout(2000);
            c.setReadTimeout(2000);
            return c.getResponseCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    /** The registry's digest of {@code busybox:latest} (its {@code Docker-Content-Digest} header). */
    static String registryDigest() throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create("http://" + REGISTRY + "/v2/busybox/manifests/latest")
                .toURL().openConnection();
        c.setRequestMethod("HEAD");
        c.setRequestProperty("Accept", "application/vnd.docker.distribution.manifest.v2+json");
        assertEquals(200, c.getResponseCode(), "HEAD busybox manifest");
        return c.getHeaderField("Docker-Content-Digest");
    }

    /** Pulls {@link #BUSYBOX} unless the daemon has it (the other tests use it; the pull test removes it first). */
    static void ensureBusybox() throws InterruptedException {
        try {
            client.inspectImageCmd(BUSYBOX).exec();
        } catch (NotFoundException e) {
            assertTrue(client.pullImageCmd(BUSYBOX).exec(new PullImageResultCallback()).awaitCompletion(60, SECONDS),
                    "pull did not finish in 60 s");
        }
    }

    /** Creates a container named {@code RUN-suffix} from {@link #BUSYBOX}, noted for removal. */
    static String create(String suffix, boolean stdin, String... cmd) throws InterruptedException {
        ensureBusybox();
        String id = client.createContainerCmd(BUSYBOX).withName(RUN + "-" + suffix).withCmd(cmd)
                .withAttachStdin(stdin).withStdinOpen(stdin).exec().getId();
        containers.add(id);
        return id;
    }

    static void remove(String id) {
        client.removeContainerCmd(id).withForce(true).exec();
        assertThrows(NotFoundException.class, () -> client.inspectContainerCmd(id).exec());
        containers.remove(id);
    }

    // ------------------------------------------------------------------------------------------------ images

    @Test
    void pullFromTheLocalRegistry() throws Exception {
        try {
            client.removeImageCmd(BUSYBOX).exec(); // not forced: left alone while a container uses it
        } catch (NotFoundException | ConflictException e) {
            // not there, or in use: the pull below then finds it up to date
        }
        List<String> statuses = new CopyOnWriteArrayList<>();
        PullImageResultCallback pull = client.pullImageCmd(REGISTRY + "/busybox").withTag("latest")
                .exec(new PullImageResultCallback() {
                    @Override
                    public void onNext(com.github.dockerjava.api.model.PullResponseItem item) {
                        statuses.add(String.valueOf(item.getStatus()));
                        super.onNext(item);
                    }
                });
        assertTrue(pull.awaitCompletion(60, SECONDS), "pull did not finish in 60 s: " + statuses);
        assertTrue(statuses.stream().anyMatch(s -> s.startsWith("Digest: sha256:")), statuses::toString);
        List<String> repoDigests = client.inspectImageCmd(BUSYBOX).exec().getRepoDigests();
        assertTrue(repoDigests.contains(REGISTRY + "/busybox@" + registryDigest()), repoDigests::toString);
    }

    @Test
    void saveAnImage() throws Exception {
        ensureBusybox();
        byte[] saved;
        try (InputStream in = client.saveImageCmd(BUSYBOX).exec()) {
            saved = in.readAllBytes();
        }
        Map<String, byte[]> entries = Tar.read(saved);
        String manifest = new String(entries.get("manifest.json"), StandardCharsets.UTF_8);
        assertTrue(manifest.contains("\"" + BUSYBOX + "\""), manifest);
        long layers = entries.keySet().stream().filter(name -> name.endsWith("/layer.tar")).count();
        assertEquals(1, layers, entries.keySet()::toString);
    }

    /**
     * A 20 MiB image goes through the tunnel three times: as a build context, loaded from a tarball, and saved back;
     * what {@code docker save} gives after the load is byte for byte the tarball that was loaded.
     */
    @Test
    void loadATwentyMebibyteImageAndSaveItBackIdentical() throws Exception {
        ensureBusybox();
        String tag = "sshc-test/big:" + RUN;
        byte[] blob = new byte[20 << 20];
        new Random(42).nextBytes(blob); // incompressible
        byte[] context = Tar.write(Map.of(
                "Dockerfile", ("FROM " + BUSYBOX + "\nCOPY blob /blob\n").getBytes(StandardCharsets.UTF_8),
                "blob", blob));
        images.add(tag);
        client.buildImageCmd().withTarInputStream(new ByteArrayInputStream(context)).withTags(Set.of(tag)).start()
                .awaitImageId(120, SECONDS);
        byte[] built;
        try (InputStream in = client.saveImageCmd(tag).exec()) {
            built = in.readAllBytes();
        }
        assertTrue(built.length >= blob.length, "saved only " + built.length + " bytes");
        String imageId = client.inspectImageCmd(tag).exec().getId();

        client.removeImageCmd(tag).withForce(true).exec();
        assertThrows(NotFoundException.class, () -> client.inspectImageCmd(tag).exec());
        client.loadImageCmd(new ByteArrayInputStream(built)).exec();
        assertEquals(imageId, client.inspectImageCmd(tag).exec().getId(), "the loaded image has the built one's ID");

        byte[] again;
        try (InputStream in = client.saveImageCmd(tag).exec()) {
            again = in.readAllBytes();
        }
        assertEquals(built.length, again.length, "size of the second save");
        assertArrayEquals(built, again, "the image saved after loading differs from the tarball loaded");

        client.removeImageCmd(tag).withForce(true).exec();
        images.remove(tag);
    }

    // ------------------------------------------------------------------------------------------------ containers

    @Test
    void runAContainerAndFollowItsLogsAsTheyAreWritten() throws Exception {
        String id = create("logs", false, "sh", "-c", "echo one; sleep 1; echo two");
        client.startContainerCmd(id).exec();
        List<String> lines = new CopyOnWriteArrayList<>();
        List<Long> arrivals = new CopyOnWriteArrayList<>();
        ResultCallback.Adapter<Frame> logs = client.logContainerCmd(id).withStdOut(true).withStdErr(true)
                .withFollowStream(true).exec(new ResultCallback.Adapter<>() {
                    @Override
                    public void onNext(Frame frame) {
                        lines.add(new String(frame.getPayload(), StandardCharsets.UTF_8));
                        arrivals.add(System.nanoTime());
                    }
                });
        assertTrue(logs.awaitCompletion(30, SECONDS), "the followed log did not end with the container");
        assertEquals("one\ntwo\n", String.join("", lines));
        assertEquals(List.of("one\n", "two\n"), lines, "one frame per line");
        long apart = TimeUnit.NANOSECONDS.toMillis(arrivals.get(1) - arrivals.get(0));
        assertTrue(apart >= 500, "\"one\" came while the container ran, a second before \"two\": " + apart + " ms apart");
        assertEquals(0, client.waitContainerCmd(id).start().awaitStatusCode(30, SECONDS));
        remove(id);
    }

    @Test
    void theAdapterListsRunningAndStoppedContainers() throws Exception {
        String id = create("ps", false, "sleep", "60");
        client.startContainerCmd(id).exec();
        ContainerSummary running = find(docker.adapter().listContainers(client, false), id);
        assertEquals("running", running.state());
        assertTrue(running.status().startsWith("Up"), running.status());
        assertEquals(List.of(RUN + "-ps"), running.names(), "names without Docker's leading /");
        assertEquals(BUSYBOX, running.image());
        assertEquals(id.substring(0, 12), running.shortId());

        client.killContainerCmd(id).exec();
        assertEquals(137, client.waitContainerCmd(id).start().awaitStatusCode(30, SECONDS));
        assertTrue(docker.adapter().listContainers(client, false).stream().noneMatch(c -> c.id().equals(id)),
                "a stopped container is not listed without all");
        assertEquals("exited", find(docker.adapter().listContainers(client, true), id).state());
        remove(id);
    }

    private static ContainerSummary find(List<ContainerSummary> list, String id) {
        return list.stream().filter(c -> c.id().equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError(id + " not in " + list));
    }

    @Test
    void execWithStdinAndStdout() throws Exception {
        String id = create("exec", false, "sleep", "60");
        client.startContainerCmd(id).exec();
        String exec = client.execCreateCmd(id).withAttachStdin(true).withAttachStdout(true)
                .withCmd("head", "-n", "3").exec().getId();
        PipedOutputStream stdin = new PipedOutputStream();
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ResultCallback.Adapter<Frame> started = client.execStartCmd(exec).withStdIn(new PipedInputStream(stdin))
                .exec(new ResultCallback.Adapter<>() {
                    @Override
                    public void onNext(Frame frame) {
                        synchronized (stdout) {
                            stdout.writeBytes(frame.getPayload());
                        }
                    }
                });
        assertTrue(started.awaitStarted(30, SECONDS), "the exec was not upgraded");
        for (String line : List.of("first\n", "second\n", "third\n")) {
            stdin.write(line.getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        }
        stdin.close();
        assertTrue(started.awaitCompletion(30, SECONDS), "the exec stream did not end after head's third line");
        synchronized (stdout) {
            assertEquals("first\nsecond\nthird\n", stdout.toString(StandardCharsets.UTF_8));
        }
        assertEquals(0L, client.inspectExecCmd(exec).exec().getExitCodeLong());
        remove(id);
    }

    /** Attach to a running shell and talk with it line by line: each answer comes before the next line is sent. */
    @Test
    void attachToARunningContainer() throws Exception {
        String id = create("attach", true, "sh", "-c",
                "while read line; do [ \"$line\" = quit ] && exit 0; echo \"got $line\"; done");
        client.startContainerCmd(id).exec();
        PipedOutputStream stdin = new PipedOutputStream();
        StringBuffer stdout = new StringBuffer();
        ResultCallback.Adapter<Frame> attach = client.attachContainerCmd(id).withStdOut(true).withFollowStream(true)
                .withStdIn(new PipedInputStream(stdin)).exec(new ResultCallback.Adapter<>() {
                    @Override
                    public void onNext(Frame frame) {
                        stdout.append(new String(frame.getPayload(), StandardCharsets.UTF_8));
                    }
                });
        assertTrue(attach.awaitStarted(30, SECONDS), "the attach was not upgraded");
        String expected = "";
        for (String word : List.of("alpha", "beta", "gamma")) {
            stdin.write((word + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
            expected += "got " + word + "\n";
            String want = expected;
            awaitTrue(() -> stdout.toString().equals(want), Duration.ofSeconds(10), () -> "answer to " + word
                    + ", so far: " + stdout);
        }
        stdin.write("quit\n".getBytes(StandardCharsets.UTF_8));
        stdin.close();
        assertTrue(attach.awaitCompletion(30, SECONDS), "the attach stream did not end with the container");
        assertEquals(0, client.waitContainerCmd(id).start().awaitStatusCode(30, SECONDS));
        remove(id);
    }

    @Test
    void theEventsStreamShowsStartAndDie() throws Exception {
        String id = create("events", false, "sleep", "60");
        long since = System.currentTimeMillis() / 1000 - 1; // replays from here: nothing is missed while subscribing
        List<String> actions = new CopyOnWriteArrayList<>();
        CountDownLatch died = new CountDownLatch(1);
        CountDownLatch stopped = new CountDownLatch(1);
        ResultCallback.Adapter<Event> events = client.eventsCmd().withSince(Long.toString(since))
                .withContainerFilter(id).exec(new ResultCallback.Adapter<>() {
                    @Override
                    public void onNext(Event event) {
                        actions.add(event.getAction());
                        if ("die".equals(event.getAction())) {
                            died.countDown();
                        } else if ("stop".equals(event.getAction())) {
                            stopped.countDown();
                        }
                    }
                });
        long t0 = System.nanoTime();
        client.startContainerCmd(id).exec();
        client.stopContainerCmd(id).withTimeout(1).exec(); // sleep as PID 1 ignores SIGTERM: killed after 1 s
        assertTrue(died.await(10, SECONDS), "no die event within 10 s; events so far: " + actions);
        assertTrue(actions.contains("start") && actions.indexOf("start") < actions.indexOf("die"), actions::toString);
        assertTrue(System.nanoTime() - t0 < SECONDS.toNanos(10));
        // "stop" follows "die" (docker reports the stop request done after the container died): the last one
        assertTrue(stopped.await(10, SECONDS), "no stop event within 10 s; events so far: " + actions);
        events.close();
        assertTrue(events.awaitCompletion(5, SECONDS), "the closed stream did not complete");
        remove(id); // a "destroy" event, which the closed stream must not deliver
        Thread.sleep(500);
        assertTrue(!actions.contains("destroy"), "events after close: " + actions);
    }

    @Test
    void fiftyConcurrentInspects() throws Exception {
        String id = create("inspect", false, "true");
        int calls = 50;
        ExecutorService pool = Executors.newFixedThreadPool(calls);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                results.add(pool.submit(() -> {
                    go.await();
                    return client.inspectContainerCmd(id).exec().getName();
                }));
            }
            go.countDown();
            for (Future<String> result : results) {
                assertEquals("/" + RUN + "-inspect", result.get(60, SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
        remove(id);
    }

    // ------------------------------------------------------------------------------------------------ access

    @Test
    void aUserWithoutAccessToTheSocketGetsPermissionDenied() throws Exception {
        Requirements.require(userExists(NODOCKER_USER),
                "no local user " + NODOCKER_USER + " (.ci/run creates it; see SSHC_NODOCKER_USER)");
        RemoteUnavailableException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(RemoteUnavailableException.class,
                        () -> connect(target(NODOCKER_USER), options).close()));
        assertTrue(e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("permission denied"), e.getMessage());
    }

    static boolean userExists(String user) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("id", "-u", user).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return p.waitFor(10, SECONDS) && p.exitValue() == 0;
    }

    static void awaitTrue(BooleanSupplier condition, Duration timeout, java.util.function.Supplier<String> message)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for " + message.get());
            }
            Thread.sleep(10);
        }
    }

    /** Just enough of ustar to write a build context and read {@code docker save} output (regular files only). */
    static final class Tar {
        private Tar() {
        }

        static byte[] write(Map<String, byte[]> files) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (Map.Entry<String, byte[]> file : files.entrySet()) {
                byte[] header = new byte[512];
                put(header, 0, 100, file.getKey());
                put(header, 100, 8, String.format("%07o", 0644));
                put(header, 108, 8, String.format("%07o", 0));
                put(header, 116, 8, String.format("%07o", 0));
                put(header, 124, 12, String.format("%011o", file.getValue().length));
                put(header, 136, 12, String.format("%011o", 0));
                header[156] = '0';
                put(header, 257, 8, "ustar\00000");
                java.util.Arrays.fill(header, 148, 156, (byte) ' ');
                int sum = 0;
                for (byte b : header) {
                    sum += b & 0xff;
                }
                put(header, 148, 8, String.format("%06o", sum) + "\0 ");
                out.writeBytes(header);
                out.writeBytes(file.getValue());
                out.writeBytes(new byte[(512 - file.getValue().length % 512) % 512]);
            }
            out.writeBytes(new byte[1024]);
            return out.toByteArray();
        }

        private static void put(byte[] header, int offset, int length, String value) {
            byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(bytes, 0, header, offset, Math.min(bytes.length, length));
        }

        /** Name to content of every entry (directories and links with empty content). */
        static Map<String, byte[]> read(byte[] tar) {
            Map<String, byte[]> entries = new LinkedHashMap<>();
            int at = 0;
            while (at + 512 <= tar.length && tar[at] != 0) {
                String name = field(tar, at, 100);
                String prefix = field(tar, at + 345, 155);
                if (!prefix.isEmpty()) {
                    name = prefix + "/" + name;
                }
                String size = field(tar, at + 124, 12).trim();
                int length = size.isEmpty() ? 0 : Integer.parseInt(size, 8);
                entries.put(name, java.util.Arrays.copyOfRange(tar, at + 512, at + 512 + length));
                at += 512 + (length + 511) / 512 * 512;
            }
            return entries;
        }

        private static String field(byte[] tar, int offset, int length) {
            int end = offset;
            while (end < offset + length && tar[end] != 0) {
                end++;
            }
            return new String(tar, offset, end - offset, StandardCharsets.US_ASCII);
        }
    }
}
