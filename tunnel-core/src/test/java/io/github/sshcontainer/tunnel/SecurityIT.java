package io.github.sshcontainer.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.Requirements;
import io.github.sshcontainer.tunnel.testing.UnixEchoServer;
import org.apache.sshd.client.channel.AbstractClientChannel;
import org.apache.sshd.client.future.OpenFuture;
import org.apache.sshd.common.channel.ChannelFactory;
import org.apache.sshd.common.session.ConnectionService;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;
import org.apache.sshd.server.session.ServerSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Security properties against real servers: a swapped host key (a man in the middle) is refused under STRICT and
 * ACCEPT_NEW, also when an open tunnel reconnects; socket permissions as {@code stat} sees them; no listener on a
 * wildcard address; no password or passphrase in the logs at TRACE level; channels a hostile server opens toward
 * the client are refused and agent forwarding is never requested.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SecurityIT {
    static OpenSshServer sshd;
    static UnixEchoServer echo;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() {
        sshd = OpenSshServer.startOrSkip(OpenSshServer.builder());
        echo = UnixEchoServer.start();
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

    // ------------------------------------------------------------------------------------ a swapped host key

    @Test
    void aSwappedHostKeyIsRefusedUnderStrictAndAcceptNewAlsoOnReconnect() throws Exception {
        try (OpenSshServer server = OpenSshServer.startOrSkip(OpenSshServer.builder())) {
            Path kh = tmp.resolve("kh-swap");
            SshOptions strict = server.clientOptions(kh).keepAlive(Duration.ofSeconds(1), 2).build();
            String trusted = Files.readString(kh);
            Tunnel live = Tunnel.to(server.target(), RemoteEndpoint.unixSocket(echo.path().toString())).options(strict)
                    .inProcessOnly().open();
            try (live) {
                roundTrip(live);
                // the man in the middle: same address and port, another host key
                Path hostKey = server.dir().resolve("host_ed25519");
                Files.delete(hostKey);
                Files.delete(Path.of(hostKey + ".pub"));
                run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "mitm", "-f", hostKey.toString());
                server.restart();

                for (HostKeyPolicy policy : List.of(HostKeyPolicy.STRICT, HostKeyPolicy.ACCEPT_NEW)) {
                    HostKeyException e = assertThrows(HostKeyException.class, () -> Tunnel.to(server.target(),
                            RemoteEndpoint.unixSocket(echo.path().toString()))
                            .options(strict.toBuilder().hostKeyPolicy(policy).build()).inProcessOnly().open(),
                            policy.toString());
                    assertEquals(Failure.HOST_KEY, e.failure());
                    assertTrue(e.getMessage().contains("changed"), e.getMessage());
                    assertTrue(e.getMessage().contains("SHA256:"), e.getMessage());
                }
                // the open tunnel reconnects to the impostor: refused too, nothing goes through
                IOException e = assertThrows(IOException.class, () -> roundTrip(live));
                assertTrue(String.valueOf(e.getMessage()).contains("host key") || e instanceof HostKeyException
                        || e.getCause() instanceof HostKeyException, "the reconnect names the host key: " + e);
                assertEquals(trusted, Files.readString(kh), "known_hosts was not changed (ACCEPT_NEW adds, never replaces)");
            }
        }
    }

    private static void roundTrip(Tunnel t) throws IOException {
        try (TunnelConnection c = t.openConnection()) {
            c.outputStream().write("hi".getBytes(StandardCharsets.US_ASCII));
            c.outputStream().flush();
            assertEquals("hi", new String(c.inputStream().readNBytes(2), StandardCharsets.US_ASCII));
        }
    }

    // ------------------------------------------------------------------------------- permissions, listeners

    @Test
    void statSeesA0700DirectoryAnd0600Sockets() throws Exception {
        SshOptions o = sshd.clientOptions(tmp.resolve("kh-stat")).build();
        Path chosen = Files.createDirectory(tmp.resolve("chosen")).resolve("my.sock");
        try (Tunnel priv = Tunnel.to(sshd.target(), RemoteEndpoint.unixSocket(echo.path().toString())).options(o).open();
                Tunnel named = Tunnel.to(sshd.target(), RemoteEndpoint.unixSocket(echo.path().toString())).options(o)
                        .localSocket(chosen).open()) {
            Path socket = priv.localSocket().orElseThrow();
            assertEquals("700 socket-dir-owner:" + whoami(), stat("%a", socket.getParent()) + " socket-dir-owner:"
                    + stat("%U", socket.getParent()));
            assertEquals("600 socket", stat("%a", socket) + " " + stat("%F", socket));
            assertEquals("600 socket", stat("%a", chosen) + " " + stat("%F", chosen));
        }
    }

    @Test
    void noListenerOnAWildcardAddressInAnyMode() throws Exception {
        SshOptions o = sshd.clientOptions(tmp.resolve("kh-listen")).build();
        Set<String> before = listeningTcp();
        try (Tunnel priv = Tunnel.to(sshd.target(), RemoteEndpoint.unixSocket(echo.path().toString())).options(o).open();
                Tunnel tcp = Tunnel.to(sshd.target(), RemoteEndpoint.unixSocket(echo.path().toString())).options(o)
                        .localTcp(0).open();
                Tunnel tcp6 = Tunnel.to(sshd.target(), RemoteEndpoint.unixSocket(echo.path().toString())).options(o)
                        .localTcp(java.net.InetAddress.getByName("::1"), 0).open();
                Tunnel inProcess = Tunnel.to(sshd.target(), RemoteEndpoint.unixSocket(echo.path().toString()))
                        .options(o).inProcessOnly().open()) {
            Set<String> now = listeningTcp();
            now.removeAll(before);
            InetSocketAddress a = tcp.localTcpAddress().orElseThrow();
            InetSocketAddress a6 = tcp6.localTcpAddress().orElseThrow();
            assertEquals(Set.of("127.0.0.1:" + a.getPort(), "[::1]:" + a6.getPort()), now,
                    "the only new listeners of this process are the two loopback ports asked for");
        }
    }

    /** This process's listening TCP sockets, from /proc/net/tcp{,6} matched to /proc/self/fd inodes. */
    static Set<String> listeningTcp() throws IOException {
        Set<String> inodes = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            fds.forEach(fd -> {
                try {
                    String link = Files.readSymbolicLink(fd).toString();
                    if (link.startsWith("socket:[")) {
                        inodes.add(link.substring(8, link.length() - 1));
                    }
                } catch (IOException gone) {
                    // closed meanwhile
                }
            });
        }
        Set<String> listening = new HashSet<>();
        for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            List<String> lines = Files.readAllLines(Path.of(table));
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.trim().split("\\s+");
                if (f[3].equals("0A") && inodes.contains(f[9])) { // 0A = LISTEN
                    listening.add(address(f[1]));
                }
            }
        }
        return listening;
    }

    /** {@code 0100007F:1F90} → {@code 127.0.0.1:8080}; IPv6 as {@code [::1]:port}; wildcards as 0.0.0.0 / [::]. */
    static String address(String hex) throws IOException {
        String[] parts = hex.split(":");
        int port = Integer.parseInt(parts[1], 16);
        byte[] raw = new byte[parts[0].length() / 2];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = (byte) Integer.parseInt(parts[0].substring(2 * i, 2 * i + 2), 16);
        }
        // the kernel prints each 32-bit word in host (little-endian) order
        for (int w = 0; w < raw.length; w += 4) {
            for (int i = 0; i < 2; i++) {
                byte t = raw[w + i];
                raw[w + i] = raw[w + 3 - i];
                raw[w + 3 - i] = t;
            }
        }
        java.net.InetAddress ip = java.net.InetAddress.getByAddress(raw);
        String host = ip.getHostAddress();
        if (ip instanceof java.net.Inet6Address) {
            host = host.equals("0:0:0:0:0:0:0:1") ? "::1" : host.equals("0:0:0:0:0:0:0:0") ? "::" : host;
            return "[" + host + "]:" + port;
        }
        return host + ":" + port;
    }

    // ----------------------------------------------------------------------------------- secrets in the logs

    @Test
    void noPasswordOrPassphraseInTheLogsAtTraceLevel() throws Exception {
        String user = System.getenv("SSHC_PASSWORD_USER");
        String password = System.getenv("SSHC_PASSWORD");
        Requirements.require(user != null && password != null, "SSHC_PASSWORD_USER/SSHC_PASSWORD not set (.ci/run sets"
                + " them and creates the user)");
        try (OpenSshServer server = OpenSshServer.startOrSkip(OpenSshServer.builder().passwordAuthentication(true))) {
            Path kh = tmp.resolve("kh-secrets");
            server.writeKnownHosts(kh);
            List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java")
                    .toString(), "-cp", System.getProperty("java.class.path"),
                    "-Dorg.slf4j.simpleLogger.defaultLogLevel=trace", "-Dorg.slf4j.simpleLogger.logFile=System.out",
                    SecretsLogMain.class.getName(), user, server.host(), String.valueOf(server.port()), kh.toString(),
                    password, server.user(), server.clientKeyOpenSshEncrypted().toString(), OpenSshServer.KEY_PASSPHRASE));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertTrue(out.contains("RESULT password: ok"), tail(out));
            assertTrue(out.contains("RESULT wrong password: AuthenticationException"), tail(out));
            assertTrue(out.contains("RESULT passphrase: ok"), tail(out));
            assertTrue(out.contains("RESULT wrong passphrase: AuthenticationException"), tail(out));
            assertTrue(out.contains("DONE"), tail(out));
            assertTrue(out.contains("TRACE") || out.contains("DEBUG"), "logging at TRACE/DEBUG was on");
            assertTrue(out.contains("io.github.sshcontainer") && out.contains("org.apache.sshd"),
                    "both our and MINA's loggers wrote");
            System.out.printf("SecurityIT: %d bytes of TRACE output searched%n", out.length());
            for (String secret : List.of(password, OpenSshServer.KEY_PASSPHRASE, password + "-wrong",
                    OpenSshServer.KEY_PASSPHRASE + "-wrong")) {
                int at = out.indexOf(secret);
                assertEquals(-1, at, "a secret appears in the log: ..."
                        + out.substring(Math.max(0, at - 300), Math.min(out.length(), at + 100)));
            }
        }
    }

    private static String tail(String s) {
        return s.length() < 4000 ? s : s.substring(s.length() - 4000);
    }

    // ------------------------------------------------------------------------------ a hostile server's channels

    @Test
    void channelsAHostileServerOpensTowardTheClientAreRefusedAndAgentForwardingIsNeverAsked() throws Exception {
        Map<String, String> results = new ConcurrentHashMap<>();
        Set<String> requests = ConcurrentHashMap.newKeySet();
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        SshServer server = SshServer.setUpDefaultServer();
        server.setHost("127.0.0.1");
        server.setPort(0);
        server.setKeyPairProvider(new SimpleGeneratorHostKeyProvider(tmp.resolve("hostile-host-key")));
        server.setPasswordAuthenticator((u, p, s) -> true);
        server.setPublickeyAuthenticator((u, k, s) -> true);
        // record every global and channel request the client sends (auth-agent-req would be agent forwarding)
        server.setGlobalRequestHandlers(List.of((connection, request, wantReply, buffer) -> {
            requests.add("global " + request);
            return org.apache.sshd.common.channel.RequestHandler.Result.Unsupported;
        }));
        server.setChannelFactories(List.<ChannelFactory>of(new org.apache.sshd.server.channel.ChannelSessionFactory() {
            @Override
            public org.apache.sshd.common.channel.Channel createChannel(Session session) throws IOException {
                requests.add("session channel");
                return super.createChannel(session);
            }
        }));
        server.addSessionListener(new SessionListener() {
            @Override
            public void sessionEvent(Session session, Event event) {
                if (event == Event.Authenticated) {
                    Thread attacker = new Thread(() -> attack((ServerSession) session, results, done), "hostile");
                    attacker.setDaemon(true);
                    attacker.start();
                }
            }
        });
        server.start();
        List<Process> agents = new ArrayList<>();
        try {
            Path kh = tmp.resolve("kh-hostile");
            int port = server.getPort();
            String line = "[127.0.0.1]:" + port + " " + org.apache.sshd.common.config.keys.PublicKeyEntry
                    .toString(server.getKeyPairProvider().loadKeys(null).iterator().next().getPublic());
            Files.writeString(kh, line + "\n");
            // with a real (empty) ssh-agent in use: a server that could open auth-agent channels would reach it
            Path agentSocket = tmp.resolve("agent.sock");
            Process agent = new ProcessBuilder("ssh-agent", "-D", "-a", agentSocket.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            agents.add(agent);
            TunnelBehaviourIT.awaitTrue(() -> Files.exists(agentSocket), Duration.ofSeconds(10), () -> "ssh-agent socket");
            SshOptions o = SshOptions.builder().identity(sshd.clientKey()).knownHosts(kh).sshConfig(null)
                    .useAgent(true).agentSocket(agentSocket).connectTimeout(Duration.ofSeconds(5)).build();
            try (Tunnel t = Tunnel.to(SshTarget.of("anyone", "127.0.0.1", port),
                    RemoteEndpoint.unixSocket("/var/run/docker.sock")).options(o).verifyRemote(false).inProcessOnly()
                    .open()) {
                assertTrue(done.await(20, TimeUnit.SECONDS), "the hostile server tried all channels: " + results);
            }
        } finally {
            server.stop(true);
            agents.forEach(Process::destroy);
        }
        System.out.println("SecurityIT: hostile channel opens: " + results + "; client requests: " + requests);
        for (String type : List.of("auth-agent@openssh.com", "auth-agent", "x11", "forwarded-tcpip",
                "forwarded-streamlocal@openssh.com", "session")) {
            assertTrue(results.containsKey(type), type + " was tried: " + results);
            assertTrue(results.get(type).startsWith("refused"), type + " must be refused: " + results.get(type));
        }
        assertTrue(requests.stream().noneMatch(r -> r.contains("agent") || r.contains("x11")),
                "no agent or X11 forwarding asked for: " + requests);
    }

    /** Opens each channel type toward the client and records "opened" or "refused: why". */
    static void attack(ServerSession session, Map<String, String> results, java.util.concurrent.CountDownLatch done) {
        try {
            // "Authenticated" comes just before the server session switches to its connection service: wait for it
            ConnectionService service = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (service == null) {
                try {
                    service = session.getService(ConnectionService.class);
                } catch (IllegalStateException notYet) {
                    if (System.nanoTime() > deadline) {
                        throw notYet;
                    }
                    Thread.sleep(10);
                }
            }
            for (String type : List.of("auth-agent@openssh.com", "auth-agent", "x11", "forwarded-tcpip",
                    "forwarded-streamlocal@openssh.com", "session")) {
                HostileChannel channel = new HostileChannel(type);
                try {
                    service.registerChannel(channel);
                    OpenFuture f = channel.open();
                    f.await(5, TimeUnit.SECONDS);
                    results.put(type, f.isOpened() ? "opened" : "refused: " + f.getException());
                } catch (Exception e) {
                    results.put(type, "refused: " + e);
                } finally {
                    channel.close(true);
                }
            }
        } catch (Exception e) {
            results.put("error", e.toString());
        } finally {
            done.countDown();
        }
    }

    /** A channel the server opens toward the client, with the type-specific fields OpenSSH would send. */
    static final class HostileChannel extends AbstractClientChannel {
        HostileChannel(String type) {
            super(type);
        }

        @Override
        protected void doOpen() {
            // nothing to pump: only whether the client accepts matters
        }

        @Override
        public synchronized OpenFuture open() throws IOException {
            String type = getChannelType();
            Buffer b = getSession().createBuffer(org.apache.sshd.common.SshConstants.SSH_MSG_CHANNEL_OPEN, 128);
            b.putString(type);
            b.putUInt(getChannelId());
            b.putUInt(getLocalWindow().getSize());
            b.putUInt(getLocalWindow().getPacketSize());
            switch (type) {
                case "x11":
                    b.putString("127.0.0.1");
                    b.putUInt(6010);
                    break;
                case "forwarded-tcpip":
                    b.putString("127.0.0.1");
                    b.putUInt(2375);
                    b.putString("203.0.113.9");
                    b.putUInt(40000);
                    break;
                case "forwarded-streamlocal@openssh.com":
                    b.putString("/var/run/docker.sock");
                    b.putString("");
                    break;
                default:
                    break;
            }
            openFuture = new org.apache.sshd.client.future.DefaultOpenFuture(type, this);
            writePacket(b);
            return openFuture;
        }
    }

    // ------------------------------------------------------------------------------------------- helpers

    static String stat(String format, Path p) throws Exception {
        return run("stat", "-c", format, p.toString()).trim();
    }

    static String whoami() throws Exception {
        return run("id", "-un").trim();
    }

    static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), String.join(" ", command));
        assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + out);
        return out;
    }
}
