package io.github.sshcontainer.podman;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.runtime.RuntimeConnection;
import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.Requirements;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code podman} CLI in remote mode through the tunnel's local socket: {@code podman --url "$CONTAINER_HOST"
 * ps}, with {@code CONTAINER_HOST} as {@link RuntimeConnection#environmentLine()} gives it, and the tunnel going
 * through a real OpenSSH sshd to this machine's Podman service. Also {@code CONTAINER_HOST=ssh://...} read by
 * {@link PodmanOverSsh#fromEnvironment(Map, SshOptions)}.
 */
class PodmanCliIT {
    static final String PODMAN = "/usr/bin/podman";

    @TempDir
    Path tmp;

    @Test
    void podmanRemotePsThroughTheForwardedSocket() throws Exception {
        Requirements.requireUnixSocket(PodmanIT.PODMAN_SOCK);
        Requirements.requireExecutable(PODMAN);
        try (OpenSshServer sshd = OpenSshServer.startOrSkip(OpenSshServer.builder())) {
            SshOptions options = sshd.clientOptions(tmp.resolve("known_hosts")).build();
            // CONTAINER_HOST=ssh://user@host:port/run/podman/podman.sock, as podman itself would read it
            String containerHost = "ssh://" + sshd.user() + "@" + sshd.host() + ":" + sshd.port()
                    + PodmanIT.PODMAN_SOCK;
            try (RuntimeConnection<PodmanClient> podman = PodmanOverSsh.fromEnvironment(
                    Map.of(PodmanOverSsh.CONTAINER_HOST, containerHost), options)) {
                Path socket = podman.tunnel().localSocket().orElseThrow();
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
                String line = podman.environmentLine();
                assertEquals("CONTAINER_HOST=unix://" + socket, line);
                String url = line.substring(line.indexOf('=') + 1);

                podman.client().pull(PodmanIT.IMAGE, false, null);
                String id = podman.client().containers().create(PodmanIT.IMAGE, "sleep", "30");
                try {
                    podman.client().containers().start(id);
                    // without -a: only running containers
                    Result ps = run(List.of(PODMAN, "--url", url, "ps", "--no-trunc", "--format",
                            "{{.ID}} {{.Image}}"), Map.of());
                    assertEquals(0, ps.exit, ps::toString);
                    assertTrue(ps.stdout.lines().anyMatch(l -> l.equals(id + " " + PodmanIT.IMAGE)),
                            ps::toString);

                    // the variable itself, as podman --remote reads it
                    Result remote = run(List.of(PODMAN, "--remote", "ps", "-a", "-q", "--no-trunc"),
                            Map.of(PodmanOverSsh.CONTAINER_HOST, url));
                    assertEquals(0, remote.exit, remote::toString);
                    assertTrue(remote.stdout.lines().anyMatch(id::equals), remote::toString);
                } finally {
                    podman.client().containers().stop(id, 0); // sleep as PID 1 ignores SIGTERM: kill it at once
                    podman.client().containers().remove(id);
                }
                Result after = run(List.of(PODMAN, "--url", url, "ps", "-a", "-q", "--no-trunc"), Map.of());
                assertEquals(0, after.exit, after::toString);
                assertTrue(after.stdout.lines().noneMatch(id::equals), after::toString);
            }
        }
    }

    record Result(int exit, String stdout, String stderr) {
    }

    Result run(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
        Path out = tmp.resolve("stdout");
        Path err = tmp.resolve("stderr");
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).redirectOutput(out.toFile())
                .redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().remove("CONTAINER_HOST");
        pb.environment().remove("CONTAINER_CONNECTION");
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command + " did not end in 60 s; stderr: " + Files.readString(err));
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }
}
