package io.github.sshcontainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.Requirements;
import io.github.sshcontainer.tunnel.testing.UnixEchoServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI's bad-input matrix: {@code ssh-container forward} with bad targets, options, keys, known_hosts, local and
 * remote paths, against a real OpenSSH sshd. Each case checks the exit code (2 usage, 3 authentication, 4 host key,
 * 5 connect, 6 remote unavailable), that stderr names the problem in one line, that nothing reaches stdout, that
 * the scratch directory is unchanged, and that it ends within a bound.
 *
 * <p>Most cases run {@link Main#run} in this JVM (fast); the ones about file permissions run the real jar as a
 * second, unprivileged user ({@code SSHC_NODOCKER_USER}), since this JVM runs as root in CI.
 */
class BadInputCliIT {
    static final Duration CASE_TIMEOUT = Duration.ofSeconds(30);
    static final String OTHER_USER = System.getenv().getOrDefault("SSHC_NODOCKER_USER", "sshc-nodocker");

    static OpenSshServer sshd;
    static UnixEchoServer echo;
    @TempDir
    static Path tmp;
    static Path scratch;
    static Path knownHosts;

    @BeforeAll
    static void start() throws IOException {
        Path publicKeys = tmp.resolve("authorized_keys_any_user");
        sshd = OpenSshServer.startOrSkip(OpenSshServer.builder().extraConfig("Match User " + OTHER_USER)
                .extraConfig("AuthorizedKeysFile " + publicKeys));
        Files.copy(sshd.dir().resolve("authorized_keys"), publicKeys);
        Files.setPosixFilePermissions(publicKeys, PosixFilePermissions.fromString("rw-r--r--"));
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        echo = UnixEchoServer.start();
        scratch = Files.createDirectory(tmp.resolve("s"));
        Files.setPosixFilePermissions(scratch, PosixFilePermissions.fromString("rwxr-xr-x"));
        knownHosts = scratch.resolve("known_hosts");
        sshd.writeKnownHosts(knownHosts);
        Files.writeString(scratch.resolve("regular.sock"), "precious\n");
        Files.createDirectory(scratch.resolve("dir"));
        byte[] key = Files.readAllBytes(sshd.clientKey());
        Files.write(scratch.resolve("truncated_key"), Arrays.copyOf(key, key.length / 2));
        Files.copy(Path.of(sshd.clientKey() + ".pub"), scratch.resolve("key.pub"));
        String[] hk = sshd.hostKeyPublicLine().split("\\s+");
        String host = "[127.0.0.1]:" + sshd.port();
        Files.writeString(scratch.resolve("kh_changed"),
                host + " ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n");
        Files.writeString(scratch.resolve("kh_revoked"), "@revoked * " + hk[0] + " " + hk[1] + "\n" + host + " " + hk[0]
                + " " + hk[1] + "\n");
        Files.writeString(scratch.resolve("kh_empty"), "");
        Files.writeString(scratch.resolve("kh_garbage"), "garbage line\n[127.0.0.1]:1\n");
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

    /** One command line and what must come of it. */
    record Case(String name, List<String> args, int exit, List<String> words, boolean asOtherUser) {
    }

    static Case usage(String name, List<String> args, String... words) {
        return new Case(name, args, 2, List.of(words), false);
    }

    static Case exit(int code, String name, List<String> args, String... words) {
        return new Case(name, args, code, List.of(words), false);
    }

    /** {@code forward} with a working key, known_hosts, remote socket and target, then {@code changes}. */
    static List<String> forward(String... changes) {
        List<String> args = new ArrayList<>(List.of("forward", "--remote-socket", echo.path().toString(), "-i",
                sshd.clientKey().toString(), "--known-hosts", knownHosts.toString(), "--ssh-config", "none", "--no-agent",
                "--connect-timeout", "4", "-p", String.valueOf(sshd.port())));
        String target = sshd.user() + "@127.0.0.1";
        for (int i = 0; i < changes.length; i += 2) {
            String option = changes[i];
            String value = changes[i + 1];
            if (option.equals("TARGET")) {
                target = value;
                continue;
            }
            int at = args.indexOf(option);
            if (value == null) {
                args.remove(at + 1);
                args.remove(at);
            } else if (at >= 0 && !option.equals("--local-socket") && !option.equals("--local-tcp")) {
                args.set(at + 1, value);
            } else {
                args.add(option);
                args.add(value);
            }
        }
        args.add(target);
        return args;
    }

    static List<String> args(String... a) {
        return List.of(a);
    }

    static Stream<Case> cases() throws IOException {
        String s = scratch.toString();
        String longPath = s + "/" + "l".repeat(120);
        int busy = busyPort.getLocalPort();
        return Stream.of(
                // syntax: no server needed
                usage("no command", args(), "command is required"),
                usage("forward without target", args("forward"), "TARGET"),
                usage("unknown option", forward("--bogus", "x"), "--bogus"),
                usage("port not a number", forward("-p", "abc"), "abc"),
                usage("port 0", forward("-p", "0"), "port 0"),
                usage("port 70000", forward("-p", "70000"), "70000"),
                usage("connect timeout 0", forward("--connect-timeout", "0"), "--connect-timeout"),
                usage("connect timeout not a number", forward("--connect-timeout", "soon"), "soon"),
                usage("unknown host key policy", forward("--host-key-policy", "sometimes"), "sometimes"),
                usage("local tcp port 99999", forward("--local-tcp", "99999"), "99999"),
                usage("local tcp port -1", forward("--local-tcp", "-1"), "-1"),
                usage("local socket and local tcp", forward("--local-socket", s + "/a.sock", "--local-tcp", "0"),
                        "mutually exclusive"),
                usage("remote socket and runtime", forward("--runtime", "docker"), "mutually exclusive"),
                usage("relative remote socket", forward("--remote-socket", "var/run/docker.sock"), "absolute"),
                usage("unknown runtime", args("forward", "--runtime", "nosuch", "host"), "nosuch"),
                usage("empty target", forward("TARGET", ""), "target is empty"),
                usage("target without host", forward("TARGET", "deploy@"), "host is empty"),
                usage("target with another scheme", forward("TARGET", "http://h"), "ssh://"),
                // picocli takes it for an (unknown) option: never a host name, never passed on
                usage("target that looks like an option", forward("TARGET", "-oProxyCommand=touch"), "TARGET"),
                usage("target bad IPv6", forward("TARGET", "[fe80::zz]"), "IPv6"),
                usage("two targets", append(forward(), "second-host"), "second-host"),
                usage("login name with shell characters", forward("-l", "a;b"), "a;b"),
                // keys
                usage("key missing", forward("-i", s + "/no_such_key"), "no_such_key", "does not exist"),
                usage("key is a directory", forward("-i", s + "/dir"), "dir", "not a file"),
                usage("key is a public key", forward("-i", s + "/key.pub"), "key.pub", "public key"),
                usage("key truncated", forward("-i", s + "/truncated_key"), "truncated_key", "truncated"),
                exit(3, "key not authorized", forward("-i", sshd.unauthorizedKey().toString()), "authentication",
                        "id_other"),
                exit(3, "encrypted key and no terminal", forward("-i", sshd.clientKeyOpenSshEncrypted().toString()),
                        "id_ed25519_enc", "passphrase"),
                // known_hosts
                exit(4, "known_hosts empty", forward("--known-hosts", s + "/kh_empty"), "SHA256:"),
                exit(4, "known_hosts missing", forward("--known-hosts", s + "/no_such_kh"), "SHA256:"),
                exit(4, "known_hosts malformed only", forward("--known-hosts", s + "/kh_garbage"), "SHA256:"),
                exit(4, "host key changed", forward("--known-hosts", s + "/kh_changed"), "changed"),
                exit(4, "host key changed, accept-new", forward("--known-hosts", s + "/kh_changed",
                        "--host-key-policy", "accept-new"), "changed"),
                exit(4, "host key revoked", forward("--known-hosts", s + "/kh_revoked"), "revoked"),
                // reaching the server
                exit(5, "connection refused", forward("-p", String.valueOf(freePort())), "connection refused"),
                exit(5, "unknown host name", forward("TARGET", "root@no-such-host.invalid"), "no-such-host.invalid"),
                // remote paths
                exit(6, "remote socket missing", forward("--remote-socket", s + "/no.sock"), "does not exist"),
                exit(6, "remote path is a directory", forward("--remote-socket", s + "/dir"), "not a socket"),
                exit(6, "remote path is a file", forward("--remote-socket", s + "/regular.sock"), "not a socket"),
                exit(6, "remote socket permission denied", forward("-l", OTHER_USER), "permission denied"),
                // local paths
                usage("local socket path is a regular file (kept)", forward("--local-socket", s + "/regular.sock"),
                        "regular.sock", "not a socket"),
                usage("local socket path is another process's socket", forward("--local-socket",
                        echo.path().toString()), "another process"),
                usage("local socket path too long", forward("--local-socket", longPath), "bytes long"),
                usage("local socket directory missing", forward("--local-socket", s + "/nodir/x.sock"), "nodir",
                        "does not exist"),
                usage("local tcp port in use", forward("--local-tcp", String.valueOf(busy)), "cannot listen"),
                // as a second user: permissions that root does not have to respect
                new Case("key not readable (as " + OTHER_USER + ")", forward("-i", s + "/root_only_key"), 2,
                        List.of("root_only_key", "not readable"), true),
                new Case("local socket directory not writable (as " + OTHER_USER + ")",
                        forward("--local-socket", s + "/dir/x.sock", "-i", s + "/other_key"), 2,
                        List.of("no write permission", s + "/dir"), true));
    }

    static ServerSocket busyPort;

    static List<String> append(List<String> args, String more) {
        List<String> a = new ArrayList<>(args);
        a.add(more);
        return a;
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @TestFactory
    Stream<DynamicTest> cliBadInputMatrix() throws IOException {
        busyPort = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        List<Case> all = cases().toList();
        return Stream.concat(all.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c))),
                Stream.of(DynamicTest.dynamicTest("(close the busy port)", () -> busyPort.close())));
    }

    static void check(Case c) throws Exception {
        List<String> before = snapshot(scratch);
        String[] result = assertTimeoutPreemptively(CASE_TIMEOUT, () -> c.asOtherUser() ? runAsOtherUser(c.args())
                : runInProcess(c.args()), c.name() + ": no answer within " + CASE_TIMEOUT.toSeconds() + " s");
        String err = result[2];
        assertEquals(String.valueOf(c.exit()), result[0], c.name() + ": exit code; stderr: " + err);
        assertEquals("", result[1], c.name() + ": nothing on stdout when failing");
        assertTrue(err.startsWith("ssh-container: "), c.name() + ": " + err);
        for (String word : c.words()) {
            assertTrue(err.toLowerCase(Locale.ROOT).contains(word.toLowerCase(Locale.ROOT)),
                    c.name() + ": stderr should name '" + word + "': " + err);
        }
        assertEquals(before, snapshot(scratch), c.name() + ": files in the scratch directory changed");
    }

    /** exit code, stdout, stderr of {@link Main#run}. */
    static String[] runInProcess(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));
        return new String[] {String.valueOf(code), out.toString(), err.toString()};
    }

    /**
     * Runs the real jar as {@link #OTHER_USER} (setpriv): a copy of the jar it may read, a key of its own
     * ({@code other_key}), and a root-only key ({@code root_only_key}). The known_hosts file is world-readable.
     */
    static String[] runAsOtherUser(List<String> args) throws Exception {
        String jar = System.getProperty("cli.jar");
        Requirements.require(jar != null && Files.isRegularFile(Paths.get(jar)), "the CLI jar is built by `mvn package`: "
                + jar);
        Requirements.require(Files.isExecutable(Path.of("/usr/bin/setpriv")), "setpriv (util-linux) is needed");
        Process id = new ProcessBuilder("id", "-u", OTHER_USER).start();
        id.getInputStream().readAllBytes();
        Requirements.require(id.waitFor() == 0, "no local user " + OTHER_USER + " (.ci/run creates it)");
        Path jarCopy = tmp.resolve("ssh-container.jar");
        if (!Files.exists(jarCopy)) {
            Files.copy(Path.of(jar), jarCopy);
            Files.setPosixFilePermissions(jarCopy, PosixFilePermissions.fromString("rw-r--r--"));
            UserPrincipal other = tmp.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(OTHER_USER);
            Path own = scratch.resolve("other_key");
            Files.copy(sshd.clientKey(), own);
            Files.setOwner(own, other);
            Path rootOnly = scratch.resolve("root_only_key");
            Files.copy(sshd.clientKey(), rootOnly);
            Files.setPosixFilePermissions(rootOnly, PosixFilePermissions.fromString("rw-------"));
        }
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/setpriv", "--reuid=" + OTHER_USER, "--regid=" + OTHER_USER,
                "--init-groups", "--reset-env", Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jarCopy.toString()));
        List<String> a = new ArrayList<>(args);
        // log in as root still: the client runs as the other user, the server account stays the same
        a.add(a.size() - 1, "-l");
        a.add(a.size() - 1, sshd.user());
        cmd.addAll(a);
        Process p = new ProcessBuilder(cmd).directory(tmp.toFile()).start();
        p.getOutputStream().close();
        assertTrue(p.waitFor(CASE_TIMEOUT.toSeconds(), TimeUnit.SECONDS), "no hang");
        return new String[] {String.valueOf(p.exitValue()),
            new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
            new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)};
    }

    static List<String> snapshot(Path root) throws IOException {
        List<String> lines = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted().forEach(p -> {
                try {
                    PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    lines.add(p + " " + a.isDirectory() + " " + (a.isDirectory() ? "" : a.size() + " "
                            + a.lastModifiedTime()) + " " + PosixFilePermissions.toString(a.permissions()));
                } catch (IOException e) {
                    lines.add(p + " gone");
                }
            });
        }
        // the other-user keys are created by the first case that needs them
        lines.removeIf(l -> l.contains("/other_key") || l.contains("/root_only_key"));
        return lines;
    }
}
