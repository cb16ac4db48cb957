package io.github.sshcontainer.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.Requirements;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.core.CoreModuleProperties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ssh_config as OpenSSH users write it, against a real OpenSSH sshd: Match, Include, ProxyCommand, ProxyJump. */
class SshConfigIT {
    private static OpenSshServer sshd;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        sshd = OpenSshServer.startOrSkip(OpenSshServer.builder());
    }

    @AfterAll
    static void stop() {
        if (sshd != null) {
            sshd.close();
        }
    }

    /** Options as a user has them: no key, known_hosts or policy chosen in code, everything from ssh_config. */
    private SshOptions configOnly(Path config) {
        return SshOptions.builder().sshConfig(config).useAgent(false).build();
    }

    private Path config(String... lines) throws Exception {
        Path config = dir.resolve("config");
        Files.writeString(config, String.join("\n", lines) + "\n");
        return config;
    }

    @Test
    void aliasMatchAndIncludeTakeEffect() throws Exception {
        Path knownHosts = dir.resolve("known_hosts");
        sshd.writeKnownHosts(knownHosts);
        Files.writeString(dir.resolve("ports.conf"), "Host box\n  Port " + sshd.port() + "\n");
        Path config = config(
                "Include " + dir.resolve("ports.conf"),
                "Host box",
                "  HostName 127.0.0.1",
                "  UserKnownHostsFile " + knownHosts,
                "Match exec \"false\"",
                "  Port 1",
                "Match host 127.0.0.1",
                "  User " + sshd.user(),
                "  IdentityFile " + sshd.clientKey(),
                "  ServerAliveInterval 7",
                "  ServerAliveCountMax 2",
                "Host *",
                "  SomeKeywordFromTheFuture yes");
        try (SshConnector connector = SshConnector.create(configOnly(config));
                ClientSession session = connector.connect(SshTarget.parse("box"))) {
            assertTrue(session.isAuthenticated());
            assertEquals(sshd.user(), session.getUsername());
            assertEquals(Duration.ofSeconds(7), CoreModuleProperties.HEARTBEAT_INTERVAL.getRequired(session));
            assertEquals(2, CoreModuleProperties.HEARTBEAT_NO_REPLY_MAX.getRequired(session));
        }
    }

    @Test
    void proxyCommandCarriesTheConnectionAndTheRealHostIsChecked() throws Exception {
        Requirements.require(Files.isExecutable(Path.of("/usr/bin/socat")), "socat (apt-get install socat)");
        Path knownHosts = dir.resolve("known_hosts");
        sshd.writeKnownHosts(knownHosts);
        Path config = config(
                "Host proxied",
                "  HostName 127.0.0.1",
                "  Port " + sshd.port(),
                "  User " + sshd.user(),
                "  IdentityFile " + sshd.clientKey(),
                "  UserKnownHostsFile " + knownHosts,
                "  ProxyCommand socat - TCP:%h:%p");
        try (SshConnector connector = SshConnector.create(configOnly(config));
                ClientSession session = connector.connect(SshTarget.parse("proxied"))) {
            assertTrue(session.isAuthenticated());
        }
        // the host key is looked up as [127.0.0.1]:PORT, not as the loopback bridge: an empty file refuses it by name
        Files.writeString(knownHosts, "");
        try (SshConnector connector = SshConnector.create(configOnly(config))) {
            HostKeyException e = assertThrows(HostKeyException.class,
                    () -> connector.connect(SshTarget.parse("proxied")).close());
            assertEquals("[127.0.0.1]:" + sshd.port(), e.host());
            assertTrue(e.getMessage().contains(knownHosts.toString()), e.getMessage());
        }
    }

    @Test
    void aFailingProxyCommandIsNamedWithItsOutput() throws Exception {
        Path config = config(
                "Host broken",
                "  HostName 127.0.0.1",
                "  ProxyCommand echo no route to the bastion >&2; exit 3",
                "  UserKnownHostsFile " + dir.resolve("kh"));
        try (SshConnector connector = SshConnector.create(configOnly(config))) {
            SshTunnelException e = assertThrows(SshTunnelException.class,
                    () -> connector.connect(SshTarget.parse("broken")).close());
            assertEquals(Failure.CONNECT, e.failure(), e.getMessage());
            assertTrue(e.getMessage().contains("ProxyCommand"), e.getMessage());
            assertTrue(e.getMessage().contains("no route to the bastion"), e.getMessage());
        }
    }

    @Test
    void proxyJumpThroughTwoHopsUsesEachHopsConfig() throws Exception {
        Path knownHosts = dir.resolve("known_hosts");
        sshd.writeKnownHosts(knownHosts);
        String common = "  HostName 127.0.0.1\n  Port " + sshd.port() + "\n  User " + sshd.user() + "\n  IdentityFile "
                + sshd.clientKey();
        Path config = config(
                "Host hop1", common,
                "Host hop2", common, "  ProxyJump hop1",
                "Host inner", common, "  ProxyJump hop1,hop2",
                "Host *", "  UserKnownHostsFile " + knownHosts);
        try (SshConnector connector = SshConnector.create(configOnly(config));
                ClientSession session = connector.connect(SshTarget.parse("inner"))) {
            assertTrue(session.isAuthenticated());
        }
    }

    @Test
    void strictHostKeyCheckingAcceptNewFromTheConfigWritesTheConfiguredFile() throws Exception {
        Path knownHosts = dir.resolve("new_known_hosts");
        Path config = config(
                "Host fresh",
                "  HostName 127.0.0.1",
                "  Port " + sshd.port(),
                "  IdentityFile " + sshd.clientKey(),
                "  StrictHostKeyChecking accept-new",
                "  UserKnownHostsFile " + knownHosts,
                "  GlobalKnownHostsFile " + dir.resolve("global_known_hosts"));
        try (SshConnector connector = SshConnector.create(configOnly(config));
                ClientSession session = connector.connect(SshTarget.parse("fresh"))) {
            assertTrue(session.isAuthenticated());
        }
        assertTrue(Files.readString(knownHosts).startsWith("[127.0.0.1]:" + sshd.port() + " ssh-ed25519 "));
        // a policy chosen in code wins over the config, like ssh -o
        Files.writeString(knownHosts, "");
        SshOptions strict = configOnly(config).toBuilder().hostKeyPolicy(HostKeyPolicy.STRICT).build();
        try (SshConnector connector = SshConnector.create(strict)) {
            HostKeyException e = assertThrows(HostKeyException.class,
                    () -> connector.connect(SshTarget.parse("fresh")).close());
            assertTrue(e.getMessage().contains(dir.resolve("global_known_hosts").toString()), e.getMessage());
        }
    }
}
