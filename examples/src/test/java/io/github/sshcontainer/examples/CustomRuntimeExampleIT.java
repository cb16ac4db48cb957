package io.github.sshcontainer.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import io.github.sshcontainer.examples.ExampleRun.Result;
import io.github.sshcontainer.examples.registry.RegistryAdapter;
import io.github.sshcontainer.examples.registry.RegistryClient;
import io.github.sshcontainer.tunnel.RemoteEndpoint;
import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.runtime.Readiness;
import io.github.sshcontainer.tunnel.runtime.RuntimeAdapter;
import io.github.sshcontainer.tunnel.runtime.RuntimeAdapters;
import io.github.sshcontainer.tunnel.runtime.RuntimeConnection;
import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.Requirements;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link CustomRuntimeExample}: a runtime adapter that only this module has, found by name through the services
 * file, reaching the local registry ({@code 127.0.0.1:5000}, seeded with busybox by {@code ci/start-services.sh})
 * through a real OpenSSH sshd.
 */
class CustomRuntimeExampleIT {
    @TempDir
    Path tmp;

    @Test
    void theRegistryAdapterIsFoundByNameAndListsTheRegistryThroughSsh() throws Exception {
        Requirements.require(DockerExampleIT.registryAnswers(), "no registry at 127.0.0.1:5000 (ci/start-services.sh)");
        try (OpenSshServer sshd = OpenSshServer.startOrSkip(OpenSshServer.builder())) {
            Result r = ExampleRun.run(CustomRuntimeExample.class, tmp, TunnelExampleIT.with(
                    ExampleRun.sshArgs(sshd, tmp.resolve("known_hosts")), ExampleRun.target(sshd)));
            assertEquals(0, r.exit(), r::toString);
            List<String> lines = r.stdout().lines().toList();
            assertTrue(lines.get(0).startsWith("runtimes on the class path: ") && lines.get(0).contains("registry"),
                    r::toString);
            assertTrue(lines.get(1).matches("registry: Docker registry, API registry/2\\.0 at 127\\.0\\.0\\.1:5000 on "
                    + "ssh://\\S+"), r::toString);
            assertEquals("repositories:", lines.get(2), r::toString);
            assertTrue(lines.stream().anyMatch(l -> l.matches("  busybox: (.* )?latest( .*)?")), r::toString);
        }
    }

    @Test
    void theAdapterFollowsTheSpiContract() throws Exception {
        RuntimeAdapter<RegistryClient> registry = RuntimeAdapters.find("registry", RegistryClient.class);
        assertTrue(registry instanceof RegistryAdapter);
        Requirements.require(DockerExampleIT.registryAnswers(), "no registry at 127.0.0.1:5000 (ci/start-services.sh)");
        try (OpenSshServer sshd = OpenSshServer.startOrSkip(OpenSshServer.builder());
                RuntimeConnection<RegistryClient> c = RuntimeConnection.open(registry, Tunnel.to(sshd.target(),
                        RemoteEndpoint.tcp("127.0.0.1", 5000)).options(sshd.clientOptions(tmp.resolve("kh")).build())
                        .localTcp(0), Readiness.DEFAULT)) {
            // the variable points tools at the tunnel: an image reference's registry part
            assertTrue(c.environmentLine().matches("REGISTRY_HOST=127\\.0\\.0\\.1:\\d+"), c.environmentLine());
            assertEquals(List.of("latest"), c.client().tags("busybox").stream().filter("latest"::equals).toList());
            UnsupportedOperationException none = org.junit.jupiter.api.Assertions.assertThrows(
                    UnsupportedOperationException.class, () -> registry.listContainers(c.client(), true));
            assertTrue(none.getMessage().contains("registry"), none.getMessage());
        }
    }

    @Test
    void aRegistryThatIsNotThereIsAClearError() throws Exception {
        try (OpenSshServer sshd = OpenSshServer.startOrSkip(OpenSshServer.builder())) {
            Result r = ExampleRun.run(CustomRuntimeExample.class, tmp, TunnelExampleIT.with(
                    ExampleRun.sshArgs(sshd, tmp.resolve("known_hosts")), "--registry", "127.0.0.1:1",
                    ExampleRun.target(sshd)));
            assertTrue(r.exit() != 0, r::toString);
            assertTrue(r.stderr().contains("127.0.0.1:1"), r::toString);
        }
    }
}
