package io.github.sshcontainer.tunnel.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.apache.sshd.client.config.hosts.HostConfigEntry;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SshConfigFileTest {
    private static final String HOME = System.getProperty("user.home");
    private static final String ME = System.getProperty("user.name");

    private static HostConfigEntry resolve(Path config, String host, String user) throws Exception {
        return SshConfigFile.resolver(config).resolveEffectiveHost(host, 0, null, user, null, null);
    }

    @Test
    void anUnsupportedMatchBlockIsSkippedAndTheRestOfTheFileApplies(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("config");
        Files.writeString(config, String.join("\n",
                "Host build",
                "  HostName 10.1.2.3",
                "  Port 2200",
                "  User deploy",
                "Match exec \"true\"",
                "  User nobody",
                "  Port 1",
                "Host other",
                "  HostName 10.9.9.9",
                ""));
        HostConfigEntry build = resolve(config, "build", null);
        assertEquals("10.1.2.3", build.getHostName());
        assertEquals(2200, build.getPort());
        assertEquals("deploy", build.getUsername());
        assertEquals("10.9.9.9", resolve(config, "other", null).getHostName());
    }

    @Test
    void hostPatternsAliasesAndTheFirstValueWins(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("config");
        Files.writeString(config, String.join("\n",
                "# comment",
                "Host web-* !web-secret",
                "  User www",
                "Host db1 db2",
                "  HostName %h.internal.example",
                "Host *",
                "  User fallback",
                "  Port 2222",
                "  ServerAliveInterval=7",
                "  ConnectTimeout 3",
                ""));
        HostConfigEntry web = resolve(config, "web-1", null);
        assertEquals("www", web.getUsername());
        assertEquals(2222, web.getPort());
        assertEquals("web-1", web.getHostName());
        assertEquals("7", web.getProperty("ServerAliveInterval"));
        assertEquals("3", web.getProperty("ConnectTimeout"));
        assertEquals("fallback", resolve(config, "web-secret", null).getUsername());
        assertEquals("db2.internal.example", resolve(config, "db2", null).getHostName());
        assertEquals("given", resolve(config, "web-1", "given").getUsername());
    }

    @Test
    void matchHostUserAndAllAreEvaluated(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("config");
        Files.writeString(config, String.join("\n",
                "Host alias",
                "  HostName real.example",
                "Match host real.example user admin",
                "  Port 2001",
                "Match originalhost alias !user admin",
                "  Port 2002",
                "Match all",
                "  Port 2003",
                ""));
        assertEquals(2001, resolve(config, "alias", "admin").getPort());
        assertEquals(2002, resolve(config, "alias", "other").getPort());
        assertEquals(2003, resolve(config, "real.example", "other").getPort());
        assertEquals(2003, resolve(config, "unrelated", null).getPort());
    }

    @Test
    void includeReadsFilesInPlaceWithGlobsAndTheEnclosingHostCondition(@TempDir Path dir) throws Exception {
        Path sub = Files.createDirectories(dir.resolve("conf.d"));
        Files.writeString(sub.resolve("10-a.conf"), "Host a\n  HostName a.example\n");
        Files.writeString(sub.resolve("20-b.conf"), "Host b\n  HostName b.example\n");
        Files.writeString(dir.resolve("only-c"), "Port 2345\n");
        Path config = dir.resolve("config");
        Files.writeString(config, String.join("\n",
                "Include " + sub + "/*.conf",
                "Host c",
                "  Include " + dir.resolve("only-c"),
                "Host *",
                "  Port 2000",
                ""));
        assertEquals("a.example", resolve(config, "a", null).getHostName());
        assertEquals("b.example", resolve(config, "b", null).getHostName());
        assertEquals(2345, resolve(config, "c", null).getPort());
        assertEquals(2000, resolve(config, "a", null).getPort());
    }

    @Test
    void identityFilesAccumulateInOrderWithTokensExpanded(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("config");
        Files.writeString(config, String.join("\n",
                "Host box",
                "  HostName box.example",
                "  User deploy",
                "  Port 2200",
                "  IdentityFile ~/.ssh/id_%h_%r",
                "  IdentityFile %d/keys/%u-%n-%p-100%%",
                "  IdentitiesOnly yes",
                "  IdentityAgent none",
                "  ProxyCommand socat - TCP:%h:%p",
                "  UserKnownHostsFile ~/kh1 %d/kh2",
                "Host *",
                "  IdentityFile ~/.ssh/id_default",
                "  SomeFutureKeyword whatever",
                ""));
        HostConfigEntry e = resolve(config, "box", null);
        assertEquals(List.of(HOME + "/.ssh/id_box.example_deploy", HOME + "/keys/" + ME + "-box-2200-100%",
                HOME + "/.ssh/id_default"), List.copyOf(e.getIdentities()));
        assertTrue(e.isIdentitiesOnly());
        assertEquals("none", e.getProperty("IdentityAgent"));
        assertEquals("socat - TCP:box.example:2200", e.getProperty("ProxyCommand"));
        assertEquals(HOME + "/kh1 " + HOME + "/kh2", e.getProperty("UserKnownHostsFile"));
    }

    @Test
    void proxyJumpNoneAndMultiHop(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("config");
        Files.writeString(config, "Host inner\n  ProxyJump j1,admin@j2:2222\nHost direct\n  ProxyJump none\n");
        assertEquals("j1,admin@j2:2222", resolve(config, "inner", null).getProxyJump());
        assertNull(resolve(config, "direct", null).getProxyJump());
    }

    @Test
    void quotedArgumentsAndTrailingComments() {
        assertEquals(List.of("IdentityFile", "/a b/key"), SshConfigFile.split("  IdentityFile \"/a b/key\" # mine"));
        assertEquals(List.of("Port", "22"), SshConfigFile.split("Port=22"));
        assertTrue(SshConfigFile.split("   # only a comment").isEmpty());
        assertFalse(SshConfigFile.patternList(List.of("*", "!bad"), "bad"));
    }

    @Test
    void noFileMeansNoOverrides(@TempDir Path dir) throws Exception {
        assertNull(SshConfigFile.resolver(dir.resolve("missing")).resolveEffectiveHost("h", 22, null, "u", null, null));
    }
}
