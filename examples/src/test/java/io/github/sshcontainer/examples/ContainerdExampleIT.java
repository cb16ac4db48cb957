package io.github.sshcontainer.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.Requirements;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@link ContainerdExample} as its own program (this module's class path) through a real OpenSSH sshd to this
 * machine's containerd, and checks what it prints. Needs containerd with its CRI plugin and the local registry with
 * {@code 127.0.0.1:5000/busybox:latest} ({@code ci/start-services.sh}).
 */
class ContainerdExampleIT {
    static final Path CONTAINERD_SOCK = Path.of("/run/containerd/containerd.sock");

    @TempDir
    Path tmp;

    @Test
    void printsVersionPullsAndRunsBusybox() throws Exception {
        Requirements.requireUnixSocket(CONTAINERD_SOCK);
        Requirements.require(DockerExampleIT.registryAnswers(), "no registry at 127.0.0.1:5000 (ci/start-services.sh)");
        try (OpenSshServer sshd = OpenSshServer.startOrSkip(OpenSshServer.builder())) {
            Path knownHosts = tmp.resolve("known_hosts");
            sshd.writeKnownHosts(knownHosts);
            // no path in the target: the adapter's default, /run/containerd/containerd.sock
            ExampleRun.Result r = run("-i", sshd.clientKey().toString(), "--known-hosts", knownHosts.toString(),
                    "--ssh-config", "none", "ssh://" + sshd.user() + "@" + sshd.host() + ":" + sshd.port());
            assertEquals(0, r.exit(), r::toString);
            List<String> lines = r.stdout().lines().toList();
            assertTrue(Pattern.matches("containerd \\S+ \\(\\S+\\)", lines.get(0)), r::toString);
            assertTrue(lines.get(1).startsWith("Namespaces: ["), r::toString);
            assertTrue(lines.get(2).startsWith("pulled " + ContainerdExample.IMAGE + ": sha256:"), r::toString);
            assertEquals("busybox echo ok: ok", lines.get(lines.size() - 1), r::toString);
        }
        try (var leftovers = Files.list(Path.of("/tmp"))) {
            assertTrue(leftovers.noneMatch(p -> p.getFileName().toString().startsWith("sshc-example-")),
                    "the example removes its output file");
        }
    }

    @Test
    void withoutATargetItSaysHowToUseIt() throws Exception {
        ExampleRun.Result r = run("--ssh-config", "none");
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.stderr().contains("usage: ContainerdExample"), r::toString);
    }

    /** {@code java -cp <this test's class path> ContainerdExample ARGS}, without an ssh-agent. */
    ExampleRun.Result run(String... args) throws IOException, InterruptedException {
        return ExampleRun.run(ContainerdExample.class, tmp, List.of(args));
    }
}
