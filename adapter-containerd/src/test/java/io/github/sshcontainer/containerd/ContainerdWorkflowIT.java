package io.github.sshcontainer.containerd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import io.github.sshcontainer.containerd.api.events.TaskExit;
import io.github.sshcontainer.containerd.api.events.TaskStart;
import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.runtime.ContainerSummary;
import io.github.sshcontainer.tunnel.runtime.RuntimeConnection;
import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.Requirements;
import io.grpc.Status;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole containerd workflow through a real OpenSSH sshd to this machine's containerd ({@code
 * ci/start-services.sh}), in a namespace of its own that is deleted at the end: import busybox (an OCI layout built
 * from the local registry's blobs, and a {@code docker save} archive), run tasks from it and read their output back
 * over SSH, kill one, watch the events, pull through CRI, list containers for {@code ps}, and the errors.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ContainerdWorkflowIT {
    static final Path SOCK = Path.of("/run/containerd/containerd.sock");
    static final String NS = "sshc-it-" + UUID.randomUUID().toString().substring(0, 8);
    static final String IMAGE = "sshc.test/busybox-oci:" + NS;
    static final String OUT_DIR = "/tmp/sshc-ctrd-it-" + NS;

    static OpenSshServer sshd;
    @TempDir
    static Path tmp;
    static SshOptions options;
    static SshTarget target;
    static RuntimeConnection<ContainerdClient> connection;
    static ContainerdClient client;
    static RemoteFiles files;

    @BeforeAll
    static void start() throws Exception {
        Requirements.requireUnixSocket(SOCK);
        sshd = OpenSshServer.startOrSkip(OpenSshServer.builder());
        options = sshd.clientOptions(tmp.resolve("known_hosts")).build();
        target = sshd.target();
        connection = RuntimeConnection.open(new ContainerdAdapter().withNamespace(NS), target, options);
        client = connection.client();
        files = new RemoteFiles(target, options);
        client.importer().importArchive(TestImages.ociLayout(tmp, IMAGE));
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (client != null) {
                cleanUp(client);
                List<String> left = ContainerdAdapterIT.names(client.namespaces());
                assertFalse(left.contains(NS), "namespace " + NS + " is left behind");
            }
        } finally {
            if (connection != null) {
                connection.close();
            }
            if (sshd != null) {
                sshd.close();
            }
        }
    }

    /** Deletes everything the tests made in {@link #NS}, then the namespace (which containerd refuses while not empty). */
    static void cleanUp(ContainerdClient c) throws Exception {
        for (Containers.Info info : c.containers().list()) {
            c.runner().remove(info.id());
        }
        for (ContainerdImages.Image image : c.images().list()) {
            c.images().delete(image.name(), true);
        }
        for (String lease : c.leases().list()) {
            c.leases().delete(lease, true);
        }
        files.deleteEmptyDirectory(OUT_DIR);
        c.deleteNamespace(NS);
    }

    static String id(String what) {
        return what + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Runs {@code args} in a fresh container, reads its output over SSH, removes the container. */
    static Ran run(String... args) throws Exception {
        String id = id("run");
        String out = OUT_DIR + "/" + id + ".log";
        client.runner().create(id, IMAGE, RuntimeSpec.of(args));
        try {
            Tasks.Exit exit = client.runner().run(id, out, Duration.ofSeconds(30));
            String text = new String(files.read(out, 1 << 20), StandardCharsets.UTF_8);
            return new Ran(id, exit.status(), text);
        } finally {
            try {
                client.runner().remove(id);
            } finally {
                files.delete(out);
            }
        }
    }

    record Ran(String id, int status, String output) {
    }

    @Test
    @Order(1)
    void theImportedImageIsUnpackedUnderItsChainId() throws Exception {
        assertTrue(client.serving(), "containerd's health service says SERVING");
        ContainerdImages.Image image = client.images().get(IMAGE);
        assertEquals("application/vnd.docker.distribution.manifest.v2+json", image.target().mediaType());
        String top = client.runner().topChainId(IMAGE);
        Snapshots.Info snapshot = client.snapshots().stat(top).orElseThrow();
        assertEquals("COMMITTED", snapshot.kind());
        assertTrue(Digests.isSha256(top), top);
        // the config carries the label that keeps the snapshot as long as the image
        assertTrue(client.content().list().size() >= 3, "manifest, config and layer are in the content store");
        assertTrue(client.leases().list().isEmpty(), "the import lease is deleted");
    }

    @Test
    @Order(2)
    void echoHelloRunsAsATaskAndItsOutputComesBack() throws Exception {
        Ran ran = run("echo", "hello");
        assertEquals(0, ran.status());
        assertEquals("hello\n", ran.output());
    }

    @Test
    @Order(3)
    void aTaskExitingThreeReportsThree() throws Exception {
        Ran ran = run("sh", "-c", "echo to-stderr >&2; exit 3");
        assertEquals(3, ran.status());
        assertEquals("to-stderr\n", ran.output(), "stderr goes to the same file");
    }

    @Test
    @Order(4)
    void aSleepingTaskIsListedRunningThenKilled() throws Exception {
        String id = id("sleep");
        ContainerdAdapter adapter = new ContainerdAdapter();
        try {
            client.runner().create(id, IMAGE, RuntimeSpec.of("sleep", "60"));
            List<ContainerSummary> all = adapter.listContainers(client, true);
            assertEquals(List.of(new ContainerSummary(id, IMAGE, "created", "created (no task)", List.of())), all);
            assertTrue(adapter.listContainers(client, false).isEmpty(), "nothing runs yet");

            int pid = client.runner().start(id, OUT_DIR + "/" + id + ".log");
            assertTrue(pid > 0);
            assertEquals("running", client.tasks().find(id).orElseThrow().status());
            List<ContainerSummary> running = adapter.listContainers(client, false);
            assertEquals(1, running.size(), running.toString());
            assertEquals(id, running.get(0).id());
            assertTrue(running.get(0).running());
            assertEquals(List.of(), running.get(0).names());
            // containerd's own CLI through the same forwarded socket sees the task
            Path forwarded = connection.tunnel().localSocket().orElseThrow();
            if (Files.isExecutable(Path.of("/usr/bin/ctr"))) {
                String ctr = TestImages.run("/usr/bin/ctr", "--address", forwarded.toString(), "--namespace", NS,
                        "tasks", "ls");
                assertTrue(ctr.lines().anyMatch(l -> l.startsWith(id) && l.contains("RUNNING")), ctr);
            }

            ContainerdException stillRunning = assertThrows(ContainerdException.class,
                    () -> client.tasks().await(id, Duration.ofMillis(300)));
            assertEquals(Status.Code.DEADLINE_EXCEEDED, stillRunning.code());

            client.tasks().kill(id, Tasks.SIGKILL, false);
            assertEquals(128 + 9, client.tasks().await(id, Duration.ofSeconds(20)).status());
            assertEquals("stopped", adapter.listContainers(client, true).get(0).state());
            assertEquals(137, client.tasks().delete(id).status());
        } finally {
            try {
                client.runner().remove(id);
            } finally {
                files.delete(OUT_DIR + "/" + id + ".log");
            }
        }
        assertTrue(client.containers().find(id).isEmpty());
        assertTrue(client.snapshots().stat(id).isEmpty(), "the container's snapshot is removed");
    }

    @Test
    @Order(5)
    void eventsShowTheTaskLifecycle() throws Exception {
        List<Events.Event> seen = new ArrayList<>();
        Ran ran;
        try (Events.Subscription events = client.events().subscribe("namespace==\"" + NS + "\"")) {
            ran = run("echo", "events");
            while (seen.stream().noneMatch(e -> e.topic().equals("/containers/delete"))) {
                Optional<Events.Event> e = events.next(Duration.ofSeconds(10));
                assertTrue(e.isPresent(), "no /containers/delete event; saw " + topics(seen));
                seen.add(e.get());
            }
        }
        assertEquals(0, ran.status());
        List<String> topics = topics(seen).stream().filter(t -> t.startsWith("/tasks/") || t.startsWith("/containers/"))
                .toList();
        assertEquals(List.of("/containers/create", "/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete",
                "/containers/delete"), topics);
        seen.forEach(e -> assertEquals(NS, e.namespace()));
        TaskExit exit = seen.stream().flatMap(e -> e.payload(TaskExit.class).stream()).findFirst().orElseThrow();
        assertEquals(ran.id(), exit.getContainerId());
        assertEquals(0, exit.getExitStatus());
        TaskStart started = seen.stream().flatMap(e -> e.payload(TaskStart.class).stream()).findFirst().orElseThrow();
        assertEquals(exit.getPid(), started.getPid());
        assertEquals("containerd.events.TaskExit",
                seen.stream().filter(e -> e.topic().equals("/tasks/exit")).findFirst().orElseThrow().type());
    }

    static List<String> topics(List<Events.Event> events) {
        return events.stream().map(Events.Event::topic).toList();
    }

    @Test
    @Order(6)
    void aDockerSaveArchiveImportsUnderItsRepoTag() throws Exception {
        Requirements.requireExecutable("/usr/bin/docker");
        Requirements.requireUnixSocket(Path.of("/var/run/docker.sock"));
        Path archive = TestImages.dockerSave(tmp);
        List<ContainerdImages.Image> imported = client.importer().importArchive(archive);
        assertEquals(List.of(TestImages.BUSYBOX), imported.stream().map(ContainerdImages.Image::name).toList());
        // the same layer as the OCI layout's (compressed there, not here): the same chain ID, one snapshot
        assertEquals(client.runner().topChainId(IMAGE), client.runner().topChainId(TestImages.BUSYBOX));
        client.images().delete(TestImages.BUSYBOX, true);
        assertTrue(client.images().find(TestImages.BUSYBOX).isEmpty());
    }

    @Test
    @Order(7)
    void criPullsFromThePlainHttpRegistryIntoK8sIo() throws Exception {
        Requirements.require(client.introspection().criLoaded(), "containerd's CRI plugin is not loaded");
        ContainerdAdapter k8s = new ContainerdAdapter().withNamespace(CriImages.NAMESPACE);
        try (RuntimeConnection<ContainerdClient> c = RuntimeConnection.open(k8s, target, options)) {
            ContainerdClient cri = c.client();
            String imageId = cri.cri().pull(TestImages.BUSYBOX);
            assertTrue(Digests.isSha256(imageId), imageId);
            CriImages.Image status = cri.cri().status(TestImages.BUSYBOX).orElseThrow();
            assertEquals(imageId, status.id());
            assertTrue(status.repoTags().contains(TestImages.BUSYBOX), status.toString());
            assertTrue(cri.cri().list().stream().anyMatch(i -> i.id().equals(imageId)));
            assertTrue(cri.images().find(TestImages.BUSYBOX).isPresent(), "CRI stores its images in k8s.io");

            // the pulled image runs: CRI unpacked it into the same snapshotter
            String id = id("cri");
            String out = OUT_DIR + "/" + id + ".log";
            cri.runner().create(id, TestImages.BUSYBOX, RuntimeSpec.of("echo", "pulled"));
            try {
                assertEquals(0, cri.runner().run(id, out, Duration.ofSeconds(30)).status());
                assertEquals("pulled\n", new String(files.read(out, 4096), StandardCharsets.UTF_8));
            } finally {
                try {
                    cri.runner().remove(id);
                } finally {
                    files.delete(out);
                }
            }
            cri.cri().remove(TestImages.BUSYBOX);
            assertTrue(cri.cri().status(TestImages.BUSYBOX).isEmpty());
        }
    }

    @Test
    @Order(8)
    void aMissingImageIsNamedWithItsNamespace() {
        ContainerdException e = assertThrows(ContainerdException.class,
                () -> client.runner().create(id("missing"), "sshc.test/nothing:here", RuntimeSpec.of("true")));
        assertEquals(Status.Code.NOT_FOUND, e.code());
        assertTrue(e.getMessage().contains("no image sshc.test/nothing:here in containerd namespace " + NS),
                e.getMessage());
    }

    @Test
    @Order(9)
    void anInvalidNamespaceIsRefusedClearly() throws Exception {
        try (RuntimeConnection<ContainerdClient> c = RuntimeConnection.open(
                new ContainerdAdapter().withNamespace("Not A Namespace!"), target, options)) {
            ContainerdException e = assertThrows(ContainerdException.class, () -> c.client().images().list());
            assertEquals(Status.Code.INVALID_ARGUMENT, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains("Not A Namespace!"), e.getMessage());
        }
    }

    @Test
    @Order(10)
    void aMissingSocketFailsFastAndSaysSo() throws Exception {
        Path nowhere = tmp.resolve("no-containerd.sock");
        try (ContainerdClient c = ContainerdClient.connect(nowhere)) {
            ContainerdException e = assertThrows(ContainerdException.class, c::version);
            assertEquals(Status.Code.UNAVAILABLE, e.code());
            assertTrue(e.getMessage().contains(nowhere.toString()) && e.getMessage().contains("no socket there"),
                    e.getMessage());
        }
    }

    @Test
    @Order(10)
    void aMissingRemoteSocketNamesItThroughSsh() {
        SshTarget nowhere = SshTarget.parse("ssh://" + sshd.user() + "@" + sshd.host() + ":" + sshd.port()
                + "/run/sshc-no-such/containerd.sock");
        Exception e = assertThrows(java.io.IOException.class,
                () -> RuntimeConnection.open(new ContainerdAdapter(), nowhere, options).close());
        assertTrue(e.getMessage().contains("/run/sshc-no-such/containerd.sock"), e.getMessage());
    }

    @Test
    @Order(11)
    void aMissingOutputFileIsAClearError() {
        Exception e = assertThrows(java.io.IOException.class, () -> files.read(OUT_DIR + "/nothing.log", 100));
        assertTrue(e.getMessage().contains("No such file"), e.getMessage());
        assertTrue(Files.notExists(Path.of(OUT_DIR, "nothing.log")));
    }

    @Test
    @Order(12)
    void everyTestRemovedItsContainersAndSnapshots() throws Exception {
        assertTrue(client.snapshots().stat(client.runner().topChainId(IMAGE)).isPresent());
        assertTrue(client.containers().list().isEmpty(), "every test removed its containers");
    }
}
