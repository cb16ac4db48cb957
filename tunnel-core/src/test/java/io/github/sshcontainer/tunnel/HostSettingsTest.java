package io.github.sshcontainer.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.github.sshcontainer.tunnel.ssh.KnownHostsVerifier;
import org.apache.sshd.client.config.hosts.HostConfigEntry;
import org.junit.jupiter.api.Test;

class HostSettingsTest {
    private static HostConfigEntry entry(String... keyValues) {
        HostConfigEntry e = new HostConfigEntry("h", "h.example", 22, "u");
        for (int i = 0; i < keyValues.length; i += 2) {
            e.setProperty(keyValues[i], keyValues[i + 1]);
        }
        return e;
    }

    @Test
    void strictHostKeyCheckingValuesMapToPolicies() throws Exception {
        assertEquals(HostKeyPolicy.STRICT, HostSettings.policyOf("yes"));
        assertEquals(HostKeyPolicy.STRICT, HostSettings.policyOf("ask"));
        assertEquals(HostKeyPolicy.ACCEPT_NEW, HostSettings.policyOf("accept-new"));
        assertEquals(HostKeyPolicy.INSECURE, HostSettings.policyOf("no"));
        SshTunnelException e = assertThrows(SshTunnelException.class, () -> HostSettings.policyOf("maybe"));
        assertEquals(Failure.USAGE, e.failure());
        assertTrue(e.getMessage().contains("'maybe'"), e.getMessage());
    }

    @Test
    void theConfigAppliesUnlessTheOptionsChoseTheSetting() throws Exception {
        HostConfigEntry e = entry("StrictHostKeyChecking", "accept-new", "UserKnownHostsFile", "/tmp/a /tmp/b",
                "GlobalKnownHostsFile", "/tmp/g", "ConnectTimeout", "4");
        SshOptions defaults = SshOptions.builder().sshConfig(null).build();
        KnownHostsVerifier v = new HostSettings(defaults, e).hostKeyVerifier();
        assertEquals(HostKeyPolicy.ACCEPT_NEW, v.policy());
        assertEquals(List.of(Path.of("/tmp/a"), Path.of("/tmp/b"), Path.of("/tmp/g")), v.files());
        assertEquals(Path.of("/tmp/a"), v.writableFile());
        assertEquals(Duration.ofSeconds(4), new HostSettings(defaults, e).connectTimeout());

        SshOptions chosen = SshOptions.builder().sshConfig(null).hostKeyPolicy(HostKeyPolicy.STRICT)
                .knownHosts(Path.of("/tmp/mine")).connectTimeout(Duration.ofSeconds(9)).build();
        // policy and files chosen in code: the connector's own verifier, nothing per host
        assertNull(new HostSettings(chosen, e).hostKeyVerifier());
        assertEquals(Duration.ofSeconds(9), new HostSettings(chosen, e).connectTimeout());
        assertNull(new HostSettings(defaults, entry()).hostKeyVerifier());
    }
}
