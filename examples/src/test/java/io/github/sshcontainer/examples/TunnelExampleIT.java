package io.github.sshcontainer.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import io.github.sshcontainer.examples.ExampleRun.Result;
import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.Requirements;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TunnelExample} as its own program through a real OpenSSH sshd: the JDK's HTTP client asks this machine's
 * dockerd and Podman service over a loopback port carried to their unix sockets.
 */
class TunnelExampleIT {
    @TempDir
    Path tmp;

    @Test
    void aPlainHttpClientPingsDockerAndPodmanThroughTheTunnel() throws Exception {
        Requirements.requireUnixSocket(Path.of("/var/run/docker.sock"));
        Requirements.requireUnixSocket(Path.of("/run/podman/podman.sock"));
        try (OpenSshServer sshd = OpenSshServer.startOrSkip(OpenSshServer.builder())) {
            List<String> ssh = ExampleRun.sshArgs(sshd, tmp.resolve("known_hosts"));
            Result docker = ExampleRun.run(TunnelExample.class, tmp, with(ssh, ExampleRun.target(sshd)));
            assertEquals(0, docker.exit(), docker::toString);
            List<String> lines = docker.stdout().lines().toList();
            assertTrue(Pattern.matches("/var/run/docker\\.sock on ssh://\\S+ is at tcp://127\\.0\\.0\\.1:\\d+",
                    lines.get(0)), docker::toString);
            assertEquals("GET /_ping -> 200 OK", lines.get(1), docker::toString);

            Result podman = ExampleRun.run(TunnelExample.class, tmp, with(ssh, "--socket", "/run/podman/podman.sock",
                    "--path", "/v4.0.0/libpod/version", ExampleRun.target(sshd)));
            assertEquals(0, podman.exit(), podman::toString);
            assertTrue(podman.stdout().lines().anyMatch(l -> l.startsWith("GET /v4.0.0/libpod/version -> 200 {")
                    && l.contains("\"ApiVersion\"")), podman::toString);
        }
    }

    @Test
    void aMissingSocketIsAClearError() throws Exception {
        try (OpenSshServer sshd = OpenSshServer.startOrSkip(OpenSshServer.builder())) {
            Result r = ExampleRun.run(TunnelExample.class, tmp, with(ExampleRun.sshArgs(sshd, tmp.resolve("kh")),
                    "--socket", "/run/no-such-dir/x.sock", ExampleRun.target(sshd)));
            assertTrue(r.exit() != 0, r::toString);
            assertTrue(r.stderr().contains("/run/no-such-dir/x.sock") && r.stderr().contains("does not exist"),
                    r::toString);
        }
    }

    static List<String> with(List<String> first, String... more) {
        List<String> all = new ArrayList<>(first);
        all.addAll(List.of(more));
        return all;
    }
}
