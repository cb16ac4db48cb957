package io.github.sshcontainer.testcontainers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PortForwardsTest {

    @Test
    void aPortPublishedOnEveryAddressIsReachedOnTheRemoteLoopback() {
        assertEquals("127.0.0.1", PortForwards.remoteHost("0.0.0.0"));
        assertEquals("127.0.0.1", PortForwards.remoteHost("::"));
        assertEquals("127.0.0.1", PortForwards.remoteHost(""));
        assertEquals("127.0.0.1", PortForwards.remoteHost(null));
    }

    @Test
    void aPortPublishedOnOneAddressIsReachedThere() {
        assertEquals("127.0.0.2", PortForwards.remoteHost("127.0.0.2"));
        assertEquals("::1", PortForwards.remoteHost("::1"));
        assertEquals("::1", PortForwards.remoteHost("[::1]"));
    }

    @Test
    void onlySshDockerHostsAreTaken() {
        assertTrue(SshDockerClientProviderStrategy.isSsh("ssh://deploy@build-1"));
        assertTrue(SshDockerClientProviderStrategy.isSsh(" SSH://deploy@build-1:2222"));
        assertFalse(SshDockerClientProviderStrategy.isSsh("unix:///var/run/docker.sock"));
        assertFalse(SshDockerClientProviderStrategy.isSsh("tcp://127.0.0.1:2375"));
        assertFalse(SshDockerClientProviderStrategy.isSsh(null));
    }

    @Test
    void theDialStdioCommandQuotesTheSocket() {
        assertEquals("docker -H 'unix:///run/it'\\''s.sock' system dial-stdio",
                SshDockerHost.dialStdioCommand("/run/it's.sock"));
    }
}
