package io.github.sshcontainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.Requirements;
import io.github.sshcontainer.tunnel.testing.UnixEchoServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real {@code ssh-container.jar}, as a process, against a real OpenSSH sshd (and dockerd where present). */
class ForwardCliIT {
    static OpenSshServer sshd;
    static UnixEchoServer echo;
    @TempDir
    static Path tmp;
    static Path knownHosts;

    @BeforeAll
    static void start() {
        sshd = OpenSshServer.startOrSkip(OpenSshServer.builder());
        echo = UnixEchoServer.start();
        knownHosts = tmp.resolve("known_hosts");
        sshd.writeKnownHosts(knownHosts);
    }

    @AfterAll
    static void stop() {
        if (echo != null) {
            echo.close();
        }
        if (sshd != null) {
            sshd.close();
        }
    }

    static List<String> command(String... args) {
        String jar = System.getProperty("cli.jar");
        Requirements.require(jar != null && Files.isRegularFile(Paths.get(jar)), "the CLI jar is built by `mvn package`: "
                + jar);
        List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar));
        cmd.addAll(List.of(args));
        return cmd;
    }

    static List<String> forwardArgs(String remoteSocket, Path key, Path kh) {
        return List.of("forward", "--remote-socket", remoteSocket, "-i", key.toString(), "--known-hosts", kh.toString(),
                "--ssh-config", "none", "--no-agent", "-p", String.valueOf(sshd.port()), sshd.user() + "@127.0.0.1");
    }

    /** Runs a command that must fail; returns exit code and stderr. */
    static String[] fails(List<String> args) throws Exception {
        Process p = new ProcessBuilder(command(args.toArray(String[]::new))).start();
        p.getOutputStream().close();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "no hang");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals("", out, "nothing on stdout when failing");
        return new String[] {String.valueOf(p.exitValue()), new String(p.getErrorStream().readAllBytes(),
                StandardCharsets.UTF_8)};
    }

    /** A running {@code forward}: its stdout goes to a file, so all of it can be checked after it exits. */
    static final class Forward implements AutoCloseable {
        final Process process;
        final Path stdout;
        final String line;

        Forward(List<String> args) throws Exception {
            stdout = Files.createTempFile(tmp, "forward", ".out");
            process = new ProcessBuilder(command(args.toArray(String[]::new)))
                    .redirectOutput(stdout.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            process.getOutputStream().close();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            String first = null;
            while (first == null && System.nanoTime() < deadline && process.isAlive()) {
                List<String> lines = Files.readAllLines(stdout);
                first = lines.isEmpty() || !Files.readString(stdout).endsWith("\n") ? null : lines.get(0);
                Thread.sleep(20);
            }
            line = first;
        }

        List<String> allOutput() throws IOException {
            return Files.readAllLines(stdout);
        }

        Path socket() {
            assertTrue(line != null && line.startsWith("DOCKER_HOST=unix://"), "printed line: " + line);
            return Paths.get(line.substring("DOCKER_HOST=unix://".length()));
        }

        int terminate() throws InterruptedException {
            process.destroy(); // SIGTERM
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), "exits after SIGTERM");
            return process.exitValue();
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }

    @Test
    void tcpForwardsGoOverTheSameSessionAndArePrintedAfterTheFirstLine() throws Exception {
        try (java.net.ServerSocket web = new java.net.ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> {
                try (java.net.Socket s = web.accept()) {
                    s.getOutputStream().write("hello over --tcp\n".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    // the test fails on its own
                }
            }, "tcp-forward-server");
            server.setDaemon(true);
            server.start();
            int loginsBefore = sshd.log().split("Accepted publickey for ", -1).length;
            List<String> args = new ArrayList<>(forwardArgs(echo.path().toString(), sshd.clientKey(), knownHosts));
            args.addAll(1, List.of("--tcp", "127.0.0.1:" + web.getLocalPort()));
            try (Forward f = new Forward(args)) {
                f.socket();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (f.allOutput().size() < 2 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                String line = f.allOutput().get(1);
                java.util.regex.Matcher m = java.util.regex.Pattern
                        .compile("tcp://127\\.0\\.0\\.1:(\\d+) -> 127\\.0\\.0\\.1:" + web.getLocalPort()).matcher(line);
                assertTrue(m.matches(), line);
                try (java.net.Socket c = new java.net.Socket("127.0.0.1", Integer.parseInt(m.group(1)))) {
                    c.setSoTimeout(10_000);
                    assertEquals("hello over --tcp\n",
                            new String(c.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
                }
                assertEquals(0, f.terminate());
                assertEquals(2, f.allOutput().size(), f.allOutput().toString());
            }
            assertEquals(loginsBefore + 1, sshd.log().split("Accepted publickey for ", -1).length,
                    "one SSH login for the socket and the TCP forward");
        }
    }

    @Test
    void forwardPrintsOneLineServesAPrivateSocketAndCleansUpOnSigterm() throws Exception {
        try (Forward f = new Forward(forwardArgs(echo.path().toString(), sshd.clientKey(), knownHosts))) {
            Path sock = f.socket();
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock.getParent())));
            try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
                c.write(ByteBuffer.wrap("ping\n".getBytes(StandardCharsets.US_ASCII)));
                byte[] back = Channels.newInputStream(c).readNBytes(5);
                assertEquals("ping\n", new String(back, StandardCharsets.US_ASCII));
            }
            assertEquals(0, f.terminate());
            assertEquals(List.of(f.line), f.allOutput(), "exactly one line on stdout");
            assertFalse(Files.exists(sock, LinkOption.NOFOLLOW_LINKS), "socket removed after SIGTERM");
            assertFalse(Files.exists(sock.getParent()), "private directory removed after SIGTERM");
        }
    }

    @Test
    void dockerCliWorksThroughTheForwardedSocket() throws Exception {
        Path dockerSock = Paths.get("/var/run/docker.sock");
        Requirements.requireUnixSocket(dockerSock);
        Requirements.require(Files.isExecutable(Paths.get("/usr/bin/docker")) || Files.isExecutable(
                Paths.get("/usr/local/bin/docker")), "the docker CLI is needed (apt-get install docker.io)");
        String registry = System.getenv("SSHC_REGISTRY");
        Requirements.require(registry != null, "SSHC_REGISTRY names the local registry with busybox (.ci/run sets it)");
        List<String> args = new ArrayList<>(forwardArgs(dockerSock.toString(), sshd.clientKey(), knownHosts));
        args.remove("--remote-socket");
        args.remove(dockerSock.toString());
        args.addAll(1, List.of("--runtime", "docker"));
        try (Forward f = new Forward(args)) {
            String dockerHost = f.socket().toUri().getPath();
            assertEquals("version ok", docker(f, "version", "--format", "version ok"));
            assertEquals("ok", docker(f, "run", "--rm", registry + "/busybox:latest", "echo", "ok"));
            assertTrue(dockerHost.endsWith("docker.sock"), dockerHost);
            assertEquals(0, f.terminate());
        }
    }

    @Test
    void ctrWorksThroughForwardRuntimeContainerd() throws Exception {
        Path sock = Paths.get("/run/containerd/containerd.sock");
        Requirements.requireUnixSocket(sock);
        Requirements.require(Files.isExecutable(Paths.get("/usr/bin/ctr")), "the ctr CLI is needed (apt-get install containerd)");
        try (Forward f = new Forward(runtimeForwardArgs("containerd"))) {
            assertTrue(f.line != null && f.line.startsWith("CONTAINERD_ADDRESS=/"), "printed line: " + f.line);
            String address = f.line.substring("CONTAINERD_ADDRESS=".length());
            String out = run(List.of("ctr", "--address", address, "version"), Map.of());
            assertTrue(out.contains("Server:") && out.contains("Version:"), out);
            assertTrue(Files.exists(Paths.get(address), LinkOption.NOFOLLOW_LINKS), "socket there while forwarding: " + address);
            assertEquals(0, f.terminate());
            assertFalse(Files.exists(Paths.get(address), LinkOption.NOFOLLOW_LINKS), "socket removed on SIGTERM");
        }
    }

    @Test
    void podmanUrlWorksThroughForwardRuntimePodman() throws Exception {
        Path sock = Paths.get("/run/podman/podman.sock");
        Requirements.requireUnixSocket(sock);
        Requirements.require(Files.isExecutable(Paths.get("/usr/bin/podman")), "the podman CLI is needed (apt-get install podman)");
        try (Forward f = new Forward(runtimeForwardArgs("podman"))) {
            assertTrue(f.line != null && f.line.startsWith("CONTAINER_HOST=unix:///"), "printed line: " + f.line);
            String url = f.line.substring("CONTAINER_HOST=".length());
            String out = run(List.of("podman", "--url", url, "ps", "--all", "--format", "{{.ID}}"), Map.of());
            assertTrue(out.lines().allMatch(l -> l.matches("[0-9a-f]{12}")), "container ids only: " + out);
            String version = run(List.of("podman", "--remote", "version", "--format", "{{.Server.Version}}"),
                    Map.of("CONTAINER_HOST", url));
            assertTrue(version.matches("\\d+\\.\\d+.*"), "server version through CONTAINER_HOST: " + version);
            assertEquals(0, f.terminate());
        }
    }

    /** {@code forward --runtime NAME} to this test's sshd, the runtime's default socket. */
    private static List<String> runtimeForwardArgs(String runtime) {
        List<String> args = new ArrayList<>(forwardArgs("/unused", sshd.clientKey(), knownHosts));
        args.remove("--remote-socket");
        args.remove("/unused");
        args.addAll(1, List.of("--runtime", runtime));
        return args;
    }

    /** Runs a local command with extra environment; it must succeed within two minutes. Returns its trimmed output. */
    private static String run(List<String> cmd, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), String.join(" ", cmd) + " must not hang");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out);
        return out;
    }

    /** Runs the docker CLI with DOCKER_HOST from the forward's line; returns its trimmed output. */
    private static String docker(Forward f, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("docker"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("DOCKER_HOST", f.line.substring("DOCKER_HOST=".length()));
        Process docker = pb.start();
        docker.getOutputStream().close();
        assertTrue(docker.waitFor(120, TimeUnit.SECONDS), "docker " + String.join(" ", args) + " must not hang");
        String out = new String(docker.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, docker.exitValue(), out);
        return out;
    }

    @Test
    void exitCodesTellTheFailureKind() throws Exception {
        Path empty = tmp.resolve("empty_known_hosts");
        Files.writeString(empty, "");
        String[] hostKey = fails(forwardArgs(echo.path().toString(), sshd.clientKey(), empty));
        assertEquals("4", hostKey[0], hostKey[1]);
        assertTrue(hostKey[1].contains("SHA256:"), hostKey[1]);
        assertEquals(1, hostKey[1].lines().count(), "one line: " + hostKey[1]);

        String[] auth = fails(forwardArgs(echo.path().toString(), sshd.unauthorizedKey(), knownHosts));
        assertEquals("3", auth[0], auth[1]);

        String[] missing = fails(forwardArgs("/run/no-such-dir/no.sock", sshd.clientKey(), knownHosts));
        assertEquals("6", missing[0], missing[1]);
        assertTrue(missing[1].contains("does not exist"), missing[1]);

        List<String> refused = new ArrayList<>(forwardArgs(echo.path().toString(), sshd.clientKey(), knownHosts));
        refused.set(refused.indexOf("-p") + 1, "1");
        String[] connect = fails(refused);
        assertEquals("5", connect[0], connect[1]);

        String[] usage = fails(List.of("forward", "--ssh-config", "none", "user@"));
        assertEquals("2", usage[0], usage[1]);
    }
}
