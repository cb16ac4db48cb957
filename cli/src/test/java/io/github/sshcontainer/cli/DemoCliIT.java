package io.github.sshcontainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.github.sshcontainer.tunnel.testing.Requirements;
import org.junit.jupiter.api.Test;

/** {@code ssh-container demo}, the README's main job, run as the real jar. */
class DemoCliIT {

    private static String[] run(String... args) throws Exception {
        Process p = new ProcessBuilder(ForwardCliIT.command(args)).start();
        p.getOutputStream().close();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "demo must not hang");
        return new String[] {String.valueOf(p.exitValue()),
            new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
            new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)};
    }

    @Test
    void asksTheLocalDockerForItsVersionThroughTheEmbeddedSshServer() throws Exception {
        Path docker = Paths.get("/var/run/docker.sock");
        Requirements.requireUnixSocket(docker);
        String[] r = run("demo", "--socket", "docker=" + docker);
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("Embedded SSH server on ssh://"), r[1]);
        assertTrue(r[1].contains("pinned"), r[1]);
        assertTrue(r[1].matches("(?s).*docker  /var/run/docker.sock  Docker Engine \\S+, API 1\\.\\d+, linux/.*"),
                r[1]);
        assertTrue(r[1].contains("asked through SSH with the docker client"), r[1]);
    }

    @Test
    void findsEveryLocalRuntimeAndListsTheirContainersThroughSsh() throws Exception {
        Requirements.requireUnixSocket(Paths.get("/var/run/docker.sock"));
        Requirements.requireUnixSocket(Paths.get("/run/podman/podman.sock"));
        Requirements.requireUnixSocket(Paths.get("/run/containerd/containerd.sock"));
        String registry = System.getenv("SSHC_REGISTRY");
        Requirements.require(registry != null, "SSHC_REGISTRY names the local registry with busybox (.ci/run sets it)");
        String name = "sshc-demo-it-" + Long.toHexString(System.nanoTime());
        String id = PsCliIT.docker("run", "-d", "--name", name, registry + "/busybox:latest", "sleep", "300");
        try {
            String[] r = run("demo"); // the default locations of every adapter in the jar
            assertEquals("0", r[0], r[2]);
            assertTrue(r[1].matches("(?s).*\\n  docker  /var/run/docker\\.sock  Docker Engine .*"), r[1]);
            assertTrue(r[1].matches("(?s).*\\n  podman  /run/podman/podman\\.sock  Podman .*"), r[1]);
            assertTrue(r[1].matches("(?s).*\\n  containerd  /run/containerd/containerd\\.sock  containerd .*"), r[1]);
            List<String> lines = r[1].lines().toList();
            int header = lines.indexOf(lines.stream().filter(l -> l.startsWith("HOST ")).findFirst().orElse("?"));
            assertTrue(header > 0 && lines.get(header).matches("HOST +RUNTIME +ID +IMAGE +STATUS +NAMES"), r[1]);
            assertTrue(lines.stream().anyMatch(l -> l.matches("127\\.0\\.0\\.1:\\d+ +docker +" + id.substring(0, 12)
                    + " +\\S+/busybox:latest +Up .* " + name)), r[1]);
            assertTrue(lines.stream().noneMatch(l -> l.contains("error:")), r[1]);
        } finally {
            PsCliIT.docker("rm", "-f", id);
        }
    }

    @Test
    void withNoRuntimeItSaysWhatItProbedAndExitsZero() throws Exception {
        String[] r = run("demo", "--socket", "docker=/nonexistent/docker.sock");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("No container runtime socket found"), r[1]);
        assertTrue(r[1].contains("/nonexistent/docker.sock"), r[1]);
        assertTrue(r[1].contains("forward"), "points at the real use: " + r[1]);
        assertTrue(r[1].contains("ps deploy@build-host"), "points at the real use: " + r[1]);
        assertTrue(!r[1].contains("HOST "), "no table without a runtime: " + r[1]);
    }

    @Test
    void unknownRuntimeNameIsAUsageError() throws Exception {
        String[] r = run("demo", "--socket", "lxc=/x.sock");
        assertEquals("2", r[0], r[2]);
        assertTrue(r[2].contains("no adapter for runtime 'lxc'"), r[2]);
        assertEquals(List.of(), r[1].lines().toList());
    }
}
