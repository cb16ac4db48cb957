package io.github.sshcontainer.tunnel.testing;

import static io.github.sshcontainer.tunnel.testing.UnixEchoServerTest.eventually;
import static io.github.sshcontainer.tunnel.testing.UnixEchoServerTest.readExactly;
import static io.github.sshcontainer.tunnel.testing.UnixEchoServerTest.writeFully;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Proves the {@link OpenSshServer} fixture with the real OpenSSH client ({@code ssh}). */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OpenSshServerIT {

    private static final String SSH = "/usr/bin/ssh";
    private static final AtomicLong OUTPUT_IDS = new AtomicLong();

    @TempDir
    Path tmp;

    private Path knownHosts;
    private final List<Process> clients = new ArrayList<>();

    @BeforeEach
    void prerequisites() {
        Requirements.require(OpenSshServer.available(),
                "OpenSSH sshd not installed at /usr/sbin/sshd (apt-get install openssh-server; .ci/run does it)");
        Requirements.requireExecutable(SSH);
        knownHosts = tmp.resolve("known_hosts");
    }

    @AfterEach
    void stopClients() throws InterruptedException {
        for (Process p : clients) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void commandForwardingKillAndRestart() throws Exception {
        try (OpenSshServer sshd = OpenSshServer.startOrSkip(OpenSshServer.builder().extraConfig("MaxSessions 10"));
                UnixEchoServer echo = UnixEchoServer.start()) {
            sshd.writeKnownHosts(knownHosts);
            int port = sshd.port();

            Result ok = ssh(sshd, sshd.clientKey(), Map.of(), "echo", "ok");
            assertEquals(0, ok.exit, ok::toString);
            assertEquals("ok", ok.stdout.trim());
            assertTrue(sshd.log().contains("Accepted publickey for " + sshd.user()), sshd::log);

            // ssh -N -L fwd.sock:echo.sock, then the round trip and a half-close through it
            Path fwd = tmp.resolve("fwd.sock");
            Process forward = forward(sshd, fwd, echo.path());
            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(fwd))) {
                writeFully(client, "hello\n".getBytes(StandardCharsets.US_ASCII));
                assertEquals("hello\n", new String(readExactly(client, 6), StandardCharsets.US_ASCII));
                client.shutdownOutput();
                assertEquals(-1, client.read(ByteBuffer.allocate(16)), "EOF after the half-close");
            }
            assertEquals(1, echo.accepted());

            // an established forwarded connection, then a crash
            SocketChannel open = SocketChannel.open(UnixDomainSocketAddress.of(fwd));
            writeFully(open, "x".getBytes(StandardCharsets.US_ASCII));
            assertEquals("x", new String(readExactly(open, 1), StandardCharsets.US_ASCII));
            // the first connection's handler may still be finishing after its client saw EOF
            eventually(() -> echo.active() == 1);

            sshd.kill();
            assertFalse(sshd.isRunning());
            // the per-connection sshd died with the listener: the client's connection drops
            assertTrue(forward.waitFor(10, TimeUnit.SECONDS), "ssh -N should exit once its sshd is killed");
            assertNotEquals(0, forward.exitValue());
            assertEquals(-1, readOrEof(open), "the forwarded connection should be closed");
            open.close();
            eventually(() -> echo.active() == 0);
            assertFalse(accepts(port));
            Result refused = ssh(sshd, sshd.clientKey(), Map.of(), "echo", "ok");
            assertEquals(255, refused.exit, refused::toString);
            assertTrue(refused.stderr.contains("Connection refused"), refused::toString);

            sshd.restart();
            assertTrue(sshd.isRunning());
            assertEquals(port, sshd.port());
            Result again = ssh(sshd, sshd.clientKey(), Map.of(), "echo", "ok");
            assertEquals(0, again.exit, again::toString);
            assertEquals("ok", again.stdout.trim());

            Process forwardAgain = forward(sshd, fwd, echo.path());
            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(fwd))) {
                writeFully(client, "again\n".getBytes(StandardCharsets.US_ASCII));
                assertEquals("again\n", new String(readExactly(client, 6), StandardCharsets.US_ASCII));
            }
            assertTrue(forwardAgain.isAlive());
        }
    }

    @Test
    void encryptedKeysHaveTheDocumentedFormatsAndPassphrase() throws Exception {
        try (OpenSshServer sshd = OpenSshServer.startOrSkip(OpenSshServer.builder())) {
            sshd.writeKnownHosts(knownHosts);
            String pem = Files.readString(sshd.clientKeyPemEncrypted());
            assertTrue(pem.startsWith("-----BEGIN RSA PRIVATE KEY-----") && pem.contains("Proc-Type: 4,ENCRYPTED"),
                    pem);
            String openssh = Files.readString(sshd.clientKeyOpenSshEncrypted());
            assertTrue(openssh.startsWith("-----BEGIN OPENSSH PRIVATE KEY-----"), openssh);

            // ssh reads the passphrase from SSH_ASKPASS (BatchMode would not ask at all)
            Path askpass = tmp.resolve("askpass.sh");
            Files.writeString(askpass, "#!/bin/sh\necho '" + OpenSshServer.KEY_PASSPHRASE + "'\n");
            Files.setPosixFilePermissions(askpass, PosixFilePermissions.fromString("rwx------"));
            Map<String, String> env = Map.of("SSH_ASKPASS", askpass.toString(), "SSH_ASKPASS_REQUIRE", "force",
                    "DISPLAY", ":0");
            for (Path key : List.of(sshd.clientKeyPemEncrypted(), sshd.clientKeyOpenSshEncrypted())) {
                List<String> args = baseArgs(sshd, key, false);
                args.addAll(List.of("-o", "NumberOfPasswordPrompts=1", sshd.user() + "@" + sshd.host(), "echo",
                        "ok"));
                Result ok = run(args, env);
                assertEquals(0, ok.exit, () -> key + ": " + ok);
                assertEquals("ok", ok.stdout.trim());

                Result batch = ssh(sshd, key, Map.of(), "echo", "ok"); // no passphrase: refused
                assertEquals(255, batch.exit, () -> key + ": " + batch);
            }
        }
    }

    @Test
    void unauthorizedKeyIsRefused() throws Exception {
        try (OpenSshServer sshd = OpenSshServer.startOrSkip(OpenSshServer.builder())) {
            sshd.writeKnownHosts(knownHosts);
            Result refused = ssh(sshd, sshd.unauthorizedKey(), Map.of(), "echo", "ok");
            assertEquals(255, refused.exit, refused::toString);
            assertTrue(refused.stderr.contains("Permission denied"), refused::toString);
        }
    }

    @Test
    void streamLocalForwardingCanBeDisabled() throws Exception {
        try (OpenSshServer sshd = OpenSshServer.startOrSkip(
                OpenSshServer.builder().allowStreamLocalForwarding(false));
                UnixEchoServer echo = UnixEchoServer.start()) {
            assertTrue(Files.readString(sshd.configFile()).contains("AllowStreamLocalForwarding no\n"));
            sshd.writeKnownHosts(knownHosts);
            Path fwd = tmp.resolve("fwd.sock");
            forward(sshd, fwd, echo.path()); // the local listener works; the server refuses each channel
            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(fwd))) {
                try {
                    writeFully(client, "hello\n".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException alreadyClosed) {
                    // ssh may drop the refused connection before the write: "Broken pipe" is the same answer
                }
                assertEquals(-1, readOrEof(client));
            }
            assertEquals(0, echo.accepted());
        }
    }

    @Test
    void extraConfigReplacesADefaultKeyword() throws Exception {
        try (OpenSshServer sshd = OpenSshServer.startOrSkip(OpenSshServer.builder().extraConfig("LogLevel DEBUG1"))) {
            String config = Files.readString(sshd.configFile());
            assertTrue(config.contains("LogLevel DEBUG1\n"), config);
            assertFalse(config.contains("LogLevel VERBOSE"), config);
            assertTrue(sshd.log().contains("debug1:"), sshd::log);
        }
    }

    @Test
    void aBadConfigurationFailsTheStartWithTheLog() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> OpenSshServer.builder().extraConfig("NoSuchKeyword yes").start());
        assertTrue(e.getMessage().contains("NoSuchKeyword"), e.getMessage());
    }

    @Test
    void closeIsIdempotentAndCleansUp() throws Exception {
        OpenSshServer sshd = OpenSshServer.startOrSkip(OpenSshServer.builder());
        Path dir = sshd.dir();
        int port = sshd.port();
        assertTrue(accepts(port));
        sshd.close();
        sshd.close();
        assertFalse(Files.exists(dir));
        assertFalse(accepts(port));
        assertThrows(IllegalStateException.class, sshd::restart);
    }

    // ------------------------------------------------------------------------------------------ helpers

    private Result ssh(OpenSshServer sshd, Path key, Map<String, String> env, String... command) throws Exception {
        List<String> args = new ArrayList<>(baseArgs(sshd, key, true));
        args.add(sshd.user() + "@" + sshd.host());
        args.addAll(Arrays.asList(command));
        return run(args, env);
    }

    private List<String> baseArgs(OpenSshServer sshd, Path key, boolean batch) {
        return new ArrayList<>(List.of(SSH,
                "-F", "/dev/null",
                "-o", "BatchMode=" + (batch ? "yes" : "no"),
                "-o", "UserKnownHostsFile=" + knownHosts,
                "-o", "GlobalKnownHostsFile=/dev/null",
                "-o", "StrictHostKeyChecking=yes",
                "-o", "IdentitiesOnly=yes",
                "-o", "IdentityAgent=none",
                "-o", "PasswordAuthentication=no",
                "-o", "KbdInteractiveAuthentication=no",
                "-o", "ConnectTimeout=10",
                "-o", "LogLevel=ERROR",
                "-i", key.toString(),
                "-p", Integer.toString(sshd.port())));
    }

    /** Starts {@code ssh -N -L local:remote} and waits until it listens on {@code local}. */
    private Process forward(OpenSshServer sshd, Path local, Path remote) throws Exception {
        Files.deleteIfExists(local);
        List<String> args = baseArgs(sshd, sshd.clientKey(), true);
        args.addAll(List.of("-N", "-o", "ExitOnForwardFailure=yes", "-o", "StreamLocalBindUnlink=yes",
                "-L", local + ":" + remote, sshd.user() + "@" + sshd.host()));
        Path stderr = tmp.resolve("forward-" + OUTPUT_IDS.incrementAndGet() + ".err");
        Process p = new ProcessBuilder(args).redirectInput(new File("/dev/null"))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(stderr.toFile()).start();
        clients.add(p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!Requirements.isSocket(local)) {
            if (!p.isAlive() || System.nanoTime() - deadline > 0) {
                throw new AssertionError("ssh -L did not listen on " + local + " (alive: " + p.isAlive() + ")\n"
                        + Files.readString(stderr) + "\n--- sshd log ---\n" + sshd.log());
            }
            Thread.sleep(20);
        }
        return p;
    }

    private Result run(List<String> command, Map<String, String> env) throws Exception {
        long id = OUTPUT_IDS.incrementAndGet();
        Path out = tmp.resolve("run-" + id + ".out");
        Path err = tmp.resolve("run-" + id + ".err");
        ProcessBuilder builder = new ProcessBuilder(command).redirectInput(new File("/dev/null"))
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().putAll(env);
        Process p = builder.start();
        clients.add(p);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + command);
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private static int readOrEof(SocketChannel channel) throws IOException {
        try {
            return channel.read(ByteBuffer.allocate(16));
        } catch (IOException e) { // a reset counts as closed
            return -1;
        }
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static final class Result {
        final int exit;
        final String stdout;
        final String stderr;

        Result(int exit, String stdout, String stderr) {
            this.exit = exit;
            this.stdout = stdout;
            this.stderr = stderr;
        }

        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout ---\n" + stdout + "\n--- stderr ---\n" + stderr;
        }
    }
}
