package io.github.sshcontainer.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.Requirements;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@link DockerExample} as its own program (this module's class path) through a real OpenSSH sshd to this
 * machine's dockerd, as its documentation says to, and checks what it prints. Needs dockerd and the local registry
 * with {@code 127.0.0.1:5000/busybox:latest} ({@code ci/start-services.sh}).
 */
class DockerExampleIT {
    static final Path DOCKER_SOCK = Path.of("/var/run/docker.sock");

    @TempDir
    Path tmp;

    @Test
    void printsVersionAndContainersAndRunsBusybox() throws Exception {
        Requirements.requireUnixSocket(DOCKER_SOCK);
        Requirements.require(registryAnswers(), "no registry at 127.0.0.1:5000 (ci/start-services.sh)");
        try (OpenSshServer sshd = OpenSshServer.startOrSkip(OpenSshServer.builder())) {
            Path knownHosts = tmp.resolve("known_hosts");
            sshd.writeKnownHosts(knownHosts);
            // no path in the target: the adapter's default, /var/run/docker.sock
            ExampleRun.Result r = run("-i", sshd.clientKey().toString(), "--known-hosts", knownHosts.toString(),
                    "--ssh-config", "none", "ssh://" + sshd.user() + "@" + sshd.host() + ":" + sshd.port());
            assertEquals(0, r.exit(), r::toString);
            List<String> lines = r.stdout().lines().toList();
            assertTrue(Pattern.matches("Docker \\S+ \\(API 1\\.\\d+\\) on linux/\\S+", lines.get(0)), r::toString);
            assertEquals("Containers:", lines.get(1), r::toString);
            assertEquals("busybox echo ok: ok", lines.get(lines.size() - 1), r::toString);
        }
    }

    @Test
    void withoutATargetItSaysHowToUseIt() throws Exception {
        ExampleRun.Result r = run("--ssh-config", "none");
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.stderr().contains("usage: DockerExample"), r::toString);
    }

    /** {@code java -cp <this test's class path> DockerExample ARGS}, without an ssh-agent. */
    ExampleRun.Result run(String... args) throws IOException, InterruptedException {
        return ExampleRun.run(DockerExample.class, tmp, List.of(args));
    }

    static boolean registryAnswers() {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:5000/v2/").toURL().openConnection();
            c.setConnectTimeout(2000);
            c.setReadTimeout(2000);
            return c.getResponseCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }
}
