package io.github.sshcontainer.containerd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.protobuf.Any;
import io.github.sshcontainer.containerd.api.containers.v1.ContainersGrpc;
import io.github.sshcontainer.containerd.api.content.v1.ContentGrpc;
import io.github.sshcontainer.containerd.api.cri.v1.ImageServiceGrpc;
import io.github.sshcontainer.containerd.api.cri.v1.PullImageRequest;
import io.github.sshcontainer.containerd.api.events.TaskExit;
import io.github.sshcontainer.containerd.api.events.v1.EventsGrpc;
import io.github.sshcontainer.containerd.api.tasks.v1.CreateTaskRequest;
import io.github.sshcontainer.containerd.api.tasks.v1.TasksGrpc;
import io.github.sshcontainer.containerd.api.types.task.Process;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pure parts of the typed API: wire names, digests and chain IDs, the spec, the tar reader, URIs, quoting. */
class ContainerdApiTest {
    @TempDir
    Path tmp;

    @Test
    void protosCarryContainerdsWireNames() {
        assertEquals("containerd.services.tasks.v1.Tasks/Wait", TasksGrpc.getWaitMethod().getFullMethodName());
        assertEquals("containerd.services.containers.v1.Containers/Create",
                ContainersGrpc.getCreateMethod().getFullMethodName());
        assertEquals("containerd.services.content.v1.Content/Write", ContentGrpc.getWriteMethod().getFullMethodName());
        assertEquals("containerd.services.events.v1.Events/Subscribe",
                EventsGrpc.getSubscribeMethod().getFullMethodName());
        assertEquals("runtime.v1.ImageService/PullImage", ImageServiceGrpc.getPullImageMethod().getFullMethodName());
        assertEquals("containerd.events.TaskExit", TaskExit.getDescriptor().getFullName());
        assertEquals("containerd.v1.types.Process", Process.getDescriptor().getFullName());
        assertEquals(4, TaskExit.getDescriptor().findFieldByName("exit_status").getNumber());
        assertEquals(5, CreateTaskRequest.getDescriptor().findFieldByName("stdout").getNumber());
        assertEquals(2, PullImageRequest.getDescriptor().findFieldByName("auth").getNumber());
        assertEquals("containerd.services.images.v1.ImageCreate",
                io.github.sshcontainer.containerd.api.events.ImageCreate.getDescriptor().getFullName());
    }

    @Test
    void chainIdsAreComputedAsContainerdDoes() {
        String a = "sha256:" + "a".repeat(64);
        String b = "sha256:" + "b".repeat(64);
        String c = "sha256:" + "c".repeat(64);
        // sha256("<a> <b>") and sha256("<ab> <c>"), computed independently (python hashlib)
        assertEquals(List.of(a, "sha256:ccd722928bd92476ba1745586fed6e45a102504185ad88cd89e01ff116fd146c",
                "sha256:c1377126441fb2f5ec2c21ae2a60255331d639e830f0ee1b40a36e52d4c40588"),
                Digests.chainIds(List.of(a, b, c)));
        assertEquals(List.of(), Digests.chainIds(List.of()));
        assertEquals("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                Digests.sha256(new byte[0]));
        assertTrue(Digests.isSha256(a));
        assertFalse(Digests.isSha256("sha256:ABC"));
    }

    @Test
    void theSpecHasContainerdsLinuxDefaults() {
        JsonObject spec = RuntimeSpec.of("echo", "hello").withCwd("/tmp").withEnv(List.of("A=1"))
                .toJson("default", "c1");
        JsonObject process = spec.getAsJsonObject("process");
        assertEquals("[\"echo\",\"hello\"]", process.get("args").toString());
        assertEquals("[\"A=1\"]", process.get("env").toString());
        assertEquals("/tmp", process.get("cwd").getAsString());
        assertEquals("rootfs", spec.getAsJsonObject("root").get("path").getAsString());
        JsonArray mounts = spec.getAsJsonArray("mounts");
        List<String> destinations = mounts.asList().stream()
                .map(m -> m.getAsJsonObject().get("destination").getAsString()).toList();
        assertEquals(List.of("/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/run"), destinations);
        JsonObject linux = spec.getAsJsonObject("linux");
        assertEquals("/default/c1", linux.get("cgroupsPath").getAsString());
        assertEquals(List.of("pid", "ipc", "uts", "mount", "network"), linux.getAsJsonArray("namespaces").asList()
                .stream().map(n -> n.getAsJsonObject().get("type").getAsString()).toList());
        Any any = RuntimeSpec.of("true").toAny("ns", "id");
        assertEquals(RuntimeSpec.TYPE_URL, any.getTypeUrl());
        assertTrue(any.getValue().toStringUtf8().startsWith("{\"ociVersion\":"));
        assertThrows(IllegalArgumentException.class, () -> RuntimeSpec.of(List.of()));
        assertThrows(IllegalArgumentException.class, () -> RuntimeSpec.of("x").withCwd("relative"));
        assertThrows(IllegalArgumentException.class, () -> RuntimeSpec.of("x").withEnv(List.of("NOEQUALS")));
    }

    @Test
    void theTarIndexFindsMembersAndRejectsOtherFiles() throws IOException {
        Path tar = tmp.resolve("a.tar");
        byte[] big = new byte[1500];
        big[1499] = 7;
        try (var out = Files.newOutputStream(tar)) {
            TestImages.writeEntry(out, "./index.json", "{}".getBytes(StandardCharsets.UTF_8));
            TestImages.writeEntry(out, "blobs/sha256/x", big);
            out.write(new byte[1024]);
        }
        try (TarIndex index = TarIndex.open(tar)) {
            assertArrayEquals("{}".getBytes(StandardCharsets.UTF_8), index.read(index.get("index.json"), 100));
            TarIndex.Entry e = index.get("blobs/sha256/x");
            assertEquals(1500, e.size());
            try (InputStream in = index.open(e)) {
                ByteArrayOutputStream copy = new ByteArrayOutputStream();
                in.transferTo(copy);
                assertArrayEquals(big, copy.toByteArray());
            }
            IOException missing = assertThrows(IOException.class, () -> index.get("manifest.json"));
            assertTrue(missing.getMessage().contains("has no manifest.json"), missing.getMessage());
        }
        Path notTar = tmp.resolve("b.tar");
        Files.write(notTar, new byte[600]);
        Files.write(notTar, "garbage".getBytes(StandardCharsets.UTF_8));
        Files.write(notTar, new byte[512 + 7], java.nio.file.StandardOpenOption.APPEND);
        IOException e = assertThrows(IOException.class, () -> TarIndex.open(notTar).close());
        assertTrue(e.getMessage().contains("not a tar archive"), e.getMessage());
    }

    @Test
    void anArchiveOfNeitherFormatIsRefusedBeforeAnyCall() throws IOException {
        Path tar = tmp.resolve("other.tar");
        try (var out = Files.newOutputStream(tar)) {
            TestImages.writeEntry(out, "hello.txt", "hi".getBytes(StandardCharsets.UTF_8));
            out.write(new byte[1024]);
        }
        Path gz = tmp.resolve("image.tar.gz");
        try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write(Files.readAllBytes(tar));
        }
        // a channel to nowhere: the archive is checked before containerd is asked anything
        try (ContainerdClient client = ContainerdClient.over(
                io.grpc.inprocess.InProcessChannelBuilder.forName("nowhere-" + System.nanoTime()).build(),
                "default", java.time.Duration.ofSeconds(1))) {
            IOException e = assertThrows(IOException.class, () -> client.importer().importArchive(tar));
            assertTrue(e.getMessage().contains("neither an OCI image layout (no index.json) nor a docker save archive"),
                    e.getMessage());
            IOException g = assertThrows(IOException.class, () -> client.importer().importArchive(gz));
            assertTrue(g.getMessage().contains("gzip-compressed; decompress it first"), g.getMessage());
            assertThrows(java.nio.file.NoSuchFileException.class,
                    () -> client.importer().importArchive(tmp.resolve("missing.tar")));
        }
        assertTrue(Files.exists(tar) && Files.exists(gz), "the archives are left alone");
    }

    @Test
    void namesUrisAndQuotes() {
        assertEquals("docker.io/library/busybox:latest", ImageImporter.normalize("busybox"));
        assertEquals("docker.io/me/app:1", ImageImporter.normalize("me/app:1"));
        assertEquals("127.0.0.1:5000/busybox:latest", ImageImporter.normalize("127.0.0.1:5000/busybox"));
        assertEquals("localhost/x:latest", ImageImporter.normalize("localhost/x"));
        assertEquals("file:///tmp/out.log", Tasks.fileUri("/tmp/out.log"));
        assertEquals("file:///tmp/a%20b.log", Tasks.fileUri("/tmp/a b.log"));
        assertThrows(IllegalArgumentException.class, () -> Tasks.fileUri("relative.log"));
        assertEquals("'/tmp/it'\\''s'", RemoteFiles.quote("/tmp/it's"));
    }
}
