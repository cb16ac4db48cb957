package io.github.sshcontainer.cli;

import static io.github.sshcontainer.cli.CliRun.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.sshcontainer.cli.CliRun.Result;
import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.Requirements;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ssh-container ps}, the real jar, across two OpenSSH targets — one up (this machine's dockerd, Podman
 * service and containerd behind it), one stopped — with a container of our own running in Docker.
 */
class PsCliIT {
    static OpenSshServer up;
    static String upTarget;
    static String downTarget;
    static Path knownHosts;
    static String containerName;
    static String containerId;
    static String podmanId;
    /** A task of our own in containerd's {@code default} namespace, started with ctr; null without ctr. */
    static String containerdId;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() throws Exception {
        Requirements.requireUnixSocket(ExecCliIT.DOCKER);
        String registry = System.getenv("SSHC_REGISTRY");
        Requirements.require(registry != null, "SSHC_REGISTRY names the local registry with busybox (.ci/run sets it)");
        up = OpenSshServer.startOrSkip(OpenSshServer.builder());
        knownHosts = tmp.resolve("known_hosts");
        up.writeKnownHosts(knownHosts);
        upTarget = up.user() + "@127.0.0.1:" + up.port();
        // a second server, trusted, then stopped: its port refuses connections
        try (OpenSshServer down = OpenSshServer.builder().start()) {
            Path other = tmp.resolve("known_hosts_down");
            down.writeKnownHosts(other);
            Files.write(knownHosts, Files.readAllBytes(other), StandardOpenOption.APPEND);
            downTarget = down.user() + "@127.0.0.1:" + down.port();
        }
        containerName = "sshc-ps-it-" + Long.toHexString(System.nanoTime());
        containerId = docker("run", "-d", "--name", containerName, registry + "/busybox:latest", "sleep", "300");
        if (Files.exists(ExecCliIT.PODMAN) && Files.isExecutable(Path.of("/usr/bin/podman"))) {
            podmanId = podman("run", "-d", "--tls-verify=false", "--name", containerName + "-podman", registry
                    + "/busybox:latest", "sleep", "300");
        }
        if (Files.exists(ExecCliIT.CONTAINERD) && Files.isExecutable(Path.of("/usr/bin/ctr"))) {
            String image = registry + "/busybox:latest";
            ctr("images", "pull", "--plain-http", image);
            ctr("run", "-d", image, containerName + "-ctr", "sleep", "300");
            containerdId = containerName + "-ctr";
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (containerId != null) {
            docker("rm", "-f", containerId);
        }
        if (podmanId != null) {
            podman("rm", "-f", podmanId);
        }
        if (containerdId != null) {
            ctr("tasks", "kill", "-s", "SIGKILL", containerdId);
            ctr("tasks", "delete", "-f", containerdId);
            ctr("containers", "delete", containerdId);
        }
        if (up != null) {
            up.close();
        }
    }

    /** The docker CLI against this machine's dockerd (the test's own set-up, not through the tunnel). */
    static String docker(String... args) throws Exception {
        return cli(List.of("docker", "-H", "unix://" + ExecCliIT.DOCKER), args);
    }

    /** The podman CLI against this machine's Podman service. */
    static String podman(String... args) throws Exception {
        return cli(List.of("podman", "--remote", "--url", "unix://" + ExecCliIT.PODMAN), args);
    }

    /** The ctr CLI against this machine's containerd, namespace {@code default}. */
    static String ctr(String... args) throws Exception {
        return cli(List.of("ctr", "--address", ExecCliIT.CONTAINERD.toString(), "--namespace", "default"), args);
    }

    private static String cli(List<String> base, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(base);
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), cmd.toString());
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.exitValue(), out);
        return out.isEmpty() ? out : out.lines().reduce((a, b) -> b).orElseThrow(); // the id: after any pull progress
    }

    private static List<String> ps(String... optionsAndTargets) {
        List<String> args = new ArrayList<>(List.of("ps", "-i", up.clientKey().toString(), "--known-hosts",
                knownHosts.toString(), "--ssh-config", "none", "--no-agent", "--connect-timeout", "5"));
        args.addAll(List.of(optionsAndTargets));
        return args;
    }

    @Test
    void oneTableAcrossTwoTargetsWithOneErrorRowForTheStoppedOne() throws Exception {
        Requirements.requireUnixSocket(ExecCliIT.PODMAN);
        Requirements.requireUnixSocket(ExecCliIT.CONTAINERD);
        Result r = CliRun.run(tmp, ps(upTarget, downTarget));
        assertEquals(5, r.exit(), "non-zero, the kind of the error (cannot connect): " + r);
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).matches("HOST +RUNTIME +ID +IMAGE +STATUS +NAMES"), r::toString);
        List<String> mine = lines.stream().filter(l -> l.endsWith(containerName)).toList();
        assertEquals(1, mine.size(), r::toString);
        assertTrue(mine.get(0).matches("\\Q" + upTarget + "\\E +docker +" + containerId.substring(0, 12)
                + " +\\S+/busybox:latest +Up .*"), r::toString);
        List<String> down = lines.stream().filter(l -> l.startsWith(downTarget)).toList();
        assertEquals(1, down.size(), "one error row for the stopped host: " + r);
        assertTrue(down.get(0).matches("\\Q" + downTarget + "\\E +- +error: cannot connect to .*connection refused.*"),
                r::toString);
        Requirements.require(podmanId != null, "the podman CLI is needed (apt-get install podman)");
        assertTrue(lines.stream().anyMatch(l -> l.matches("\\Q" + upTarget + "\\E +podman +" + podmanId.substring(0, 12)
                + " +\\S+/busybox:latest +.*" + containerName + "-podman")), r::toString);
        Requirements.require(containerdId != null, "the ctr CLI is needed (apt-get install containerd)");
        assertTrue(lines.stream().anyMatch(l -> l.matches("\\Q" + upTarget + "\\E +containerd +" + containerdId.substring(0, 12)
                + " +\\S+/busybox:latest +running \\(pid \\d+\\) *")), r::toString);
        for (String runtime : List.of("podman", "containerd")) {
            // every runtime found is asked: its containers, or a note when its adapter cannot list them (yet)
            List<String> rows = lines.stream().filter(l -> l.matches("\\Q" + upTarget + "\\E +" + runtime + " .*"))
                    .toList();
            rows.forEach(l -> assertTrue(!l.contains("error:"), "no error for " + runtime + ": " + r));
        }
        assertEquals("", r.err(), r::toString);
    }

    @Test
    void jsonIsOneArrayWithTheFullIdAndTheErrorObject() throws Exception {
        Result r = CliRun.run(tmp, ps("--json", "--all", "--runtime", "docker", upTarget, downTarget));
        assertEquals(5, r.exit(), r::toString);
        JsonNode array = new ObjectMapper().readTree(r.out());
        assertTrue(array.isArray(), r::toString);
        JsonNode mine = null;
        JsonNode error = null;
        for (JsonNode row : array) {
            if (row.path("names").toString().contains(containerName)) {
                mine = row;
            }
            if (row.has("error")) {
                error = row;
            }
        }
        assertTrue(mine != null, r::toString);
        assertEquals(upTarget, mine.get("host").asText());
        assertEquals("docker", mine.get("runtime").asText());
        assertEquals(containerId, mine.get("id").asText());
        assertEquals("running", mine.get("state").asText());
        assertTrue(error != null, r::toString);
        assertEquals(downTarget, error.get("host").asText());
        assertTrue(error.get("runtime").isNull(), r::toString);
        assertEquals(5, error.get("exitCode").asInt(), r::toString);
    }

    @Test
    void allTargetsUpIsExitZeroAndStoppedContainersNeedAll() throws Exception {
        String stopped = docker("create", "--name", containerName + "-stopped", System.getenv("SSHC_REGISTRY")
                + "/busybox:latest", "true");
        try {
            Result running = CliRun.run(tmp, ps("--runtime", "docker", upTarget));
            assertEquals(0, running.exit(), running::toString);
            assertContains(running.out(), containerName, running);
            assertTrue(!running.out().contains(containerName + "-stopped"), running::toString);
            Result all = CliRun.run(tmp, ps("-a", "--runtime", "docker", upTarget));
            assertEquals(0, all.exit(), all::toString);
            assertContains(all.out(), stopped.substring(0, 12), all);
            assertContains(all.out(), containerName + "-stopped", all);
        } finally {
            docker("rm", "-f", stopped);
        }
    }

    @Test
    void aNamedRuntimeThatIsNotThereIsAnErrorRowAndUnknownNamesAreUsageErrors() throws Exception {
        Result r = CliRun.run(tmp, ps("ssh://" + upTarget + "/run/no-such-dir/docker.sock"));
        assertEquals(6, r.exit(), r::toString);
        assertTrue(r.out().lines().anyMatch(l -> l.matches("\\S+ +docker +error: .*does not exist.*")), r::toString);
        assertContains(r.out(), "/run/no-such-dir/docker.sock", r);

        Result unknown = CliRun.run(tmp, ps("--runtime", "lxc", upTarget));
        assertEquals(2, unknown.exit(), unknown::toString);
        assertContains(unknown.err(), "no adapter for runtime 'lxc'; available: containerd, docker, podman", unknown);
        assertEquals("", unknown.out(), unknown::toString);
    }
}
