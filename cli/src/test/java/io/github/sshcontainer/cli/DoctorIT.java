package io.github.sshcontainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.Requirements;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ssh-container doctor} against real sshd instances and the real Docker daemon: a healthy host, an unknown
 * host key, streamlocal forwarding switched off, a user outside the docker group, a host behind a ProxyCommand.
 */
class DoctorIT {
    static final Path DOCKER = Paths.get(System.getenv().getOrDefault("DOCKER_SOCK", "/var/run/docker.sock"));
    static final String NODOCKER_USER = System.getenv().getOrDefault("SSHC_NODOCKER_USER", "sshc-nodocker");

    static OpenSshServer sshd;
    static OpenSshServer noForwarding;
    @TempDir
    static Path tmp;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        // a world-readable copy of the public keys lets the second user log in too (as in RuntimeConnectionIT)
        Path publicKeys = tmp.resolve("authorized_keys_any_user");
        sshd = OpenSshServer.startOrSkip(OpenSshServer.builder()
                .extraConfig("Match User " + NODOCKER_USER)
                .extraConfig("AuthorizedKeysFile " + publicKeys));
        Files.copy(sshd.dir().resolve("authorized_keys"), publicKeys);
        Files.setPosixFilePermissions(publicKeys, PosixFilePermissions.fromString("rw-r--r--"));
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
        noForwarding = OpenSshServer.startOrSkip(OpenSshServer.builder().allowStreamLocalForwarding(false));
    }

    @AfterAll
    static void stop() {
        for (OpenSshServer s : new OpenSshServer[] {sshd, noForwarding}) {
            if (s != null) {
                s.close();
            }
        }
    }

    /** Exit code, stdout, stderr. */
    private static String[] doctor(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> all = new ArrayList<>(List.of("doctor"));
        all.addAll(List.of(args));
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), all.toArray(String[]::new));
        System.out.println("[DoctorIT] exit " + code + "\n" + out + err);
        return new String[] {String.valueOf(code), out.toString(), err.toString()};
    }

    private List<String> args(OpenSshServer server, Path knownHosts, String user) {
        return new ArrayList<>(List.of("-i", server.clientKey().toString(), "--known-hosts", knownHosts.toString(),
                "--ssh-config", "none", "--no-agent", "-p", String.valueOf(server.port()), user + "@127.0.0.1"));
    }

    /** The line of check {@code name}, e.g. {@code ✓ host key: ...} (or {@code [ok] host key: ...} without UTF-8). */
    private static String line(String out, String name) {
        return out.lines().filter(l -> l.matches("^(\\S+) " + java.util.regex.Pattern.quote(name) + ": .*"))
                .findFirst().orElse(null);
    }

    private static void assertOk(String out, String name, String contains) {
        String l = line(out, name);
        assertNotNull(l, "no '" + name + "' line in:\n" + out);
        assertTrue(l.startsWith("✓ ") || l.startsWith("[ok] "), l + "\n" + out);
        assertTrue(l.contains(contains), "'" + contains + "' not in: " + l + "\n" + out);
    }

    private static void assertFailed(String out, String name, String contains) {
        String l = line(out, name);
        assertNotNull(l, "no '" + name + "' line in:\n" + out);
        assertTrue(l.startsWith("✗ ") || l.startsWith("[FAIL] "), l + "\n" + out);
        assertTrue(l.contains(contains), "'" + contains + "' not in: " + l + "\n" + out);
    }

    @Test
    void aHealthyHostPassesEveryCheckAndExitsZero() throws Exception {
        Requirements.requireUnixSocket(DOCKER);
        Path kh = dir.resolve("known_hosts");
        sshd.writeKnownHosts(kh);
        String[] r = doctor(args(sshd, kh, sshd.user()).toArray(String[]::new));
        assertEquals("0", r[0], r[1] + r[2]);
        assertOk(r[1], "ssh config", sshd.user() + "@127.0.0.1:" + sshd.port());
        assertOk(r[1], "dns", "127.0.0.1");
        assertOk(r[1], "tcp", "127.0.0.1:" + sshd.port() + " accepts connections (");
        assertOk(r[1], "server", "SSH-2.0-OpenSSH_");
        assertOk(r[1], "host key", "ssh-ed25519 SHA256:");
        assertOk(r[1], "host key", "(" + kh.toAbsolutePath() + ":1)");
        assertOk(r[1], "authentication", "by publickey");
        assertOk(r[1], "streamlocal forwarding", "allowed");
        assertOk(r[1], "docker daemon", "Docker Engine");
        assertTrue(r[1].contains("A container runtime is reachable."), r[1]);
    }

    @Test
    void jsonOutputCarriesTheSameChecks() throws Exception {
        Requirements.requireUnixSocket(DOCKER);
        Path kh = dir.resolve("known_hosts");
        sshd.writeKnownHosts(kh);
        List<String> a = args(sshd, kh, sshd.user());
        a.add(0, "--json");
        String[] r = doctor(a.toArray(String[]::new));
        assertEquals("0", r[0], r[1] + r[2]);
        assertTrue(r[1].startsWith("{\"target\":"), r[1]);
        assertTrue(r[1].contains("\"runtimeReachable\":true"), r[1]);
        assertTrue(r[1].contains("{\"name\":\"docker daemon\",\"status\":\"ok\",\"detail\":\"Docker Engine"), r[1]);
    }

    @Test
    void anUnknownHostKeyIsShownWithItsFingerprintAndTheFilesConsulted() {
        Path kh = dir.resolve("empty_known_hosts");
        String[] r = doctor(args(sshd, kh, sshd.user()).toArray(String[]::new));
        assertEquals("1", r[0], r[1] + r[2]);
        assertOk(r[1], "tcp", "accepts connections");
        assertFailed(r[1], "host key", "host key for [127.0.0.1]:" + sshd.port() + " is not known (ssh-ed25519 SHA256:");
        assertFailed(r[1], "host key", "files consulted: " + kh.toAbsolutePath() + " (missing)");
        assertTrue(r[1].contains("fix: compare the fingerprint"), r[1]);
        assertTrue(line(r[1], "authentication") == null, "nothing after a refused host key: " + r[1]);
    }

    @Test
    void authenticationFailureSaysWhatTheServerOfferedAndWhatWasTried() {
        Path kh = dir.resolve("known_hosts");
        sshd.writeKnownHosts(kh);
        List<String> a = args(sshd, kh, sshd.user());
        a.set(1, sshd.unauthorizedKey().toString());
        String[] r = doctor(a.toArray(String[]::new));
        assertEquals("1", r[0], r[1] + r[2]);
        assertOk(r[1], "host key", "accepted");
        assertFailed(r[1], "authentication", "the server offers publickey");
        assertFailed(r[1], "authentication", "we tried publickey");
    }

    @Test
    void forwardingSwitchedOffIsNamedWithTheSshdSetting() throws Exception {
        Requirements.requireUnixSocket(DOCKER);
        Path kh = dir.resolve("known_hosts");
        noForwarding.writeKnownHosts(kh);
        String[] r = doctor(args(noForwarding, kh, noForwarding.user()).toArray(String[]::new));
        assertOk(r[1], "docker socket", DOCKER + " usable");
        assertFailed(r[1], "streamlocal forwarding", "AllowStreamLocalForwarding");
        assertTrue(r[1].contains("fix: in the server's sshd_config set AllowStreamLocalForwarding yes"), r[1]);
        // the dial-stdio fallback decides whether a runtime is still reachable
        String fallback = line(r[1], "docker dial-stdio");
        assertNotNull(fallback, r[1]);
        assertEquals(fallback.contains("fallback would work") ? "0" : "1", r[0], r[1] + r[2]);
    }

    @Test
    void aUserOutsideTheDockerGroupIsToldWhichGroupToJoin() throws Exception {
        Requirements.requireUnixSocket(DOCKER);
        Requirements.require(new ProcessBuilder("id", "-u", NODOCKER_USER).start().waitFor() == 0,
                "no local user " + NODOCKER_USER + " (.ci/run creates it; see SSHC_NODOCKER_USER)");
        Path kh = dir.resolve("known_hosts");
        sshd.writeKnownHosts(kh);
        // the key must be readable by the test's own JVM only; the other user logs in with the same key
        String[] r = doctor(args(sshd, kh, NODOCKER_USER).toArray(String[]::new));
        assertEquals("1", r[0], r[1] + r[2]);
        assertOk(r[1], "remote user", NODOCKER_USER);
        assertFailed(r[1], "docker socket", DOCKER + " permission denied (srw-rw---- root:docker)");
        assertTrue(r[1].contains("fix: user " + NODOCKER_USER), r[1]);
        assertTrue(r[1].contains("sudo usermod -aG docker " + NODOCKER_USER), r[1]);
    }

    @Test
    void aHostBehindAProxyCommandFromSshConfig() throws Exception {
        Requirements.require(Files.isExecutable(Path.of("/usr/bin/socat")), "socat (apt-get install socat)");
        Path kh = dir.resolve("known_hosts");
        sshd.writeKnownHosts(kh);
        Path config = dir.resolve("config");
        Files.writeString(config, String.join("\n",
                "Host behind-proxy",
                "  HostName 127.0.0.1",
                "  Port " + sshd.port(),
                "  User " + sshd.user(),
                "  IdentityFile " + sshd.clientKey(),
                "  UserKnownHostsFile " + kh,
                "  ProxyCommand socat - TCP:%h:%p",
                "Match exec \"true\"",
                "  Port 1",
                ""));
        String[] r = doctor("--ssh-config", config.toString(), "--no-agent", "behind-proxy");
        assertOk(r[1], "ssh config", "via ProxyCommand socat - TCP:127.0.0.1:" + sshd.port());
        assertOk(r[1], "server", "SSH-2.0-OpenSSH_");
        assertOk(r[1], "host key", "(" + kh.toAbsolutePath() + ":1)");
        assertOk(r[1], "authentication", "by publickey");
        assertTrue(line(r[1], "tcp") == null, "no direct TCP check through a proxy: " + r[1]);
    }
}
