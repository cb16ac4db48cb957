package io.github.sshcontainer.cli;

import static io.github.sshcontainer.cli.CliRun.assertContains;
import static io.github.sshcontainer.cli.CliRun.concat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.github.sshcontainer.cli.CliRun.Result;
import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.Requirements;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ssh-container exec}, the real jar, through a real OpenSSH sshd to this machine's dockerd, Podman service
 * and containerd.
 */
class ExecCliIT {
    static final Path DOCKER = Path.of("/var/run/docker.sock");
    static final Path PODMAN = Path.of("/run/podman/podman.sock");
    static final Path CONTAINERD = Path.of("/run/containerd/containerd.sock");

    static OpenSshServer sshd;
    @TempDir
    static Path tmp;
    static List<String> ssh;
    static String target;

    @BeforeAll
    static void start() {
        sshd = OpenSshServer.startOrSkip(OpenSshServer.builder());
        Path knownHosts = tmp.resolve("known_hosts");
        sshd.writeKnownHosts(knownHosts);
        ssh = CliRun.sshArgs(sshd, knownHosts);
        target = sshd.user() + "@127.0.0.1";
    }

    @AfterAll
    static void stop() {
        if (sshd != null) {
            sshd.close();
        }
    }

    private static List<String> exec(List<String> options, String... command) {
        List<String> args = new ArrayList<>(List.of("exec"));
        args.addAll(ssh);
        args.addAll(options);
        args.add(target);
        args.add("--");
        args.addAll(List.of(command));
        return args;
    }

    private static final String PRINT_VARIABLES = "echo \"DOCKER_HOST=$DOCKER_HOST\"; echo \"CONTAINER_HOST="
            + "$CONTAINER_HOST\"; echo \"CONTAINERD_ADDRESS=$CONTAINERD_ADDRESS\"";

    @Test
    void setsEveryRuntimesVariableAndPassesTheExitCodeThroughThenRemovesTheSockets() throws Exception {
        Requirements.requireUnixSocket(DOCKER);
        Requirements.requireUnixSocket(PODMAN);
        Requirements.requireUnixSocket(CONTAINERD);
        // the -v after `--` is the command's (sh's $0 here), not ssh-container's --verbose: stderr stays empty
        Result r = CliRun.run(tmp, exec(List.of(), "sh", "-c", PRINT_VARIABLES + "; exit 7", "-v"));
        assertEquals(7, r.exit(), r::toString);
        List<String> lines = r.out().lines().toList();
        assertEquals(3, lines.size(), r::toString);
        assertTrue(lines.get(0).matches("DOCKER_HOST=unix:///\\S+/docker\\.sock"), r::toString);
        assertTrue(lines.get(1).matches("CONTAINER_HOST=unix:///\\S+/podman\\.sock"), r::toString);
        assertTrue(lines.get(2).matches("CONTAINERD_ADDRESS=/\\S+/containerd\\.sock"), r::toString);
        assertEquals("", r.err(), "nothing of ours on stderr: " + r);
        for (String line : lines) {
            Path socket = Path.of(line.substring(line.indexOf('=') + 1).replace("unix://", ""));
            assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "tunnel socket removed after exit: " + r);
        }
    }

    @Test
    void theDockerCliWorksThroughTheTunnelAndStdinReachesTheCommand() throws Exception {
        Requirements.requireUnixSocket(DOCKER);
        Requirements.require(Files.isExecutable(Path.of("/usr/bin/docker")) || Files.isExecutable(
                Path.of("/usr/local/bin/docker")), "the docker CLI is needed (apt-get install docker.io)");
        Result docker = CliRun.run(tmp, exec(List.of("--runtime", "docker"), "docker", "version", "--format",
                "server {{.Server.Version}}"));
        assertEquals(0, docker.exit(), docker::toString);
        assertTrue(docker.out().strip().matches("server \\S+"), docker::toString);

        Result cat = CliRun.run(tmp, "through stdin\n", Map.of(), exec(List.of("--runtime", "docker"), "cat"));
        assertEquals(0, cat.exit(), cat::toString);
        assertEquals("through stdin\n", cat.out(), cat::toString);
    }

    @Test
    void aNamedRuntimeIsTheOnlyVariableAndALocalDaemonsVariableIsRemoved() throws Exception {
        Requirements.requireUnixSocket(PODMAN);
        Result r = CliRun.run(tmp, null, Map.of("DOCKER_HOST", "tcp://127.0.0.1:2375", "DOCKER_TLS_VERIFY", "1"),
                exec(List.of("--runtime", "podman"), "sh", "-c", PRINT_VARIABLES));
        assertEquals(0, r.exit(), r::toString);
        assertEquals(List.of("DOCKER_HOST=", "CONTAINER_HOST=" + r.out().lines().toList().get(1).substring(15),
                "CONTAINERD_ADDRESS="), r.out().lines().toList());
        assertTrue(r.out().lines().toList().get(1).startsWith("CONTAINER_HOST=unix:///"), r::toString);
    }

    @Test
    void sigtermReachesTheCommandAndTheTunnelsCloseAfterIt() throws Exception {
        Requirements.requireUnixSocket(DOCKER);
        Path out = tmp.resolve("term.out");
        // bounded (60 s), so that a failed run leaves no loop behind
        String script = "trap 'echo got TERM; exit 3' TERM; echo \"$DOCKER_HOST\"; i=0; while [ $i -lt 600 ]; do"
                + " sleep 0.1; i=$((i+1)); done";
        Process p = CliRun.start(tmp, null, Map.of(), exec(List.of("--runtime", "docker"), "sh", "-c", script))
                .redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        List<ProcessHandle> command = new ArrayList<>();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (Files.readString(out).isEmpty() && System.nanoTime() < deadline && p.isAlive()) {
                Thread.sleep(20);
            }
            command.addAll(p.descendants().toList()); // the sh, to end it should the test fail
            String dockerHost = Files.readString(out).strip();
            assertTrue(dockerHost.startsWith("unix:///"), "printed: " + dockerHost);
            Path socket = Path.of(dockerHost.substring("unix://".length()));
            assertTrue(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "tunnel open while the command runs");
            p.destroy(); // SIGTERM to ssh-container only, not to the command
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "exits after SIGTERM");
            assertEquals(3, p.exitValue(), "the command's exit code after its TERM trap");
            assertEquals(List.of(dockerHost, "got TERM"), Files.readAllLines(out, StandardCharsets.UTF_8));
            assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "tunnel socket removed");
        } finally {
            p.destroyForcibly();
            command.forEach(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void failuresBeforeTheCommandStartsHaveSshContainersExitCodes() throws Exception {
        Result missing = CliRun.run(tmp, concat(List.of("exec"), concat(ssh, "ssh://" + target
                + "/run/no-such-dir/docker.sock", "--", "true").toArray(String[]::new)));
        assertEquals(6, missing.exit(), missing::toString);
        assertContains(missing.err(), "/run/no-such-dir/docker.sock", missing);
        assertEquals("", missing.out(), missing::toString);

        Result noCommand = CliRun.run(tmp, concat(List.of("exec"), concat(ssh, target).toArray(String[]::new)));
        assertEquals(2, noCommand.exit(), noCommand::toString);
        assertContains(noCommand.err(), "no command given", noCommand);

        Requirements.requireUnixSocket(DOCKER);
        Result notFound = CliRun.run(tmp, exec(List.of("--runtime", "docker"), "/nonexistent/tool", "arg"));
        assertEquals(127, notFound.exit(), notFound::toString);
        assertContains(notFound.err(), "cannot run '/nonexistent/tool'", notFound);
    }
}
