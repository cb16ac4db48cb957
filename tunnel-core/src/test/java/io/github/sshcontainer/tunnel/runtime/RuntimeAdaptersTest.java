package io.github.sshcontainer.tunnel.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RuntimeAdaptersTest {

    @Test
    void findsAnAdapterByNameThroughServiceLoader() {
        RuntimeAdapter<?> a = RuntimeAdapters.find("ECHO");
        assertEquals("echo", a.name());
        assertEquals(EchoAdapter.Client.class, RuntimeAdapters.find("echo", EchoAdapter.Client.class).clientType());
    }

    @Test
    void anUnknownRuntimeNamesTheArtifactToAddAndWhatIsAvailable() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RuntimeAdapters.find("podman"));
        assertTrue(e.getMessage().contains("add io.github.sshcontainer:ssh-container-podman"), e.getMessage());
        assertTrue(e.getMessage().contains("available: echo"), e.getMessage());
        IllegalArgumentException other = assertThrows(IllegalArgumentException.class, () -> RuntimeAdapters.find("lxc"));
        assertTrue(other.getMessage().startsWith("no adapter for runtime 'lxc'; available: echo"), other.getMessage());
    }

    @Test
    void aClientTypeMismatchIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RuntimeAdapters.find("echo", String.class));
        assertTrue(e.getMessage().contains("not java.lang.String"), e.getMessage());
    }
}
