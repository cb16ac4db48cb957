package io.github.sshcontainer.tunnel.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;

import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.junit.jupiter.api.Test;

class EmbeddedSshServerTest {

    @Test
    void refusesWildcardAddresses() throws Exception {
        EmbeddedSshServer.Builder builder = EmbeddedSshServer.builder();
        assertThrows(IllegalArgumentException.class, () -> builder.bindAddress(InetAddress.getByName("0.0.0.0")));
        assertThrows(IllegalArgumentException.class, () -> builder.bindAddress(InetAddress.getByName("::")));
    }

    @Test
    void refusesToStartWithoutCredentials() {
        assertThrows(IllegalStateException.class, () -> EmbeddedSshServer.builder().start());
    }

    @Test
    void knownHostsLineNamesLoopbackPortAndHostKey() throws Exception {
        try (EmbeddedSshServer server = EmbeddedSshServer.builder().authorizedKey(someKey()).start()) {
            assertEquals("127.0.0.1", server.host());
            assertTrue(server.port() > 0, "ephemeral port resolved");
            String line = server.knownHostsLine();
            String[] fields = line.split(" ");
            assertEquals(3, fields.length, line);
            assertEquals("[127.0.0.1]:" + server.port(), fields[0]);
            assertEquals("ssh-ed25519", fields[1], "Bouncy Castle is on the class path, so ed25519");
            var parsed = PublicKeyEntry.parsePublicKeyEntry(fields[1] + " " + fields[2])
                    .resolvePublicKey(null, null, PublicKeyEntryResolver.FAILING);
            assertTrue(KeyUtils.compareKeys(server.hostPublicKey(), parsed));
        }
    }

    @Test
    void loopbackFilter() {
        assertTrue(LoopbackOnlyForwardingFilter.resolvesToLoopbackOnly("127.0.0.1"));
        assertTrue(LoopbackOnlyForwardingFilter.resolvesToLoopbackOnly("::1"));
        assertTrue(LoopbackOnlyForwardingFilter.resolvesToLoopbackOnly("localhost"));
        assertFalse(LoopbackOnlyForwardingFilter.resolvesToLoopbackOnly("192.0.2.1"));
        assertFalse(LoopbackOnlyForwardingFilter.resolvesToLoopbackOnly("0.0.0.0"));
        assertFalse(LoopbackOnlyForwardingFilter.resolvesToLoopbackOnly(""));
    }

    private static java.security.PublicKey someKey() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = generator.generateKeyPair();
        return pair.getPublic();
    }
}
