package io.github.sshcontainer.tunnel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.ProcessBuilder.Redirect;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import io.github.sshcontainer.tunnel.testing.Cleanup;
import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.Requirements;
import io.github.sshcontainer.tunnel.testing.UnixEchoServer;
import io.github.sshcontainer.tunnel.testing.UnixSinkServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the tunnel behaves against a real OpenSSH sshd beyond the basics of {@link TunnelIT}: password
 * authentication, ssh_config (aliases, ProxyJump, Match blocks), ssh-agent, a thousand connections on one tunnel,
 * close() under load, a crashed server, and keepalive against a frozen one.
 *
 * <p>Every test runs on a separate thread with a hard timeout, so a stuck read fails the test instead of hanging
 * the build.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TunnelBehaviourIT {
    static OpenSshServer sshd;
    static UnixEchoServer echo;
    static UnixSinkServer sink;
    @TempDir
    static Path tmp;
    static Path knownHosts;

    /** Closed after each test, last first. */
    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "behaviour-it");
        t.setDaemon(true);
        return t;
    });

    @BeforeAll
    static void start() {
        sshd = OpenSshServer.startOrSkip(OpenSshServer.builder());
        echo = UnixEchoServer.start();
        sink = UnixSinkServer.start();
        knownHosts = tmp.resolve("known_hosts");
        sshd.writeKnownHosts(knownHosts);
    }

    @AfterAll
    static void stop() {
        Cleanup.closeAll(echo, sink, sshd);
    }

    @AfterEach
    void closeEverything() {
        threads.shutdownNow();
        Cleanup.closeReversed(cleanup);
    }

    private <T extends AutoCloseable> T closeLater(T c) {
        cleanup.add(c);
        return c;
    }

    static SshOptions.Builder keyOptions(OpenSshServer server, Path kh) {
        return SshOptions.builder().identity(server.clientKey()).knownHosts(kh).sshConfig(null).useAgent(false)
                .connectTimeout(Duration.ofSeconds(5));
    }

    static SshTarget target(OpenSshServer server) {
        return SshTarget.of(server.user(), server.host(), server.port());
    }

    private OpenSshServer ownServer(OpenSshServer.Builder builder, Path kh) {
        OpenSshServer server = closeLater(OpenSshServer.startOrSkip(builder));
        server.writeKnownHosts(kh);
        return server;
    }

    // ------------------------------------------------------------------------------------------ a. password

    @Test
    void passwordAuthenticationWithoutAnyKey() throws Exception {
        String user = passwordUser();
        Path kh = tmp.resolve("kh-password");
        OpenSshServer server = ownServer(OpenSshServer.builder().passwordAuthentication(true), kh);
        // the forward runs as the password user: it must be able to reach the socket
        UnixEchoServer shared = closeLater(UnixEchoServer.start());
        Files.setPosixFilePermissions(shared.path().getParent(), PosixFilePermissions.fromString("rwx--x--x"));
        Files.setPosixFilePermissions(shared.path(), PosixFilePermissions.fromString("rw-rw-rw-"));

        SshOptions o = SshOptions.builder().password(System.getenv("SSHC_PASSWORD")).useAgent(false).knownHosts(kh)
                .sshConfig(null).connectTimeout(Duration.ofSeconds(5)).build();
        assertTrue(o.identities().isEmpty());
        try (Tunnel t = Tunnel.to(SshTarget.of(user, server.host(), server.port()),
                RemoteEndpoint.unixSocket(shared.path().toString())).options(o).open();
                SocketChannel c = connect(t)) {
            assertEquals("password\n", echo(c, "password\n"));
        }
        assertTrue(server.log().contains("Accepted password for " + user), server.log());
    }

    @Test
    void aWrongPasswordIsAnAuthenticationErrorAndDoesNotHang() throws Exception {
        String user = passwordUser();
        Path kh = tmp.resolve("kh-password-wrong");
        OpenSshServer server = ownServer(OpenSshServer.builder().passwordAuthentication(true), kh);
        SshOptions o = SshOptions.builder().password("not-" + System.getenv("SSHC_PASSWORD")).useAgent(false)
                .knownHosts(kh).sshConfig(null).connectTimeout(Duration.ofSeconds(5))
                .authTimeout(Duration.ofSeconds(30)).build();
        long started = System.nanoTime();
        AuthenticationException e = assertThrows(AuthenticationException.class,
                () -> Tunnel.to(SshTarget.of(user, server.host(), server.port()),
                        RemoteEndpoint.unixSocket(echo.path().toString())).options(o).open());
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertEquals(Failure.AUTHENTICATION, e.failure());
        assertTrue(e.getMessage().contains(user + "@127.0.0.1:" + server.port()), e.getMessage());
        assertTrue(tookMs < 15_000, "a refused password is reported at once, not after the auth timeout: " + tookMs + " ms");
        assertTrue(server.log().contains("Failed password for " + user), server.log());
    }

    private static String passwordUser() {
        String user = System.getenv("SSHC_PASSWORD_USER");
        Requirements.require(user != null && System.getenv("SSHC_PASSWORD") != null,
                "SSHC_PASSWORD_USER/SSHC_PASSWORD not set: a local user with a password is needed (.ci/run creates"
                        + " sshc-pw; locally: useradd -m -s /bin/bash sshc-pw; echo 'sshc-pw:sshc-pw-secret' | chpasswd)");
        Requirements.require("root".equals(System.getProperty("user.name")) || user.equals(System.getProperty("user.name")),
                "an sshd not running as root can only log in its own user, not " + user);
        return user;
    }

    // ---------------------------------------------------------------------------------------- b. ssh_config

    @Test
    void anSshConfigAliasGivesHostNamePortUserAndIdentity() throws Exception {
        Path config = writeConfig("config-alias", hostBlock("myalias", null));
        SshOptions o = SshOptions.builder().sshConfig(config).knownHosts(knownHosts).useAgent(false)
                .connectTimeout(Duration.ofSeconds(5)).build();
        assertTrue(o.identities().isEmpty(), "the key comes from IdentityFile");
        try (Tunnel t = Tunnel.to(SshTarget.parse("myalias"), RemoteEndpoint.unixSocket(echo.path().toString()))
                .options(o).open(); SocketChannel c = connect(t)) {
            assertEquals("alias\n", echo(c, "alias\n"));
        }
    }

    @Test
    void knownHostsIsLookedUpByHostNameNotByTheAlias() throws Exception {
        Path config = writeConfig("config-alias-kh", hostBlock("myalias", null));
        Path aliasOnly = tmp.resolve("kh-alias-only");
        String[] key = sshd.hostKeyPublicLine().split("\\s+");
        Files.writeString(aliasOnly, "[myalias]:" + sshd.port() + " " + key[0] + " " + key[1] + "\nmyalias " + key[0]
                + " " + key[1] + "\n");
        SshOptions o = SshOptions.builder().sshConfig(config).knownHosts(aliasOnly).useAgent(false)
                .connectTimeout(Duration.ofSeconds(5)).build();
        HostKeyException e = assertThrows(HostKeyException.class, () -> Tunnel.to(SshTarget.parse("myalias"),
                RemoteEndpoint.unixSocket(echo.path().toString())).options(o).open());
        assertEquals("[127.0.0.1]:" + sshd.port(), e.host(), e.getMessage());
    }

    @Test
    void proxyJumpThroughAnotherAlias() throws Exception {
        Path config = writeConfig("config-jump", hostBlock("jump", null) + hostBlock("behind", "jump"));
        // one entry serves both: each hop is checked under its HostName and Port
        assertEquals(1, Files.readAllLines(knownHosts).size());
        assertTrue(Files.readString(knownHosts).startsWith("[127.0.0.1]:" + sshd.port() + " "));
        SshOptions o = SshOptions.builder().sshConfig(config).knownHosts(knownHosts).useAgent(false)
                .connectTimeout(Duration.ofSeconds(5)).build();
        int acceptedBefore = count(sshd.log(), "Accepted publickey for " + sshd.user());
        try (Tunnel t = Tunnel.to(SshTarget.parse("behind"), RemoteEndpoint.unixSocket(echo.path().toString()))
                .options(o).open(); SocketChannel c = connect(t)) {
            assertEquals("jumped\n", echo(c, "jumped\n"));
            int accepted = count(sshd.log(), "Accepted publickey for " + sshd.user()) - acceptedBefore;
            assertEquals(2, accepted, "one login to the jump host, one to the target through it\n" + sshd.log());
        }
    }

    @Test
    void aMatchBlockIsSkippedWithAWarningAndTheHostEntriesStillApply() throws Exception {
        String text = "# real configs often have these\n"
                + "Match host nothing-matches exec \"false\"\n"
                + "  User nobody\n"
                + "  Port 1\n"
                + hostBlock("myalias", null)
                + "Match all\n"
                + "  IdentityFile /nonexistent/key\n";
        Path config = writeConfig("config-match", text);
        SshOptions o = SshOptions.builder().sshConfig(config).knownHosts(knownHosts).useAgent(false)
                .connectTimeout(Duration.ofSeconds(5)).build();
        String log = captureStderr(() -> {
            try (Tunnel t = Tunnel.to(SshTarget.parse("myalias"), RemoteEndpoint.unixSocket(echo.path().toString()))
                    .options(o).open(); SocketChannel c = connect(t)) {
                assertEquals("match\n", echo(c, "match\n"));
            }
        });
        // 'Match exec' is not evaluated: one warning naming the line; 'Match all' is evaluated, so no warning
        assertTrue(log.contains("WARN") && log.contains(config + ":2: skipping this Match block"), log);
        assertFalse(log.contains(config + ":10:"), log);
    }

    private String hostBlock(String alias, String proxyJump) {
        return "Host " + alias + "\n"
                + "  HostName 127.0.0.1\n"
                + "  Port " + sshd.port() + "\n"
                + "  User " + sshd.user() + "\n"
                + "  IdentityFile " + sshd.clientKey() + "\n"
                + (proxyJump == null ? "" : "  ProxyJump " + proxyJump + "\n");
    }

    private static Path writeConfig(String name, String text) throws IOException {
        Path file = tmp.resolve(name);
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    // ----------------------------------------------------------------------------------------- c. ssh-agent

    @Test
    void aKeyFromSshAgentAndNoIdentityFile() throws Exception {
        Requirements.requireExecutable("/usr/bin/ssh-agent");
        Requirements.requireExecutable("/usr/bin/ssh-add");
        Path agentDir = Files.createTempDirectory(Path.of("/tmp"), "agent-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path socket = agentDir.resolve("agent.sock");
        Process agent = new ProcessBuilder("/usr/bin/ssh-agent", "-D", "-a", socket.toString())
                .redirectErrorStream(true).redirectOutput(Redirect.DISCARD).redirectInput(Redirect.from(new File("/dev/null")))
                .start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!Files.exists(socket)) {
                assertTrue(agent.isAlive(), "ssh-agent exited with " + (agent.isAlive() ? "" : agent.exitValue()));
                assertTrue(System.nanoTime() < deadline, "ssh-agent did not create " + socket);
                Thread.sleep(20);
            }
            ProcessBuilder add = new ProcessBuilder("/usr/bin/ssh-add", sshd.clientKey().toString())
                    .redirectErrorStream(true).redirectInput(Redirect.from(new File("/dev/null")));
            add.environment().put("SSH_AUTH_SOCK", socket.toString());
            add.environment().remove("DISPLAY");
            add.environment().remove("SSH_ASKPASS");
            Process adding = add.start();
            String out = new String(adding.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(adding.waitFor(10, TimeUnit.SECONDS), "ssh-add hangs");
            assertEquals(0, adding.exitValue(), out);

            SshOptions withAgent = SshOptions.builder().agentSocket(socket).useAgent(true).knownHosts(knownHosts)
                    .sshConfig(null).connectTimeout(Duration.ofSeconds(5)).build();
            assertTrue(withAgent.identities().isEmpty());
            try (Tunnel t = Tunnel.to(target(sshd), RemoteEndpoint.unixSocket(echo.path().toString()))
                    .options(withAgent).open(); SocketChannel c = connect(t)) {
                assertEquals("agent\n", echo(c, "agent\n"));
            }
            // and without the agent, nothing else could have logged us in
            SshOptions withoutAgent = withAgent.toBuilder().useAgent(false).build();
            assertThrows(AuthenticationException.class, () -> Tunnel.to(target(sshd),
                    RemoteEndpoint.unixSocket(echo.path().toString())).options(withoutAgent).open());
        } finally {
            agent.destroy();
            if (!agent.waitFor(5, TimeUnit.SECONDS)) {
                agent.destroyForcibly();
            }
            Files.deleteIfExists(socket);
            Files.deleteIfExists(agentDir);
        }
    }

    // ---------------------------------------------------------------------------------------------- d. scale

    @Test
    void aThousandConcurrentConnectionsThroughOneTunnelWithoutAThreadEach() throws Exception {
        int n = 1000;
        int workers = 32;
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        Tunnel t = closeLater(Tunnel.to(target(sshd), RemoteEndpoint.unixSocket(echo.path().toString()))
                .options(keyOptions(sshd, knownHosts).build()).open());
        int echoAcceptedBefore = echo.accepted();

        AtomicInteger maxThreads = new AtomicInteger();
        AtomicReference<List<String>> atMax = new AtomicReference<>(List.of());
        AtomicBoolean sampling = new AtomicBoolean(true);
        Thread sampler = new Thread(() -> {
            while (sampling.get()) {
                List<String> names = tunnelThreadsSince(before);
                if (names.size() > maxThreads.get()) {
                    maxThreads.set(names.size());
                    atMax.set(names);
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "behaviour-it-sampler");
        sampler.setDaemon(true);
        sampler.start();

        List<SocketChannel> channels = new ArrayList<>(n);
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        try {
            for (int i = 0; i < n; i++) {
                channels.add(closeLater(connect(t)));
            }
            AtomicInteger ok = new AtomicInteger();
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                int worker = w;
                done.add(pool.submit(() -> {
                    // every connection of this worker gets its request before any reply is read: all in flight
                    for (int i = worker; i < n; i += workers) {
                        writeFully(channels.get(i), message(i));
                    }
                    for (int i = worker; i < n; i += workers) {
                        byte[] reply = readExactly(channels.get(i), 64);
                        assertArrayEquals(message(i), reply, "connection " + i);
                        ok.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS); // an error or a wrong echo fails here
            }
            assertEquals(n, ok.get());
            assertEquals(n, t.stats().openConnections());
            assertEquals(0, t.stats().failedOpens());
            assertEquals(n, echo.accepted() - echoAcceptedBefore, "one remote connection per local one");
        } finally {
            sampling.set(false);
            sampler.join(1000);
            pool.shutdownNow();
        }
        assertTrue(maxThreads.get() > 0, "the sampler saw the tunnel's threads");
        // one selector thread, MINA's I/O pool (its default size: processors + 1) and a few MINA helpers; a thread
        // per connection would be a thousand
        int limit = Runtime.getRuntime().availableProcessors() + 1 + 12;
        assertTrue(maxThreads.get() < limit, "the tunnel used " + maxThreads.get() + " threads (limit " + limit + "): "
                + atMax.get());

        for (SocketChannel c : channels) {
            c.close();
        }
        awaitTrue(() -> t.stats().openConnections() == 0, Duration.ofSeconds(10),
                () -> "open connections after the clients closed: " + t.stats().openConnections());
    }

    private static byte[] message(int i) {
        byte[] m = new byte[64];
        new SplittableRandom(i).nextBytes(m);
        return m;
    }

    // --------------------------------------------------------------------------------- e. close under load

    @Test
    void closeWithTwoHundredIdleConnectionsEndsThemAllAfterTheDrainTime() throws Exception {
        int n = 200;
        Duration drain = Duration.ofSeconds(1);
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        Tunnel t = closeLater(Tunnel.to(target(sshd), RemoteEndpoint.unixSocket(echo.path().toString()))
                .options(keyOptions(sshd, knownHosts).build()).drainTimeout(drain).open());
        Path socketFile = t.localSocket().orElseThrow();
        List<SocketChannel> channels = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            SocketChannel c = closeLater(connect(t));
            channels.add(c);
        }
        for (int i = 0; i < n; i++) {
            assertEquals("idle " + i + "\n", echo(channels.get(i), "idle " + i + "\n")); // each one is through
        }
        assertEquals(n, t.stats().openConnections());
        List<String> ours = tunnelThreadsSince(before);
        // the local sockets are pumped on the SSH client's I/O thread: the tunnel has no thread of its own
        assertTrue(ours.stream().anyMatch(name -> name.startsWith("ssh-container-io-")), ours.toString());
        assertTrue(ours.stream().noneMatch(name -> name.startsWith("ssh-container-tunnel-")), ours.toString());

        long started = System.nanoTime();
        assertTimeoutPreemptively(drain.plusSeconds(5), t::close);
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertTrue(tookMs < drain.plusSeconds(2).toMillis(), "close() took " + tookMs + " ms");
        assertTrue(tookMs >= drain.toMillis() - 50, "close() waited for the drain time: " + tookMs + " ms");

        assertEquals(n, endedWithin(channels, Duration.ofSeconds(5)), "local connections that read EOF or an error");
        assertFalse(Files.exists(socketFile, LinkOption.NOFOLLOW_LINKS), "socket file removed");
        assertFalse(Files.exists(socketFile.getParent(), LinkOption.NOFOLLOW_LINKS), "private directory removed");
        awaitTrue(() -> tunnelThreadsSince(before).stream().noneMatch(name -> name.startsWith("ssh-container-")),
                Duration.ofSeconds(2), () -> "threads left after close: " + tunnelThreadsSince(before));
        awaitTrue(() -> tunnelThreadsSince(before).isEmpty(), Duration.ofSeconds(2),
                () -> "MINA threads left after close: " + tunnelThreadsSince(before));
        awaitTrue(() -> t.stats().openConnections() == 0, Duration.ofSeconds(2),
                () -> "open connections after close: " + t.stats().openConnections());
    }

    /** How many of {@code channels} read EOF or fail within {@code limit} (any data read is skipped). */
    private static int endedWithin(List<SocketChannel> channels, Duration limit) throws IOException {
        int ended = 0;
        try (Selector selector = Selector.open()) {
            for (SocketChannel c : channels) {
                c.configureBlocking(false);
                c.register(selector, SelectionKey.OP_READ);
            }
            ByteBuffer b = ByteBuffer.allocate(4096);
            long deadline = System.nanoTime() + limit.toNanos();
            while (ended < channels.size() && System.nanoTime() < deadline) {
                selector.select(100);
                for (SelectionKey key : selector.selectedKeys()) {
                    SocketChannel c = (SocketChannel) key.channel();
                    b.clear();
                    int r;
                    try {
                        r = c.read(b);
                    } catch (IOException e) {
                        r = -1;
                    }
                    if (r < 0) {
                        key.cancel();
                        ended++;
                    }
                }
                selector.selectedKeys().clear();
            }
        }
        return ended;
    }

    // ----------------------------------------------------------------------------- f. sshd killed mid-stream

    @Test
    void anInProcessReadFailsWhenSshdDiesAndTheTunnelReconnectsAfterwards() throws Exception {
        Path kh = tmp.resolve("kh-kill");
        OpenSshServer server = ownServer(OpenSshServer.builder(), kh);
        Tunnel t = closeLater(Tunnel.to(target(server), RemoteEndpoint.unixSocket(sink.path().toString()))
                .options(keyOptions(server, kh).keepAlive(Duration.ofSeconds(2), 2).build()).inProcessOnly().open());
        // one connection streaming (the sink sends without end), one idle (waiting for 1 TiB it never gets)
        TunnelConnection streaming = closeLater(t.openConnection());
        streaming.outputStream().write(UnixSinkServer.sendRequest(1L << 40, 3));
        TunnelConnection idle = closeLater(t.openConnection());
        AtomicLong streamed = new AtomicLong();
        Future<Integer> streamingRead = threads.submit(() -> drain(streaming.inputStream(), streamed));
        Future<Integer> idleRead = threads.submit(() -> idle.inputStream().read());
        awaitTrue(() -> streamed.get() > (4 << 20), Duration.ofSeconds(20), () -> "streamed " + streamed.get());
        assertFalse(idleRead.isDone());

        server.kill();
        long killed = System.nanoTime();
        for (Future<Integer> read : List.of(streamingRead, idleRead)) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> {
                Integer r = read.get(10, TimeUnit.SECONDS);
                fail("the read ended with " + r + " (end of stream) instead of an IOException: a lost connection"
                        + " must not look like a clean end");
            });
            assertTrue(e.getCause() instanceof IOException, String.valueOf(e.getCause()));
        }
        assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - killed) < 10);
        assertFalse(streaming.isOpen());
        assertFalse(idle.isOpen());

        server.restart();
        try (TunnelConnection again = t.openConnection()) {
            again.outputStream().write(UnixSinkServer.sendRequest(1000, 5));
            assertArrayEquals(UnixSinkServer.expectedBytes(1000, 5), again.inputStream().readAllBytes());
        }
        assertEquals(1, t.stats().reconnects());
    }

    /** Reads until the end; returns -1 at EOF, or throws. */
    private static int drain(InputStream in, AtomicLong total) throws IOException {
        byte[] buf = new byte[64 * 1024];
        for (int r; (r = in.read(buf)) >= 0;) {
            total.addAndGet(r);
        }
        return -1;
    }

    // ------------------------------------------------------------------------------------------- g. keepalive

    @Test
    void keepaliveNoticesAFrozenServer() throws Exception {
        Path kh = tmp.resolve("kh-frozen");
        OpenSshServer server = ownServer(OpenSshServer.builder(), kh);
        Tunnel t = closeLater(Tunnel.to(target(server), RemoteEndpoint.unixSocket(echo.path().toString()))
                .options(keyOptions(server, kh).keepAlive(Duration.ofSeconds(1), 2).build()).inProcessOnly().open());
        TunnelConnection c = closeLater(t.openConnection());
        c.outputStream().write("before\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals("before\n", new String(c.inputStream().readNBytes(7), StandardCharsets.US_ASCII));
        Future<Integer> read = threads.submit(() -> c.inputStream().read());

        List<Long> frozen = sshdProcesses(server);
        assertTrue(frozen.size() >= 2, "the listener and the per-connection sshd: " + frozen);
        try {
            signal("-STOP", frozen);
            long stopped = System.nanoTime();
            ExecutionException e = assertThrows(ExecutionException.class, () -> {
                Integer r = read.get(10, TimeUnit.SECONDS);
                fail("the read ended with " + r + " instead of an IOException");
            }, "keepalive (1 s, 2 tries) did not end the connection to the frozen server within 10 s");
            assertTrue(e.getCause() instanceof IOException, String.valueOf(e.getCause()));
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopped);
            assertTrue(tookMs >= 1000, "not before the first keepalive went unanswered: " + tookMs + " ms");
        } finally {
            signal("-CONT", frozen);
        }
    }

    /** The listening sshd (a child of this JVM, run with the server's config file) and everything it forked. */
    private static List<Long> sshdProcesses(OpenSshServer server) throws IOException {
        String config = server.configFile().toString();
        List<ProcessHandle> listeners = ProcessHandle.current().children()
                .filter(p -> commandLine(p.pid()).contains(config)).collect(Collectors.toList());
        assertEquals(1, listeners.size(), "the sshd listener for " + config);
        List<Long> pids = new ArrayList<>();
        pids.add(listeners.get(0).pid());
        listeners.get(0).descendants().forEach(p -> pids.add(p.pid()));
        return pids;
    }

    private static String commandLine(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
                    StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }

    private static void signal(String signal, List<Long> pids) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("kill", signal));
        pids.forEach(p -> command.add(Long.toString(p)));
        Process kill = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(kill.waitFor(5, TimeUnit.SECONDS));
        assertEquals(0, kill.exitValue(), command + ": " + out);
    }

    // ------------------------------------------------------------------------------------------- helpers

    static SocketChannel connect(Tunnel t) throws IOException {
        return SocketChannel.open(UnixDomainSocketAddress.of(t.localSocket().orElseThrow()));
    }

    /** Writes {@code text} and reads as many bytes back (the SocketChannel itself: no shared stream locks). */
    static String echo(SocketChannel c, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        writeFully(c, bytes);
        return new String(readExactly(c, bytes.length), StandardCharsets.US_ASCII);
    }

    static void writeFully(SocketChannel c, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(data);
        while (b.hasRemaining()) {
            c.write(b);
        }
    }

    static byte[] readExactly(SocketChannel c, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (c.read(b) < 0) {
                throw new EOFException("end of stream after " + b.position() + " of " + n + " bytes");
            }
        }
        return b.array();
    }

    /** Threads of the tunnel and of MINA's client that were not there in {@code before}. */
    static List<String> tunnelThreadsSince(Set<Thread> before) {
        Set<Thread> old = new HashSet<>(before);
        return Thread.getAllStackTraces().keySet().stream()
                .filter(th -> !old.contains(th) && th.isAlive())
                .map(Thread::getName)
                .filter(name -> name.startsWith("ssh-container") || name.startsWith("sshd-SshClient"))
                .sorted().collect(Collectors.toList());
    }

    static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    interface Check {
        boolean ok() throws Exception;
    }

    interface Message {
        String get() throws Exception;
    }

    static void awaitTrue(Check check, Duration limit, Message message) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!check.ok()) {
            if (System.nanoTime() > deadline) {
                fail("not within " + limit.toMillis() + " ms: " + message.get());
            }
            Thread.sleep(20);
        }
    }

    interface Body {
        void run() throws Exception;
    }

    /** Runs {@code body} with System.err copied to a buffer; returns what was written (slf4j-simple logs there). */
    static String captureStderr(Body body) throws Exception {
        PrintStream original = System.err;
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        PrintStream tee = new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                original.write(b);
                synchronized (copy) {
                    copy.write(b);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) {
                original.write(b, off, len);
                synchronized (copy) {
                    copy.write(b, off, len);
                }
            }
        }, true, StandardCharsets.UTF_8);
        System.setErr(tee);
        try {
            body.run();
        } finally {
            System.setErr(original);
        }
        synchronized (copy) {
            return copy.toString(StandardCharsets.UTF_8);
        }
    }
}
