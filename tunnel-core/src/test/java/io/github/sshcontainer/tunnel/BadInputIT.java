package io.github.sshcontainer.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

import io.github.sshcontainer.tunnel.testing.Cleanup;
import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.UnixEchoServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library's bad-input matrix against a real OpenSSH sshd: targets, keys, known_hosts, local socket paths, remote
 * paths and option conflicts. Every case runs under a hard timeout and checks the exception type, the
 * {@link Failure} kind, that the message names the problem, that nothing in the scratch directory changed (no file
 * the user named is deleted or rewritten) and that no tunnel or MINA thread was left behind.
 *
 * <p>Cases that need a second local user (a key this process cannot read, a directory it may not write) are in the
 * CLI's matrix, which runs the real command as that user; here the tests run as root.
 */
class BadInputIT {
    /** Generous per-case bound: every case that talks to a server uses 3-5 s timeouts. */
    static final Duration CASE_TIMEOUT = Duration.ofSeconds(20);

    /** A local user without root's rights ({@code .ci/run} creates it). */
    static final String OTHER_USER = System.getenv().getOrDefault("SSHC_NODOCKER_USER", "sshc-nodocker");

    static OpenSshServer sshd;
    static UnixEchoServer echo;
    @TempDir
    static Path tmp;
    static Path scratch;
    static Path knownHosts;
    static Path keys;
    static ServerSocket silent;
    static ServerSocket chatty;
    static final ExecutorService SERVERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "bad-input-fake-server");
        t.setDaemon(true);
        return t;
    });

    @BeforeAll
    static void start() throws IOException {
        // as in RuntimeConnectionIT: a world-readable copy of the public keys lets the second user log in too
        Path publicKeys = tmp.resolve("authorized_keys_any_user");
        sshd = OpenSshServer.startOrSkip(OpenSshServer.builder().extraConfig("Match User " + OTHER_USER)
                .extraConfig("AuthorizedKeysFile " + publicKeys));
        Files.copy(sshd.dir().resolve("authorized_keys"), publicKeys);
        Files.setPosixFilePermissions(publicKeys, PosixFilePermissions.fromString("rw-r--r--"));
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
        echo = UnixEchoServer.start();
        scratch = Files.createDirectory(tmp.resolve("s"));
        knownHosts = scratch.resolve("known_hosts");
        sshd.writeKnownHosts(knownHosts);
        keys = Files.createDirectory(scratch.resolve("keys"));
        byte[] good = Files.readAllBytes(sshd.clientKey());
        write("truncated", java.util.Arrays.copyOf(good, good.length / 2));
        write("empty", new byte[0]);
        Files.copy(Path.of(sshd.clientKey() + ".pub"), keys.resolve("public-key.pub"));
        write("text", "this is not a key\n".getBytes(StandardCharsets.US_ASCII));
        write("certificate.pem", ("-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ\n-----END CERTIFICATE-----\n")
                .getBytes(StandardCharsets.US_ASCII));
        byte[] junk = new byte[1024];
        new Random(1).nextBytes(junk);
        write("binary", junk);
        write("header-only", "-----BEGIN OPENSSH PRIVATE KEY-----\n-----END OPENSSH PRIVATE KEY-----\n"
                .getBytes(StandardCharsets.US_ASCII));
        write("bad-base64", "-----BEGIN OPENSSH PRIVATE KEY-----\n!!!!not*base64!!!!\n-----END OPENSSH PRIVATE KEY-----\n"
                .getBytes(StandardCharsets.US_ASCII));
        Files.createSymbolicLink(keys.resolve("dangling"), keys.resolve("no-such-file"));
        Files.createSymbolicLink(keys.resolve("link-to-good"), sshd.clientKey());
        Files.createDirectory(keys.resolve("a-directory"));
        mkfifo(keys.resolve("fifo"));

        silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        SERVERS.execute(() -> serve(silent, null));
        chatty = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        SERVERS.execute(() -> serve(chatty, "HTTP/1.0 400 Bad Request\r\n\r\n"));
    }

    @AfterAll
    static void stop() throws IOException {
        SERVERS.shutdownNow();
        Cleanup.closeAll(silent, chatty, echo, sshd);
    }

    private static void write(String name, byte[] content) throws IOException {
        Path p = keys.resolve(name);
        Files.write(p, content);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
    }

    static void mkfifo(Path p) throws IOException {
        try {
            Process mk = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
            if (mk.waitFor() != 0) {
                throw new IOException("mkfifo failed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    /** A TCP server that accepts and then says nothing ({@code greeting} null) or something that is not SSH. */
    private static void serve(ServerSocket server, String greeting) {
        List<Socket> held = new ArrayList<>();
        try {
            while (!server.isClosed()) {
                Socket s = server.accept();
                held.add(s);
                if (greeting != null) {
                    s.getOutputStream().write(greeting.getBytes(StandardCharsets.US_ASCII));
                    s.close();
                }
            }
        } catch (IOException e) {
            // closed
        } finally {
            held.forEach(s -> {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing
                }
            });
        }
    }

    // ------------------------------------------------------------------------------------------------ the cases

    interface Action {
        void run() throws Exception;
    }

    /** One bad input and what must come of it; {@code type} null means it must succeed. */
    record Case(String group, String name, Action action, Class<? extends Throwable> type, Failure failure,
            List<String> words) {
        Case then(String... more) {
            List<String> w = new ArrayList<>(words);
            w.addAll(List.of(more));
            return new Case(group, name, action, type, failure, w);
        }
    }

    static Case usage(String group, String name, Action action, String... words) {
        return new Case(group, name, action, SshTunnelException.class, Failure.USAGE, List.of(words));
    }

    static Case illegal(String group, String name, Action action, String... words) {
        return new Case(group, name, action, IllegalArgumentException.class, Failure.USAGE, List.of(words));
    }

    static Case fails(String group, String name, Class<? extends Throwable> type, Failure failure, Action action,
            String... words) {
        return new Case(group, name, action, type, failure, List.of(words));
    }

    static Case works(String group, String name, Action action) {
        return new Case(group, name, action, null, null, List.of());
    }

    static SshOptions.Builder options() {
        return SshOptions.builder().identity(sshd.clientKey()).knownHosts(knownHosts).sshConfig(null).useAgent(false)
                .connectTimeout(Duration.ofSeconds(4)).authTimeout(Duration.ofSeconds(4));
    }

    static TunnelBuilder echoTunnel(SshOptions o) {
        return Tunnel.to(sshd.target(), RemoteEndpoint.unixSocket(echo.path().toString())).options(o);
    }

    /** Opens in-process, checks one round trip, closes. */
    static void openAndClose(TunnelBuilder b) throws Exception {
        try (Tunnel t = b.open(); TunnelConnection c = t.openConnection()) {
            c.outputStream().write("x".getBytes(StandardCharsets.US_ASCII));
            c.outputStream().flush();
            assertEquals('x', c.inputStream().read());
        }
    }

    static Action withKey(Path key) {
        return () -> openAndClose(echoTunnel(SshOptions.builder().identity(key).knownHosts(knownHosts).sshConfig(null)
                .useAgent(false).connectTimeout(Duration.ofSeconds(4)).authTimeout(Duration.ofSeconds(4)).build())
                .inProcessOnly());
    }

    static Action withKey(Path key, PassphraseProvider passphrase) {
        return () -> openAndClose(echoTunnel(SshOptions.builder().identity(key).passphraseProvider(passphrase)
                .knownHosts(knownHosts).sshConfig(null).useAgent(false).connectTimeout(Duration.ofSeconds(4))
                .authTimeout(Duration.ofSeconds(4)).build()).inProcessOnly());
    }

    static Action withKnownHosts(String content, HostKeyPolicy policy) {
        return () -> {
            Path kh = Files.createTempFile(scratch, "kh", "");
            Files.writeString(kh, content.replace("HOST", "[127.0.0.1]:" + sshd.port()).replace("KEY", hostKey()));
            openAndClose(echoTunnel(options().knownHosts(kh).hostKeyPolicy(policy).build()).inProcessOnly());
        };
    }

    static String hostKey() {
        String[] k = sshd.hostKeyPublicLine().split("\\s+");
        return k[0] + " " + k[1];
    }

    static Action target(String text) {
        return () -> SshTarget.parse(text);
    }

    static Action connectTo(SshTarget t) {
        return () -> openAndClose(Tunnel.to(t, RemoteEndpoint.unixSocket(echo.path().toString())).options(options()
                .build()).inProcessOnly());
    }

    static Action localSocket(Path p) {
        return () -> openAndClose(echoTunnel(options().build()).localSocket(p));
    }

    static Action remote(String path) {
        return () -> openAndClose(Tunnel.to(sshd.target(), RemoteEndpoint.unixSocket(path)).options(options().build())
                .inProcessOnly());
    }

    static Stream<Case> targets() {
        String g = "target";
        return Stream.of(
                illegal(g, "empty", target(""), "target is empty"),
                illegal(g, "blank", target("   "), "target is empty"),
                illegal(g, "null", target(null), "target is empty"),
                illegal(g, "user only", target("deploy@"), "host is empty"),
                illegal(g, "empty user", target("@host"), "user before '@' is empty"),
                illegal(g, "port 0", target("host:0"), "port 0"),
                illegal(g, "port 65536", target("host:65536"), "65536"),
                illegal(g, "port not a number", target("host:ssh"), "port 'ssh'"),
                illegal(g, "port empty", target("host:"), "port ''"),
                illegal(g, "port too long", target("host:000022222"), "port"),
                illegal(g, "negative port", target("host:-22"), "port"),
                illegal(g, "unclosed IPv6 bracket", target("[::1"), "without a closing ']'"),
                illegal(g, "text after IPv6 bracket", target("[::1]x"), "after ']'"),
                illegal(g, "bad IPv6", target("[fe80::zz]:22"), "not an IPv6 address"),
                illegal(g, "bare IPv6 with junk", target("1:2:3:zz"), "not an IPv6 address"),
                illegal(g, "space", target("my host"), "space"),
                illegal(g, "slash without scheme", target("host/var/run"), "'/'"),
                illegal(g, "other scheme", target("http://host"), "only the ssh:// scheme"),
                illegal(g, "query", target("ssh://host?x=1"), "query"),
                illegal(g, "fragment", target("ssh://host#f"), "fragment"),
                illegal(g, "option injection as host", target("-oProxyCommand=touch"), "not a valid host name"),
                illegal(g, "option injection after user", target("u@-oProxyCommand=x"), "not a valid host name"),
                illegal(g, "user with space", target("ssh://a%20b@host"), "user 'a%20b'"),
                illegal(g, "user with shell chars", target("a;b@host"), "user 'a;b'"),
                illegal(g, "of(): port 0", () -> SshTarget.of("u", "h", 0), "port 0"),
                illegal(g, "of(): empty host", () -> SshTarget.of("u", "", 22), "host is empty"),
                fails(g, "unknown host / alias", SshTunnelException.class, Failure.CONNECT,
                        connectTo(SshTarget.parse("root@no-such-host.invalid")), "no-such-host.invalid", "unknown host"),
                fails(g, "connection refused", SshTunnelException.class, Failure.CONNECT,
                        connectTo(SshTarget.of("root", "127.0.0.1", freePort())), "connection refused"),
                fails(g, "server that never speaks", SshTunnelException.class, Failure.CONNECT,
                        connectTo(SshTarget.of("root", "127.0.0.1", silent.getLocalPort())), "127.0.0.1:"
                                + silent.getLocalPort(), "did not identify itself"),
                fails(g, "server that is not SSH", SshTunnelException.class, Failure.CONNECT,
                        connectTo(SshTarget.of("root", "127.0.0.1", chatty.getLocalPort())), "127.0.0.1:"
                                + chatty.getLocalPort(), "not an SSH server", "HTTP/1.0 400 Bad Request"),
                fails(g, "unknown user", AuthenticationException.class, Failure.AUTHENTICATION,
                        connectTo(SshTarget.of("no-such-user-x", "127.0.0.1", sshd.port())), "authentication",
                        "no-such-user-x"));
    }

    static Stream<Case> keys() {
        String g = "key";
        PassphraseProvider wrong = location -> Optional.of("wrong passphrase");
        PassphraseProvider none = location -> Optional.empty();
        return Stream.of(
                usage(g, "missing", withKey(keys.resolve("no-such-key")), "identity file", "no-such-key",
                        "does not exist"),
                usage(g, "a directory", withKey(keys.resolve("a-directory")), "a-directory", "not a file"),
                usage(g, "dangling symlink", withKey(keys.resolve("dangling")), "dangling", "does not exist"),
                usage(g, "a fifo (would block a reader)", withKey(keys.resolve("fifo")), "fifo", "not a file"),
                usage(g, "/dev/zero", withKey(Path.of("/dev/zero")), "/dev/zero", "not a file"),
                works(g, "symlink to a good key", withKey(keys.resolve("link-to-good"))),
                illegal(g, "empty file", withKey(keys.resolve("empty")), "keys/empty", "not a usable private key",
                        "empty"),
                illegal(g, "truncated", withKey(keys.resolve("truncated")), "keys/truncated", "truncated"),
                illegal(g, "public key instead of private", withKey(keys.resolve("public-key.pub")), "public-key.pub",
                        "holds a public key"),
                illegal(g, "text file", withKey(keys.resolve("text")), "keys/text", "no private key"),
                illegal(g, "certificate PEM", withKey(keys.resolve("certificate.pem")), "certificate.pem",
                        "not a usable private key"),
                illegal(g, "random bytes", withKey(keys.resolve("binary")), "keys/binary", "not a usable private key"),
                illegal(g, "header only", withKey(keys.resolve("header-only")), "header-only",
                        "not a usable private key"),
                illegal(g, "bad base64", withKey(keys.resolve("bad-base64")), "bad-base64", "not a usable private key"),
                fails(g, "not authorized", AuthenticationException.class, Failure.AUTHENTICATION,
                        withKey(sshd.unauthorizedKey()), "accepted none", "id_other"),
                fails(g, "openssh encrypted, no passphrase provider", AuthenticationException.class,
                        Failure.AUTHENTICATION, withKey(sshd.clientKeyOpenSshEncrypted()), "id_ed25519_enc",
                        "no passphrase"),
                fails(g, "openssh encrypted, provider gives none", AuthenticationException.class,
                        Failure.AUTHENTICATION, withKey(sshd.clientKeyOpenSshEncrypted(), none), "id_ed25519_enc",
                        "gave none"),
                fails(g, "openssh encrypted, wrong passphrase", AuthenticationException.class, Failure.AUTHENTICATION,
                        withKey(sshd.clientKeyOpenSshEncrypted(), wrong), "id_ed25519_enc", "wrong passphrase"),
                fails(g, "PEM encrypted, no passphrase provider", AuthenticationException.class,
                        Failure.AUTHENTICATION, withKey(sshd.clientKeyPemEncrypted()), "id_rsa_pem", "no passphrase"),
                fails(g, "PEM encrypted, wrong passphrase", AuthenticationException.class, Failure.AUTHENTICATION,
                        withKey(sshd.clientKeyPemEncrypted(), wrong), "id_rsa_pem", "wrong passphrase"),
                works(g, "PEM encrypted, right passphrase",
                        withKey(sshd.clientKeyPemEncrypted(), l -> Optional.of(OpenSshServer.KEY_PASSPHRASE))),
                fails(g, "password wrong, no key", AuthenticationException.class, Failure.AUTHENTICATION,
                        () -> openAndClose(echoTunnel(SshOptions.builder().password("not-the-password")
                                .knownHosts(knownHosts).sshConfig(null).useAgent(false)
                                .connectTimeout(Duration.ofSeconds(4)).authTimeout(Duration.ofSeconds(4)).build())
                                .inProcessOnly()), "authentication"));
    }

    static Stream<Case> knownHostsFiles() {
        String g = "known_hosts";
        HostKeyPolicy strict = HostKeyPolicy.STRICT;
        String other = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
        return Stream.of(
                fails(g, "missing file", HostKeyException.class, Failure.HOST_KEY, () -> openAndClose(echoTunnel(
                        options().knownHosts(scratch.resolve("no-such-known-hosts")).build()).inProcessOnly()),
                        "SHA256:"),
                fails(g, "empty file", HostKeyException.class, Failure.HOST_KEY, withKnownHosts("", strict), "SHA256:"),
                fails(g, "only malformed lines", HostKeyException.class, Failure.HOST_KEY,
                        withKnownHosts("garbage\nHOST\nHOST ssh-ed25519\nHOST ssh-ed25519 !!!notbase64\n", strict),
                        "SHA256:"),
                works(g, "malformed lines before a good one",
                        withKnownHosts("garbage\nHOST ssh-ed25519 !!!\n\n# comment\nHOST KEY\n", strict)),
                works(g, "comments and blank lines", withKnownHosts("# hi\n\n   \nHOST KEY # trailing\n", strict)),
                works(g, "several names on the line", withKnownHosts("other,HOST,another KEY\n", strict)),
                works(g, "hashed entry", () -> withKnownHosts(hashed(), strict).run()),
                fails(g, "hashed entry, other key (changed)", HostKeyException.class, Failure.HOST_KEY,
                        () -> withKnownHosts(hashed().replace(hostKey(), other), strict).run(), "changed"),
                fails(g, "hashed entry for another host", HostKeyException.class, Failure.HOST_KEY,
                        () -> withKnownHosts(hashedFor("[127.0.0.2]:" + sshd.port()), strict).run(), "SHA256:"),
                fails(g, "entry for another port only", HostKeyException.class, Failure.HOST_KEY,
                        withKnownHosts("[127.0.0.1]:1 KEY\n", strict), "SHA256:"),
                fails(g, "changed key, strict", HostKeyException.class, Failure.HOST_KEY,
                        withKnownHosts("HOST " + other + "\n", strict), "changed"),
                fails(g, "changed key, accept-new", HostKeyException.class, Failure.HOST_KEY,
                        withKnownHosts("HOST " + other + "\n", HostKeyPolicy.ACCEPT_NEW), "changed"),
                fails(g, "@revoked key, strict", HostKeyException.class, Failure.HOST_KEY,
                        withKnownHosts("@revoked * KEY\nHOST KEY\n", strict), "revoked"),
                fails(g, "@revoked key, accept-new", HostKeyException.class, Failure.HOST_KEY,
                        withKnownHosts("@revoked HOST KEY\n", HostKeyPolicy.ACCEPT_NEW), "revoked"),
                fails(g, "@revoked key, insecure", HostKeyException.class, Failure.HOST_KEY,
                        withKnownHosts("@revoked HOST KEY\n", HostKeyPolicy.INSECURE), "revoked"),
                works(g, "@revoked other key, right key trusted",
                        withKnownHosts("@revoked * " + other + "\nHOST KEY\n", strict)),
                fails(g, "negated pattern excludes the host", HostKeyException.class, Failure.HOST_KEY,
                        withKnownHosts("*,!HOST KEY\n", strict), "SHA256:"),
                works(g, "wildcard pattern", withKnownHosts("[127.0.0.?]:" + sshd.port() + " KEY\n", strict)),
                fails(g, "a directory", HostKeyException.class, Failure.HOST_KEY, () -> openAndClose(echoTunnel(
                        options().knownHosts(Files.createTempDirectory(scratch, "khdir")).build()).inProcessOnly()),
                        "SHA256:"));
    }

    static String hashed() throws IOException {
        return hashedFor("[127.0.0.1]:" + sshd.port());
    }

    /** A known_hosts line for {@code name}, hashed by ssh-keygen -H. */
    static String hashedFor(String name) throws IOException {
        Path f = Files.createTempFile(scratch, "hash", "");
        Files.writeString(f, name + " " + hostKey() + "\n");
        try {
            Process p = new ProcessBuilder("ssh-keygen", "-H", "-f", f.toString()).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            assertEquals(0, p.waitFor());
            String line = Files.readString(f).trim();
            assertTrue(line.startsWith("|1|"), line);
            return line + "\n";
        } catch (InterruptedException e) {
            throw new IOException(e);
        } finally {
            Files.deleteIfExists(f);
            Files.deleteIfExists(Path.of(f + ".old"));
        }
    }

    static Stream<Case> localSockets() throws IOException {
        String g = "local socket";
        Path dir = Files.createDirectory(scratch.resolve("local"));
        Path regular = dir.resolve("regular.sock");
        Files.writeString(regular, "precious user data\n");
        Path link = dir.resolve("link.sock");
        Files.createSymbolicLink(link, regular);
        Path danglingLink = dir.resolve("dangling.sock");
        Files.createSymbolicLink(danglingLink, dir.resolve("nothing-here"));
        Path subdir = Files.createDirectory(dir.resolve("dir.sock"));
        Path fileAsParent = dir.resolve("not-a-dir");
        Files.writeString(fileAsParent, "x");
        Path fifo = dir.resolve("fifo.sock");
        mkfifo(fifo);
        Path stale = dir.resolve("stale.sock");
        String longName = "x".repeat(LocalSocketFile_MAX + 1 - dir.toString().length() - 1);
        return Stream.of(
                usage(g, "too long", localSocket(dir.resolve(longName)), "bytes long", "at most 107"),
                usage(g, "far too long", localSocket(dir.resolve("y".repeat(300))), "bytes long"),
                usage(g, "missing directory", localSocket(dir.resolve("no-such-dir/t.sock")), "no-such-dir",
                        "does not exist"),
                usage(g, "parent is a regular file", localSocket(fileAsParent.resolve("t.sock")), "not-a-dir",
                        "not a directory"),
                usage(g, "a regular file is in the way (kept)", localSocket(regular), "regular.sock", "not a socket",
                        "untouched"),
                usage(g, "a symlink to a file is in the way (kept)", localSocket(link), "link.sock", "not a socket"),
                usage(g, "a dangling symlink is in the way (kept)", localSocket(danglingLink), "dangling.sock",
                        "not a socket"),
                usage(g, "a directory is in the way", localSocket(subdir), "dir.sock", "not a socket"),
                usage(g, "a fifo is in the way (kept)", localSocket(fifo), "fifo.sock", "not a socket"),
                usage(g, "another process's live socket (not stolen)", localSocket(echo.path()), "another process",
                        "listening"),
                usage(g, "our own tunnel's live socket", () -> {
                    Path p = dir.resolve("twice.sock");
                    try (Tunnel first = echoTunnel(options().build()).localSocket(p).open()) {
                        localSocket(p).run();
                    }
                }, "another process", "listening"),
                works(g, "a stale socket nobody listens on is replaced", () -> {
                    ServerSocketChannel old = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                    old.bind(UnixDomainSocketAddress.of(stale));
                    old.close(); // the file stays
                    localSocket(stale).run();
                    assertTrue(!Files.exists(stale, LinkOption.NOFOLLOW_LINKS), "removed on close");
                }),
                usage(g, "TCP port in use", () -> {
                    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                        openAndClose(echoTunnel(options().build()).localTcp(busy.getLocalPort()));
                    }
                }, "cannot listen on 127.0.0.1:"),
                illegal(g, "TCP on a wildcard address", () -> echoTunnel(options().build())
                        .localTcp(InetAddress.getByName("0.0.0.0"), 0), "0.0.0.0", "not a loopback address"),
                illegal(g, "TCP on a LAN address", () -> echoTunnel(options().build())
                        .localTcp(InetAddress.getByName("192.0.2.1"), 0), "192.0.2.1", "not a loopback address"),
                illegal(g, "TCP port -1", () -> echoTunnel(options().build()).localTcp(-1), "-1"),
                illegal(g, "TCP port 65536", () -> echoTunnel(options().build()).localTcp(65536), "65536"));
    }

    /** {@code LocalSocketFile.MAX_PATH_BYTES}. */
    static final int LocalSocketFile_MAX = 107;

    static Stream<Case> remotePaths() throws IOException {
        String g = "remote path";
        Path dir = Files.createDirectory(scratch.resolve("remote"));
        Path file = dir.resolve("file");
        Files.writeString(file, "x");
        Path fifo = dir.resolve("fifo");
        mkfifo(fifo);
        Path stale = dir.resolve("stale.sock");
        ServerSocketChannel old = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        old.bind(UnixDomainSocketAddress.of(stale));
        old.close();
        Class<RemoteUnavailableException> ru = RemoteUnavailableException.class;
        Failure f = Failure.REMOTE_UNAVAILABLE;
        return Stream.of(
                fails(g, "missing socket", ru, f, remote(dir + "/no.sock"), "no.sock", "does not exist"),
                fails(g, "missing directory", ru, f, remote("/no-such-dir-x/docker.sock"), "does not exist"),
                fails(g, "a regular file", ru, f, remote(file.toString()), "not a socket"),
                fails(g, "a directory", ru, f, remote(dir.toString()), "not a socket"),
                fails(g, "a socket nobody listens on", ru, f, remote(stale.toString()), "stale.sock"),
                fails(g, "a fifo", ru, f, remote(fifo.toString()), "not a socket"),
                fails(g, "permission denied (root's 0700 directory, as " + OTHER_USER + ")", ru, f, () -> {
                    requireOtherUser();
                    openAndClose(Tunnel.to(SshTarget.of(OTHER_USER, sshd.host(), sshd.port()),
                            RemoteEndpoint.unixSocket(echo.path().toString())).options(options().build())
                            .inProcessOnly());
                }, "permission denied"),
                illegal(g, "relative path", () -> RemoteEndpoint.unixSocket("var/run/docker.sock"), "absolute"),
                illegal(g, "empty path", () -> RemoteEndpoint.unixSocket(""), "remote socket path"),
                illegal(g, "newline in path", () -> RemoteEndpoint.unixSocket("/tmp/a\nb"), "newline"),
                illegal(g, "NUL in path", () -> RemoteEndpoint.unixSocket("/tmp/a\0b"), "NUL"),
                illegal(g, "tcp port 0", () -> RemoteEndpoint.tcp("localhost", 0), "port 0"),
                illegal(g, "tcp port 65536", () -> RemoteEndpoint.tcp("localhost", 65536), "65536"),
                illegal(g, "tcp empty host", () -> RemoteEndpoint.tcp("", 80), "host is empty"),
                illegal(g, "empty command", () -> RemoteEndpoint.command(" "), "command is empty"),
                fails(g, "tcp port nobody listens on", ru, f, () -> openAndClose(Tunnel.to(sshd.target(),
                        RemoteEndpoint.tcp("127.0.0.1", freePort())).options(options().build()).inProcessOnly()),
                        "127.0.0.1"),
                fails(g, "command that does not exist", ru, f, () -> openAndClose(Tunnel.to(sshd.target(),
                        RemoteEndpoint.command("no-such-command-xyz")).options(options().build()).inProcessOnly()),
                        "no-such-command-xyz"));
    }

    static Stream<Case> optionConflicts() {
        String g = "options";
        return Stream.of(
                illegal(g, "connect timeout zero", () -> SshOptions.builder().connectTimeout(Duration.ZERO),
                        "connect timeout"),
                illegal(g, "auth timeout negative", () -> SshOptions.builder().authTimeout(Duration.ofSeconds(-1)),
                        "auth timeout"),
                illegal(g, "keepalive negative", () -> SshOptions.builder().keepAlive(Duration.ofSeconds(-1), 3),
                        "keepalive interval"),
                illegal(g, "keepalive count 0", () -> SshOptions.builder().keepAlive(Duration.ofSeconds(1), 0),
                        "count max"),
                illegal(g, "no ciphers", () -> SshOptions.builder().ciphers(List.of()), "cipher list is empty"),
                illegal(g, "only unknown ciphers",
                        () -> openAndClose(echoTunnel(options().ciphers(List.of("rot13-cbc")).build()).inProcessOnly()),
                        "rot13-cbc"),
                illegal(g, "drain negative", () -> echoTunnel(options().build()).drainTimeout(Duration.ofSeconds(-1)),
                        "drain timeout"),
                illegal(g, "backlog 0", () -> echoTunnel(options().build()).backlog(0), "backlog"),
                illegal(g, "reply spin over 1 ms", () -> echoTunnel(options().build()).replySpin(Duration.ofMillis(2)),
                        "reply spin", "1 ms", "2000 µs"),
                illegal(g, "reply spin negative", () -> echoTunnel(options().build()).replySpin(Duration.ofNanos(-1)),
                        "reply spin"),
                illegal(g, "options and a shared connector", () -> {
                    try (SshConnector c = SshConnector.create(options().build())) {
                        echoTunnel(options().build()).connector(c);
                    }
                }, "options", "connector"),
                illegal(g, "a shared connector and options", () -> {
                    try (SshConnector c = SshConnector.create(options().build())) {
                        Tunnel.to(sshd.target(), RemoteEndpoint.unixSocket(echo.path().toString())).connector(c)
                                .options(options().build());
                    }
                }, "options", "connector"),
                illegal(g, "policy text unknown", () -> HostKeyPolicy.parse("yes-please"), "yes-please"),
                works(g, "in-process after a socket path: the last choice counts", () -> openAndClose(
                        echoTunnel(options().build()).localSocket(scratch.resolve("never.sock")).inProcessOnly())));
    }

    static void requireOtherUser() throws Exception {
        Process id = new ProcessBuilder("id", "-u", OTHER_USER).redirectErrorStream(true).start();
        id.getInputStream().readAllBytes();
        io.github.sshcontainer.tunnel.testing.Requirements.require(id.waitFor() == 0,
                "no local user " + OTHER_USER + " (.ci/run creates it; see SSHC_NODOCKER_USER)");
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @TestFactory
    Stream<DynamicTest> badInputMatrix() throws IOException {
        List<Case> all = new ArrayList<>();
        Stream.of(targets(), keys(), knownHostsFiles(), localSockets(), remotePaths(), optionConflicts())
                .flatMap(s -> s).forEach(all::add);
        assertTrue(all.size() >= 100, "at least 100 cases: " + all.size());
        return all.stream().map(c -> DynamicTest.dynamicTest(c.group() + ": " + c.name(), () -> check(c)));
    }

    static void check(Case c) throws Exception {
        List<String> before = Snapshot.of(scratch);
        java.util.Set<Thread> threadsBefore = Thread.getAllStackTraces().keySet();
        Throwable thrown = assertTimeoutPreemptively(CASE_TIMEOUT, () -> {
            try {
                c.action().run();
                return null;
            } catch (Throwable t) {
                return t;
            }
        }, c.name() + ": no answer within " + CASE_TIMEOUT.toSeconds() + " s");
        if (c.type() == null) {
            if (thrown != null) {
                throw new AssertionError(c.name() + " must work but failed: " + thrown, thrown);
            }
        } else {
            if (thrown == null) {
                fail(c.name() + ": expected " + c.type().getSimpleName() + " but it worked");
            }
            if (!c.type().isInstance(thrown)) {
                throw new AssertionError(c.name() + ": expected " + c.type().getSimpleName() + " but got " + thrown,
                        thrown);
            }
            if (thrown instanceof SshTunnelException && c.failure() != null) {
                assertEquals(c.failure(), ((SshTunnelException) thrown).failure(), c.name() + ": " + thrown);
            }
            String message = String.valueOf(thrown.getMessage());
            for (String word : c.words()) {
                assertTrue(message.toLowerCase(Locale.ROOT).contains(word.toLowerCase(Locale.ROOT)),
                        c.name() + ": the message should name '" + word + "': " + message);
            }
        }
        List<String> after = Snapshot.of(scratch);
        after.removeIf(line -> line.contains("/kh") || line.contains("/hash")); // the cases' own known_hosts files
        before.removeIf(line -> line.contains("/kh") || line.contains("/hash"));
        assertEquals(before, after, c.name() + ": files in the scratch directory changed");
        TunnelBehaviourIT.awaitTrue(() -> TunnelBehaviourIT.tunnelThreadsSince(threadsBefore).isEmpty(),
                Duration.ofSeconds(3), () -> c.name() + ": threads left: "
                        + TunnelBehaviourIT.tunnelThreadsSince(threadsBefore));
    }

    /** A listing of files (path, type, size, mode, mtime) that changes when any file is touched. */
    static final class Snapshot {
        static List<String> of(Path root) throws IOException {
            List<String> lines = new ArrayList<>();
            try (Stream<Path> walk = Files.walk(root)) {
                walk.sorted().forEach(p -> {
                    try {
                        var a = Files.readAttributes(p, java.nio.file.attribute.PosixFileAttributes.class,
                                LinkOption.NOFOLLOW_LINKS);
                        lines.add(p + " " + (a.isSymbolicLink() ? "link" : a.isDirectory() ? "dir" : a.isOther()
                                ? "other" : "file") + " " + (a.isDirectory() ? "" : a.size()) + " "
                                + PosixFilePermissions.toString(a.permissions()) + " "
                                + (a.isDirectory() ? "" : a.lastModifiedTime()));
                    } catch (IOException e) {
                        lines.add(p + " gone");
                    }
                });
            }
            return lines;
        }
    }
}
