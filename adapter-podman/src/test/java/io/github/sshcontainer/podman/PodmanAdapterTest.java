package io.github.sshcontainer.podman;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import io.github.sshcontainer.tunnel.runtime.RuntimeAdapters;
import org.junit.jupiter.api.Test;

class PodmanAdapterTest {

    @Test
    void foundByNameWithoutTheDockerAdapter() {
        assertInstanceOf(PodmanAdapter.class, RuntimeAdapters.find("podman"));
        assertInstanceOf(PodmanAdapter.class, RuntimeAdapters.find("Podman", PodmanClient.class));
        // adapter-podman does not depend on adapter-docker
        assertThrows(ClassNotFoundException.class, () -> Class.forName("io.github.sshcontainer.docker.DockerAdapter"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RuntimeAdapters.find("docker"));
        assertTrue(e.getMessage().contains("podman"), e.getMessage());
    }

    @Test
    void socketCandidatesAndEnvironment() {
        PodmanAdapter a = new PodmanAdapter();
        assertEquals(List.of("/run/podman/podman.sock", "/run/user/1000/podman/podman.sock"), a.socketCandidates(1000));
        assertEquals("CONTAINER_HOST", a.environmentVariable());
        assertEquals(PodmanClient.class, a.clientType());
    }

    @Test
    void jsonFieldsOfAnswers() {
        assertEquals(Map.of(), Json.object("not json"));
        assertEquals(Map.of(), Json.object("[1]"), "an array where an object was expected");
        Map<String, Object> v = Json.object("{\"Id\": \"abc\", \"Size\": 42, \"Names\": [\"a\", {}, \"b\"]}");
        assertEquals("abc", Json.string(v, "Id"));
        assertEquals(42, Json.number(v, "Size"));
        assertEquals(List.of("a", "b"), Json.strings(v, "Names"));
    }

    @Test
    void demultiplexesFramesAndPassesRawStreamsThrough() throws IOException {
        byte[] framed = {1, 0, 0, 0, 0, 0, 0, 3, 'a', 'b', 'c', 1, 0, 0, 0, 0, 0, 0, 1, '\n'};
        assertEquals("abc\n", new String(PodmanClient.demultiplex(new ByteArrayInputStream(framed)),
                StandardCharsets.UTF_8));
        byte[] raw = "hello tty\n".getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(raw, PodmanClient.demultiplex(new ByteArrayInputStream(raw)));
        byte[] cut = {1, 0, 0, 0, 0, 0, 0, 9, 'a'};
        assertThrows(IOException.class, () -> PodmanClient.demultiplex(new ByteArrayInputStream(cut)));
    }

    @Test
    void streamFramesGoToStdoutAndStderr() throws IOException {
        byte[] framed = {1, 0, 0, 0, 0, 0, 0, 3, 'o', 'u', 't', 2, 0, 0, 0, 0, 0, 0, 3, 'e', 'r', 'r', 1, 0, 0, 0, 0,
            0, 0, 1, '\n'};
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        StreamFrames.copy(new ByteArrayInputStream(framed), out, err);
        assertEquals("out\n", out.toString(StandardCharsets.UTF_8));
        assertEquals("err", err.toString(StandardCharsets.UTF_8));
        byte[] cutHeader = {1, 0, 0, 0, 0, 0, 0, 1, 'a', 1, 0, 0};
        assertThrows(java.io.EOFException.class, () -> StreamFrames.copy(new ByteArrayInputStream(cutHeader),
                java.io.OutputStream.nullOutputStream(), java.io.OutputStream.nullOutputStream()));
        java.io.ByteArrayOutputStream empty = new java.io.ByteArrayOutputStream();
        StreamFrames.copy(new ByteArrayInputStream(new byte[0]), empty, empty);
        assertEquals(0, empty.size());
    }

    @Test
    void errorKindsFromStatusAndPodmansCause() {
        assertEquals(PodmanException.Kind.NOT_FOUND, kind(404, "no such container", "no container with name x"));
        assertEquals(PodmanException.Kind.NOT_FOUND, kind(500, "image not known", "x: image not known"),
                "Podman 4 answers a create from a missing image with 500");
        assertEquals(PodmanException.Kind.NOT_FOUND, kind(200, null, "reading manifest 1: manifest unknown"),
                "an error inside a pull stream");
        assertEquals(PodmanException.Kind.CONFLICT, kind(409, null, "image is in use by a container"));
        assertEquals(PodmanException.Kind.BAD_REQUEST, kind(400, null, "bad parameter"));
        assertEquals(PodmanException.Kind.UNAUTHORIZED, kind(401, null, "authentication required"));
        assertEquals(PodmanException.Kind.SERVER_ERROR, kind(500, "io error", "disk full"));
        assertEquals(PodmanException.Kind.OTHER, kind(418, null, "teapot"));
        PodmanException e = new PodmanException("GET /containers/x/json", 404, "no container x", "no such container");
        assertEquals("io.github.sshcontainer.podman.PodmanException: GET /containers/x/json -> 404 NOT_FOUND:"
                + " no container x", e.toString());
    }

    private static PodmanException.Kind kind(int status, String cause, String message) {
        return new PodmanException("GET /x", status, message, cause).kind();
    }

    @Test
    void apiVersionIsTheLowerOfTheServicesAndOurs() throws IOException {
        assertEquals("4.3.1", PodmanClient.negotiate(new PodmanVersion("4.3.1", "4.3.1", "1.41", "linux", "amd64")));
        assertEquals("4.0.0", PodmanClient.negotiate(new PodmanVersion("4.0.2", "4.0.0", "1.40", "linux", "amd64")));
        assertEquals(PodmanClient.NEWEST_API,
                PodmanClient.negotiate(new PodmanVersion("9.1.0", "9.1.0", "1.44", "linux", "amd64")));
        assertEquals("4.9.4", PodmanClient.negotiate(new PodmanVersion("4.9.4-dev", "4.9.4-dev", "1.41", "linux",
                "arm64")));
        IOException old = assertThrows(IOException.class,
                () -> PodmanClient.negotiate(new PodmanVersion("3.4.4", "3.4.4", "1.40", "linux", "amd64")));
        assertTrue(old.getMessage().contains("3.4.4") && old.getMessage().contains("upgrade Podman"),
                old.getMessage());
        assertTrue(PodmanClient.compareVersions("4.10.0", "4.9.1") > 0);
        assertEquals(0, PodmanClient.compareVersions("5.0", "5.0.0"));
    }

    @Test
    void containerHostIsReadLikePodmanDoes() {
        io.github.sshcontainer.tunnel.SshTarget t = PodmanOverSsh.containerHostTarget(
                "ssh://core@build-1:2222/run/user/1000/podman/podman.sock");
        assertEquals("build-1", t.host());
        assertEquals(java.util.Optional.of("core"), t.user());
        assertEquals(java.util.Optional.of(2222), t.port());
        assertEquals(java.util.Optional.of("/run/user/1000/podman/podman.sock"), t.path());
        assertEquals(java.util.Optional.empty(), PodmanOverSsh.containerHostTarget("ssh://root@host").path(),
                "no path: the socket candidates are tried");
        IllegalArgumentException unset = assertThrows(IllegalArgumentException.class,
                () -> PodmanOverSsh.fromEnvironment(Map.of(), io.github.sshcontainer.tunnel.SshOptions.defaults()));
        assertTrue(unset.getMessage().contains("CONTAINER_HOST is not set"), unset.getMessage());
        IllegalArgumentException local = assertThrows(IllegalArgumentException.class,
                () -> PodmanOverSsh.containerHostTarget("unix:///run/podman/podman.sock"));
        assertTrue(local.getMessage().contains("ssh://") && local.getMessage().contains("overLocalSocket"),
                local.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PodmanOverSsh.containerHostTarget("build-1"));
    }

    @Test
    void containerSshKeyIsAddedToTheIdentities() {
        io.github.sshcontainer.tunnel.SshOptions base = io.github.sshcontainer.tunnel.SshOptions.builder()
                .identity(java.nio.file.Path.of("/k/first")).build();
        assertEquals(List.of(java.nio.file.Path.of("/k/first"), java.nio.file.Path.of("/k/podman")),
                PodmanOverSsh.withKey(base, "/k/podman").identities());
        assertEquals(base, PodmanOverSsh.withKey(base, " "));
        assertEquals(base, PodmanOverSsh.withKey(base, null));
    }

    /** The unit tests run without adapter-docker and docker-java (see the pom): the Docker mode says what to add. */
    @Test
    void dockerCompatibleModeWithoutAdapterDockerSaysWhatToAdd() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> PodmanOverSsh.connectDockerCompatible(
                io.github.sshcontainer.tunnel.SshTarget.parse("podman-host"),
                io.github.sshcontainer.tunnel.SshOptions.defaults()));
        assertTrue(e.getMessage().contains("io.github.sshcontainer:ssh-container-docker"), e.getMessage());
    }
}
