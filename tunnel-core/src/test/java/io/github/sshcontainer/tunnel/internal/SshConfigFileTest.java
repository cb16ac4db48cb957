package io.github.sshcontainer.tunnel.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.sshd.client.config.hosts.HostConfigEntry;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SshConfigFileTest {

    @Test
    void aMatchBlockDoesNotBreakTheRestOfTheFile(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("config");
        Files.writeString(config, String.join("\n",
                "Host build",
                "  HostName 10.1.2.3",
                "  Port 2200",
                "  User deploy",
                "Match exec \"true\"",
                "  User nobody",
                "Host other",
                "  HostName 10.9.9.9",
                ""));
        HostConfigEntryResolver resolver = SshConfigFile.resolver(config);
        HostConfigEntry build = resolver.resolveEffectiveHost("build", 0, null, null, null, null);
        assertEquals("10.1.2.3", build.getHostName());
        assertEquals(2200, build.getPort());
        assertEquals("deploy", build.getUsername());
        assertEquals("10.9.9.9", resolver.resolveEffectiveHost("other", 0, null, null, null, null).getHostName());
    }

    @Test
    void noFileMeansNoOverrides(@TempDir Path dir) throws Exception {
        assertNull(SshConfigFile.resolver(dir.resolve("missing")).resolveEffectiveHost("h", 22, null, "u", null, null));
    }
}
