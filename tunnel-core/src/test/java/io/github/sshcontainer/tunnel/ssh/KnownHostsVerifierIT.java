package io.github.sshcontainer.tunnel.ssh;

import io.github.sshcontainer.tunnel.testing.Requirements;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.sshcontainer.tunnel.HostKeyException;
import io.github.sshcontainer.tunnel.HostKeyPolicy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.config.hosts.HostConfigEntry;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.SshException;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link KnownHostsVerifier} in MINA's real key exchange against a real OpenSSH sshd, checked with OpenSSH's tools. */
class KnownHostsVerifierIT {

    private static final Path SSHD = Path.of("/usr/sbin/sshd");
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    static Path dir;

    private static Process sshd;
    private static Path sshdLog;
    private static int port;
    private static String hostKeyLine;     // "ssh-ed25519 AAAA..." from host.pub
    private static String hostFingerprint; // SHA256:... as ssh-keygen -l prints it
    private static KeyPair userKey;

    @BeforeAll
    static void startSshd() throws Exception {
        requireOrSkip(Files.isExecutable(SSHD), SSHD + " (OpenSSH server)");
        requireOrSkip(onPath("ssh-keygen"), "ssh-keygen");

        Path hostKey = dir.resolve("host_ed25519_key");
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "it-host", "-f", hostKey.toString());
        String pub = Files.readString(dir.resolve("host_ed25519_key.pub")).strip();
        hostKeyLine = pub.substring(0, pub.lastIndexOf(' ')); // drop the comment
        hostFingerprint = run("ssh-keygen", "-l", "-f", dir.resolve("host_ed25519_key.pub").toString())
                .split(" ")[1];

        userKey = KeyUtils.generateKeyPair("ssh-ed25519", 256);
        Path authorizedKeys = dir.resolve("authorized_keys");
        Files.writeString(authorizedKeys, PublicKeyEntry.toString(userKey.getPublic()) + "\n");

        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path config = dir.resolve("sshd_config");
        Files.writeString(config, String.join("\n",
                "Port " + port,
                "ListenAddress 127.0.0.1",
                "HostKey " + hostKey,
                "PidFile " + dir.resolve("sshd.pid"),
                "AuthorizedKeysFile " + authorizedKeys,
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PermitRootLogin prohibit-password",
                "StrictModes no",
                "UsePAM no",
                "") + "\n");
        try {
            Files.createDirectories(Path.of("/run/sshd")); // privilege separation directory
        } catch (IOException notRoot) {
            // sshd will say so in its log if it needs it
        }
        sshdLog = dir.resolve("sshd.log");
        sshd = new ProcessBuilder(SSHD.toString(), "-D", "-e", "-f", config.toString())
                .redirectErrorStream(true).redirectOutput(sshdLog.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                break;
            } catch (IOException notYet) {
                if (!sshd.isAlive() || System.nanoTime() > deadline) {
                    fail("sshd did not start: " + Files.readString(sshdLog));
                }
                Thread.sleep(50);
            }
        }
    }

    @AfterAll
    static void stopSshd() throws Exception {
        if (sshd != null) {
            sshd.descendants().forEach(ProcessHandle::destroy);
            sshd.destroy();
            if (!sshd.waitFor(10, TimeUnit.SECONDS)) {
                sshd.destroyForcibly();
            }
        }
    }

    @Test
    void strictRefusesAnUnknownHostAndTellsWhy() throws Exception {
        Path knownHosts = dir.resolve("strict/known_hosts");
        try (SshClient client = client(new KnownHostsVerifier(List.of(knownHosts), knownHosts,
                HostKeyPolicy.STRICT))) {
            // the TCP connection and the session are set up before the key exchange: connect() succeeds
            ClientSession session = client.connect(user(), "127.0.0.1", port).verify(TIMEOUT).getSession();
            SshException e = assertThrows(SshException.class, () -> session.auth().verify(TIMEOUT));
            // what MINA 2.20 reports when the verifier says false
            assertEquals(SshConstants.SSH2_DISCONNECT_HOST_KEY_NOT_VERIFIABLE, rootSsh(e).getDisconnectCode(),
                    describe(e));
            assertTrue(describe(e).contains("Server key did not validate"), describe(e));
            System.out.println("[KnownHostsVerifierIT] auth().verify() threw: " + describe(e));

            // MINA clears the session's attributes once it has closed; failureOf still knows
            session.waitFor(EnumSet.of(ClientSession.ClientSessionEvent.CLOSED), TIMEOUT);
            session.close(false).await(TIMEOUT);
            HostKeyException failure = KnownHostsVerifier.failureOf(session).orElseThrow();
            assertEquals("[127.0.0.1]:" + port, failure.host());
            assertEquals("ssh-ed25519", failure.keyType());
            assertEquals(hostFingerprint, failure.fingerprint());
            assertEquals("host key for [127.0.0.1]:" + port + " is not known (ssh-ed25519 " + hostFingerprint
                    + "); files consulted: " + knownHosts.toAbsolutePath() + " (missing)"
                    + "; verify the fingerprint and add it with: ssh-keyscan -p " + port + " 127.0.0.1 >> "
                    + knownHosts.toAbsolutePath() + ", or use host key policy accept-new", failure.getMessage());
            assertFalse(Files.exists(knownHosts));
        }
    }

    @Test
    void acceptNewWritesALineOpenSshFindsAndStrictThenAccepts() throws Exception {
        Path knownHosts = dir.resolve("accept-new/.ssh/known_hosts");
        try (SshClient client = client(new KnownHostsVerifier(List.of(knownHosts), knownHosts,
                HostKeyPolicy.ACCEPT_NEW))) {
            connectAndAuthenticate(client, null);
        }
        String expected = "[127.0.0.1]:" + port + " " + hostKeyLine;
        assertEquals(List.of(expected), Files.readAllLines(knownHosts));

        // OpenSSH's own lookup finds it
        String found = run("ssh-keygen", "-F", "[127.0.0.1]:" + port, "-f", knownHosts.toString());
        assertTrue(found.contains(expected), found);

        // and from now on strict checking accepts the server
        try (SshClient client = client(new KnownHostsVerifier(List.of(knownHosts), knownHosts,
                HostKeyPolicy.STRICT))) {
            connectAndAuthenticate(client, null);
        }
        assertEquals(List.of(expected), Files.readAllLines(knownHosts));
    }

    @Test
    void aliasFromTheConnectContextIsWhatGetsChecked() throws Exception {
        Path knownHosts = dir.resolve("alias/known_hosts");
        Files.createDirectories(knownHosts.getParent());
        Files.writeString(knownHosts, "docker-box.example " + hostKeyLine + "\n");
        try (SshClient client = client(new KnownHostsVerifier(List.of(knownHosts), knownHosts,
                HostKeyPolicy.STRICT))) {
            connectAndAuthenticate(client, AttributeRepository.ofKeyValuePair(KnownHostsVerifier.HOST_KEY_ALIAS,
                    new HostAndPort("docker-box.example", 22)));
            // without the alias the same file does not vouch for 127.0.0.1
            ClientSession session = client.connect(user(), "127.0.0.1", port).verify(TIMEOUT).getSession();
            assertThrows(SshException.class, () -> session.auth().verify(TIMEOUT));
            assertTrue(KnownHostsVerifier.failureOf(session).isPresent());
        }
    }

    @Test
    void proxyJumpChecksTheTargetByItsOwnNameNotTheLoopbackForward() throws Exception {
        Path knownHosts = dir.resolve("jump/known_hosts");
        try (SshClient client = client(new KnownHostsVerifier(List.of(knownHosts), knownHosts,
                HostKeyPolicy.ACCEPT_NEW))) {
            // jump through the same sshd under another name; MINA's ProxyJump reaches the target via 127.0.0.1:<ephemeral>
            HostConfigEntry target = new HostConfigEntry("", "127.0.0.1", port, user(), user() + "@localhost:" + port);
            try (ClientSession session = client.connect(target, null, null).verify(TIMEOUT).getSession()) {
                session.auth().verify(TIMEOUT);
            }
        }
        assertEquals(List.of("[localhost]:" + port + " " + hostKeyLine, "[127.0.0.1]:" + port + " " + hostKeyLine),
                Files.readAllLines(knownHosts));
    }

    private static void connectAndAuthenticate(SshClient client, AttributeRepository context) throws IOException {
        try (ClientSession session = client.connect(user(), "127.0.0.1", port, context, null).verify(TIMEOUT)
                .getSession()) {
            try {
                session.auth().verify(TIMEOUT);
            } catch (IOException e) {
                fail("authentication failed: " + KnownHostsVerifier.failureOf(session).map(Throwable::getMessage)
                        .orElse(describe(e)) + "\nsshd log:\n" + Files.readString(sshdLog), e);
            }
            assertTrue(KnownHostsVerifier.failureOf(session).isEmpty());
        }
    }

    private static SshClient client(KnownHostsVerifier verifier) {
        SshClient client = SshClient.setUpDefaultClient();
        client.setServerKeyVerifier(verifier);
        client.setHostConfigEntryResolver(HostConfigEntryResolver.EMPTY); // not the developer's ~/.ssh/config
        client.setKeyIdentityProvider(session -> List.of(userKey)); // not their ~/.ssh/id_* (also for jump hosts)
        client.start();
        return client;
    }

    private static String user() {
        return System.getProperty("user.name");
    }

    private static SshException rootSsh(Throwable t) {
        SshException last = null;
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof SshException) {
                last = (SshException) c;
            }
        }
        return assertInstanceOf(SshException.class, last);
    }

    private static String describe(Throwable t) {
        List<String> chain = new ArrayList<>();
        for (Throwable c = t; c != null; c = c.getCause()) {
            chain.add(c.getClass().getName() + ": " + c.getMessage());
        }
        return String.join(" <- caused by ", chain);
    }

    /** Skips the tests where the tool is missing, but fails on CI (CI=true), where it must be installed. */
    private static void requireOrSkip(boolean available, String what) {
        Requirements.require(available, what + " is not installed (needed by the OpenSSH integration tests)");
    }

    private static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            fail(String.join(" ", command) + " failed: " + out);
        }
        return out;
    }
}
