package io.github.sshcontainer.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SshTargetTest {

    @ParameterizedTest
    @CsvSource(nullValues = "-", value = {
        "ssh://deploy@build-1:2222, deploy, build-1, 2222",
        "ssh://build-1, -, build-1, -",
        "ssh://root@127.0.0.1, root, 127.0.0.1, -",
        "deploy@build-1, deploy, build-1, -",
        "build-1, -, build-1, -",
        "build-1.example.com:2200, -, build-1.example.com, 2200",
        "'[::1]:2222', -, ::1, 2222",
        "'root@[::1]:2222', root, ::1, 2222",
        "'ssh://root@[fe80::1%eth0]:22', root, fe80::1%eth0, 22",
        "::1, -, ::1, -",
        "my_alias, -, my_alias, -",
        "SSH://u@h, u, h, -",
    })
    void parsesTheFormsUsersType(String text, String user, String host, Integer port) {
        SshTarget t = SshTarget.parse(text);
        assertEquals(Optional.ofNullable(user), t.user());
        assertEquals(host, t.host());
        assertEquals(Optional.ofNullable(port), t.port());
    }

    @Test
    void keepsThePathOfAnSshUri() {
        SshTarget t = SshTarget.parse("ssh://core@podman-1/run/user/1000/podman/podman.sock");
        assertEquals(Optional.of("/run/user/1000/podman/podman.sock"), t.path());
        assertEquals("podman-1", t.host());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "ssh://", "http://host", "user@", "@host", "host:", "host:0", "host:65536",
        "host:22x", "[::1", "[::1]x", "ssh://host:abc", "two words", "a/b", "ho$t", "[not-v6!]:22", "ssh://u@h?x=1"})
    void rejectsAnythingElseNamingTheExpectedForms(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SshTarget.parse(text));
        assertTrue(e.getMessage().contains("expected ssh://[user@]host[:port]"), e.getMessage());
        assertTrue(e.getMessage().startsWith("invalid SSH target '"), e.getMessage());
    }

    @Test
    void printsAsAnSshUriWithBracketsForIpv6() {
        assertEquals("ssh://root@[::1]:2222", SshTarget.parse("root@[::1]:2222").toString());
        assertEquals("ssh://h", SshTarget.parse("h").toString());
        assertEquals(SshTarget.parse("ssh://u@h:2"), SshTarget.parse("u@h:2"));
    }

    @Test
    void overridesUserAndPortKeepingTheRest() {
        SshTarget t = SshTarget.parse("ssh://a@h/x.sock").withUser("b").withPort(2022);
        assertEquals(Optional.of("b"), t.user());
        assertEquals(Optional.of(2022), t.port());
        assertEquals(Optional.of("/x.sock"), t.path());
    }
}
