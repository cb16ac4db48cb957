package io.github.sshcontainer.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HostKeyPolicyTest {
    @Test
    void parsesCliAndOpenSshSpellings() {
        assertEquals(HostKeyPolicy.STRICT, HostKeyPolicy.parse("strict"));
        assertEquals(HostKeyPolicy.STRICT, HostKeyPolicy.parse("yes"));
        assertEquals(HostKeyPolicy.ACCEPT_NEW, HostKeyPolicy.parse("Accept-New"));
        assertEquals(HostKeyPolicy.INSECURE, HostKeyPolicy.parse("insecure"));
    }

    @Test
    void insecureIsNeverTheFallbackForUnknownWords() {
        for (String s : new String[] {"no", "off", "", "false", "accept"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HostKeyPolicy.parse(s));
            assertTrue(e.getMessage().contains("strict, accept-new, insecure"), e.getMessage());
        }
    }

    @Test
    void defaultOptionsAreStrict() {
        assertEquals(HostKeyPolicy.STRICT, SshOptions.defaults().hostKeyPolicy());
    }
}
