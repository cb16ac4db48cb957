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
    void withNoRuntimeItSaysWhatItProbedAndExitsZero() throws Exception {
        String[] r = run("demo", "--socket", "docker=/nonexistent/docker.sock");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("No container runtime socket found"), r[1]);
        assertTrue(r[1].contains("/nonexistent/docker.sock"), r[1]);
        assertTrue(r[1].contains("forward"), "points at the real use: " + r[1]);
    }

    @Test
    void unknownRuntimeNameIsAUsageError() throws Exception {
        String[] r = run("demo", "--socket", "lxc=/x.sock");
        assertEquals("2", r[0], r[2]);
        assertTrue(r[2].contains("no adapter for runtime 'lxc'"), r[2]);
        assertEquals(List.of(), r[1].lines().toList());
    }
}
