package io.github.sshcontainer.tunnel.embedded;

import io.github.sshcontainer.tunnel.testing.Cleanup;
import io.github.sshcontainer.tunnel.testing.Requirements;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drives {@link EmbeddedSshServer} with the real OpenSSH client: if {@code ssh} is happy, our server speaks the
 * protocol right (key exchange, host key, publickey/password auth, {@code direct-streamlocal@openssh.com} with
 * half-close, {@code direct-tcpip}, open failures, exec).
 */
class EmbeddedSshServerIT {

    private static final Path SSH = Path.of("/usr/bin/ssh");
    private static final Path SSH_KEYGEN = Path.of("/usr/bin/ssh-keygen");
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @TempDir
    Path tmp;

    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "it-client");
        t.setDaemon(true);
        return t;
    });

    private Path clientKey;
    private PublicKey clientPublicKey;

    @BeforeEach
    void requireOpenSshAndKey() throws Exception {
        requireOpenSsh();
        clientKey = generateKey("id");
        clientPublicKey = readPublicKey(clientKey);
    }

    @AfterEach
    void tearDown() throws Exception {
        Cleanup.closeReversed(cleanup);
        executor.shutdownNow();
    }

    @Test
    void forwardsUnixSocketBothWaysWithHalfClose() throws Exception {
        Path remote = Files.createDirectories(tmp.resolve("remote"));
        Path echoPath = remote.resolve("echo.sock");
        startEchoServer(echoPath);
        EmbeddedSshServer server = start(EmbeddedSshServer.builder()
                .authorizedKey(clientPublicKey)
                .allowedSocketDirectory(remote));

        Path local = tmp.resolve("l.sock");
        Process ssh = startForward(server, List.of("-L", local + ":" + echoPath));
        awaitSocket(local, ssh);

        byte[] sent = new byte[1024 * 1024];
        new Random(42).nextBytes(sent);
        try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(local))) {
            Future<Void> writer = executor.submit(() -> {
                ByteBuffer buffer = ByteBuffer.wrap(sent);
                while (buffer.hasRemaining()) {
                    client.write(buffer);
                }
                client.shutdownOutput(); // half-close: the echo server sees EOF and answers with EOF
                return null;
            });
            Future<byte[]> reader = executor.submit(() -> readToEof(client));
            writer.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            byte[] received = reader.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(sent.length, received.length, "echoed length");
            assertArrayEquals(sent, received, "echoed bytes");
        }

        // A second connection through the same session still works (the first channel closed cleanly).
        try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(local))) {
            client.write(ByteBuffer.wrap("ping".getBytes(StandardCharsets.US_ASCII)));
            client.shutdownOutput();
            byte[] answer = executor.submit(() -> readToEof(client)).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertEquals("ping", new String(answer, StandardCharsets.US_ASCII));
        }
        assertTrue(ssh.isAlive(), "ssh still running");
        awaitNoOpenChannels(server);

        // Closing the server ends every per-connection thread.
        try (SocketChannel idle = SocketChannel.open(UnixDomainSocketAddress.of(local))) {
            idle.write(ByteBuffer.wrap(new byte[] {1}));
            assertEquals(1, readExactly(idle, 1).length);
            server.close();
            awaitNoStreamLocalThreads();
        }
    }

    @Test
    void missingOrForbiddenSocketClosesTheClientConnectionImmediately() throws Exception {
        Path allowed = Files.createDirectories(tmp.resolve("allowed"));
        Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
        Path outsideEcho = elsewhere.resolve("echo.sock");
        startEchoServer(outsideEcho); // exists, but not in the allowed directory
        EmbeddedSshServer server = start(EmbeddedSshServer.builder()
                .authorizedKey(clientPublicKey)
                .allowedSocketDirectory(allowed));

        Path missing = tmp.resolve("missing.sock");
        Path forbidden = tmp.resolve("forbidden.sock");
        Process ssh = startForward(server, List.of(
                "-L", missing + ":" + allowed.resolve("nobody-here.sock"),
                "-L", forbidden + ":" + outsideEcho));
        awaitSocket(missing, ssh);
        awaitSocket(forbidden, ssh);

        for (Path local : List.of(missing, forbidden)) {
            long start = System.nanoTime();
            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(local))) {
                byte[] got = executor.submit(() -> readToEofOrReset(client)).get(10, TimeUnit.SECONDS);
                assertEquals(0, got.length, "no data from a failed forward");
            }
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(millis < 5_000, "closed within 5 s, took " + millis + " ms");
        }
        assertTrue(ssh.isAlive(), "a failed channel does not end the ssh session");
        String stderr = awaitStderr(ssh, "connect failed", "administratively prohibited");
        assertTrue(stderr.contains("open failed: connect failed"), stderr);
        assertTrue(stderr.contains("open failed: administratively prohibited"), stderr);
    }

    @Test
    void directTcpipOnlyToLoopback() throws Exception {
        try (ServerSocketChannel tcpEcho = ServerSocketChannel.open()) {
            tcpEcho.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            startEchoLoop(tcpEcho);
            int echoPort = ((InetSocketAddress) tcpEcho.getLocalAddress()).getPort();
            EmbeddedSshServer server = start(EmbeddedSshServer.builder().authorizedKey(clientPublicKey));

            Path loopback = tmp.resolve("tcp.sock");
            Path external = tmp.resolve("external.sock");
            Process ssh = startForward(server, List.of(
                    "-L", loopback + ":127.0.0.1:" + echoPort,
                    "-L", external + ":192.0.2.1:80")); // TEST-NET-1: never a loopback address
            awaitSocket(loopback, ssh);
            awaitSocket(external, ssh);

            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(loopback))) {
                client.write(ByteBuffer.wrap("hello tcp".getBytes(StandardCharsets.US_ASCII)));
                assertEquals("hello tcp", new String(readExactly(client, 9), StandardCharsets.US_ASCII));
            }
            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(external))) {
                byte[] got = executor.submit(() -> readToEofOrReset(client)).get(10, TimeUnit.SECONDS);
                assertEquals(0, got.length);
            }
            String stderr = awaitStderr(ssh, "administratively prohibited");
            assertTrue(stderr.contains("open failed: administratively prohibited"), stderr);
        }
    }

    @Test
    void refusesUnauthorizedKeyAndUnofferedMethods() throws Exception {
        Path otherKey = generateKey("other");
        EmbeddedSshServer server = start(EmbeddedSshServer.builder().authorizedKey(clientPublicKey));

        Result wrongKey = run(sshCommand(server, otherKey, List.of("-o", "BatchMode=yes")), "true");
        assertEquals(255, wrongKey.exitCode, wrongKey.toString());
        assertTrue(wrongKey.stderr.contains("Permission denied"), wrongKey.toString());
        assertTrue(wrongKey.stderr.contains("(publickey)"), "only publickey offered: " + wrongKey);

        Result interactive = run(sshCommand(server, clientKey, List.of("-o", "BatchMode=yes",
                "-o", "PreferredAuthentications=keyboard-interactive,password")), "true");
        assertEquals(255, interactive.exitCode, interactive.toString());

        Result ok = run(sshCommand(server, clientKey, List.of("-o", "BatchMode=yes")), "id -u");
        assertEquals(0, ok.exitCode, ok.toString());
        assertEquals(localUid(), ok.stdout.trim());

        Result other = run(sshCommand(server, clientKey, List.of("-o", "BatchMode=yes")), "uname -a");
        assertEquals(127, other.exitCode, other.toString());
    }

    @Test
    void passwordAuthenticationWhenConfigured() throws Exception {
        EmbeddedSshServer server = start(EmbeddedSshServer.builder()
                .authorizedKey(clientPublicKey)
                .password("alice", "s3cret"));
        List<String> passwordOnly = List.of("-o", "PreferredAuthentications=password",
                "-o", "PubkeyAuthentication=no", "-o", "NumberOfPasswordPrompts=1");

        Result good = runWithAskpass(sshCommand(server, null, passwordOnly, "alice"), "s3cret", "id -u");
        assertEquals(0, good.exitCode, good.toString());
        assertEquals(localUid(), good.stdout.trim());

        Result bad = runWithAskpass(sshCommand(server, null, passwordOnly, "alice"), "wrong", "id -u");
        assertNotEquals(0, bad.exitCode, bad.toString());
        Result otherUser = runWithAskpass(sshCommand(server, null, passwordOnly, "bob"), "s3cret", "id -u");
        assertNotEquals(0, otherUser.exitCode, otherUser.toString());
    }

    // ------------------------------------------------------------------------------------------ helpers

    /** Skips without OpenSSH, unless CI=true: there a missing client is a broken build machine. */
    private static void requireOpenSsh() {
        Requirements.require(Files.isExecutable(SSH) && Files.isExecutable(SSH_KEYGEN),
                "OpenSSH client not installed (" + SSH + ", " + SSH_KEYGEN + ")");
    }

    private EmbeddedSshServer start(EmbeddedSshServer.Builder builder) throws IOException {
        EmbeddedSshServer server = builder.start();
        cleanup.add(server);
        Path knownHosts = tmp.resolve("known_hosts");
        Files.writeString(knownHosts, server.knownHostsLine() + "\n", StandardCharsets.US_ASCII);
        return server;
    }

    private Path generateKey(String name) throws Exception {
        Path key = tmp.resolve(name);
        Result result = run(List.of(SSH_KEYGEN.toString(), "-q", "-t", "ed25519", "-N", "", "-C", name,
                "-f", key.toString()));
        assertEquals(0, result.exitCode, result.toString());
        return key;
    }

    private static PublicKey readPublicKey(Path privateKey) throws Exception {
        String line = Files.readString(Path.of(privateKey + ".pub"), StandardCharsets.US_ASCII).trim();
        return PublicKeyEntry.parsePublicKeyEntry(line).resolvePublicKey(null, null, PublicKeyEntryResolver.FAILING);
    }

    private List<String> sshCommand(EmbeddedSshServer server, Path identity, List<String> options) {
        return sshCommand(server, identity, options, "tester");
    }

    private List<String> sshCommand(EmbeddedSshServer server, Path identity, List<String> options, String user) {
        List<String> command = new ArrayList<>(List.of(SSH.toString(),
                "-F", "/dev/null",
                "-o", "StrictHostKeyChecking=yes",
                "-o", "UserKnownHostsFile=" + tmp.resolve("known_hosts"),
                "-o", "GlobalKnownHostsFile=/dev/null",
                "-o", "IdentityAgent=none",
                "-o", "IdentitiesOnly=yes",
                "-o", "ConnectTimeout=10",
                "-p", Integer.toString(server.port())));
        if (identity != null) {
            command.addAll(List.of("-i", identity.toString()));
        }
        command.addAll(options);
        command.add(user + "@" + server.host());
        return command;
    }

    private Process startForward(EmbeddedSshServer server, List<String> forwards) throws IOException {
        List<String> options = new ArrayList<>(List.of("-N", "-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes"));
        options.addAll(forwards);
        ProcessBuilder builder = new ProcessBuilder(sshCommand(server, clientKey, options))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(tmp.resolve("ssh-forward.out").toFile())
                .redirectError(tmp.resolve("ssh-forward.err").toFile());
        builder.environment().remove("SSH_AUTH_SOCK");
        Process process = builder.start();
        cleanup.add(() -> {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        });
        return process;
    }

    private String forwardStderr() throws IOException {
        return Files.readString(tmp.resolve("ssh-forward.err"), StandardCharsets.UTF_8);
    }

    /** ssh logs channel open failures to stderr; give it a moment to write them. */
    private String awaitStderr(Process ssh, String... needles) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            String stderr = forwardStderr();
            boolean all = true;
            for (String needle : needles) {
                all &= stderr.contains(needle);
            }
            if (all || System.nanoTime() > deadline || !ssh.isAlive()) {
                return stderr;
            }
            Thread.sleep(50);
        }
    }

    private void awaitSocket(Path socket, Process ssh) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!Files.exists(socket)) {
            if (!ssh.isAlive()) {
                fail("ssh exited with " + ssh.exitValue() + " before creating " + socket + ": " + forwardStderr());
            }
            if (System.nanoTime() > deadline) {
                fail("ssh did not create " + socket + " in " + TIMEOUT + ": " + forwardStderr());
            }
            Thread.sleep(20);
        }
    }

    private static void awaitNoOpenChannels(EmbeddedSshServer server) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (server.openStreamLocalChannels() > 0) {
            if (System.nanoTime() > deadline) {
                fail("streamlocal channels still open: " + server.openStreamLocalChannels());
            }
            Thread.sleep(20);
        }
    }

    private static void awaitNoStreamLocalThreads() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            List<String> left = new ArrayList<>();
            for (Thread thread : Thread.getAllStackTraces().keySet()) {
                if (thread.getName().startsWith(StreamLocalServerChannel.THREAD_NAME_PREFIX) && thread.isAlive()) {
                    left.add(thread.getName());
                }
            }
            if (left.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                fail("threads still running after close: " + left);
            }
            Thread.sleep(20);
        }
    }

    private void startEchoServer(Path path) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        cleanup.add(() -> {
            server.close();
            Files.deleteIfExists(path);
        });
        startEchoLoop(server);
    }

    /** Accepts on its own thread; echoes each connection on a thread of its own; EOF in, EOF out. */
    private static void startEchoLoop(ServerSocketChannel server) {
        Thread acceptor = new Thread(() -> {
            while (server.isOpen()) {
                SocketChannel connection;
                try {
                    connection = server.accept();
                } catch (IOException e) {
                    return;
                }
                Thread echo = new Thread(() -> echo(connection), "it-echo");
                echo.setDaemon(true);
                echo.start();
            }
        }, "it-echo-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private static void echo(SocketChannel connection) {
        try (connection) {
            ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);
            while (connection.read(buffer) >= 0) {
                buffer.flip();
                while (buffer.hasRemaining()) {
                    connection.write(buffer);
                }
                buffer.clear();
            }
            connection.shutdownOutput();
        } catch (IOException e) {
            // peer gone
        }
    }

    private static byte[] readToEof(SocketChannel channel) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        while (channel.read(buffer) >= 0) {
            out.write(buffer.array(), 0, buffer.position());
            buffer.clear();
        }
        return out.toByteArray();
    }

    private static byte[] readToEofOrReset(SocketChannel channel) throws IOException {
        try {
            return readToEof(channel);
        } catch (IOException e) {
            if (String.valueOf(e.getMessage()).contains("reset")) {
                return new byte[0];
            }
            throw e;
        }
    }

    private static byte[] readExactly(SocketChannel channel, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                throw new IOException("EOF after " + buffer.position() + " of " + length + " bytes");
            }
        }
        return buffer.array();
    }

    private static String localUid() throws Exception {
        Result id = run(List.of("id", "-u"));
        assertEquals(0, id.exitCode, id.toString());
        return id.stdout.trim();
    }

    private Result runWithAskpass(List<String> command, String password, String remoteCommand) throws Exception {
        Path askpass = tmp.resolve("askpass-" + System.nanoTime() + ".sh");
        Files.writeString(askpass, "#!/bin/sh\nprintf '%s\\n' '" + password + "'\n", StandardCharsets.US_ASCII);
        Files.setPosixFilePermissions(askpass, PosixFilePermissions.fromString("rwx------"));
        return run(command, Map.of("SSH_ASKPASS", askpass.toString(), "SSH_ASKPASS_REQUIRE", "force",
                "DISPLAY", ":0"), remoteCommand);
    }

    private static Result run(List<String> command, String... remoteCommand) throws Exception {
        return run(command, Map.of(), remoteCommand);
    }

    private static Result run(List<String> command, Map<String, String> env, String... remoteCommand)
            throws Exception {
        List<String> full = new ArrayList<>(command);
        full.addAll(List.of(remoteCommand));
        File out = File.createTempFile("it-run", ".out");
        File err = File.createTempFile("it-run", ".err");
        try {
            ProcessBuilder builder = new ProcessBuilder(full)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out)
                    .redirectError(err);
            builder.environment().remove("SSH_AUTH_SOCK");
            builder.environment().putAll(env);
            Process process = builder.start();
            if (!process.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                fail("timed out: " + full + "\n" + Files.readString(err.toPath()));
            }
            return new Result(full, process.exitValue(),
                    Files.readString(out.toPath(), StandardCharsets.UTF_8),
                    Files.readString(err.toPath(), StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out.toPath());
            Files.deleteIfExists(err.toPath());
        }
    }

    private static final class Result {
        final List<String> command;
        final int exitCode;
        final String stdout;
        final String stderr;

        Result(List<String> command, int exitCode, String stdout, String stderr) {
            this.command = command;
            this.exitCode = exitCode;
            this.stdout = stdout;
            this.stderr = stderr;
        }

        @Override
        public String toString() {
            return command + " -> " + exitCode + "\nstdout: " + stdout + "\nstderr: " + stderr;
        }
    }
}
