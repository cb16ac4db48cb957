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
    void jsonRoundTrip() {
        Object v = Json.parse(" {\"a\": [1, 2.5, true, null, \"x\\\"\\n\\u00e9\"], \"b\": {}, \"c\": -3} ");
        assertEquals(Map.of("a", java.util.Arrays.asList(1L, 2.5, true, null, "x\"\n\u00e9"), "b", Map.of(), "c", -3L),
                v);
        Map<String, Object> spec = new java.util.LinkedHashMap<>();
        spec.put("image", "a\"b");
        spec.put("command", List.of("echo", "\n"));
        assertEquals("{\"image\":\"a\\\"b\",\"command\":[\"echo\",\"\\u000a\"]}", Json.write(spec));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\":1"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("[1] x"));
        assertEquals(Map.of(), Json.object("not json"));
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
}
