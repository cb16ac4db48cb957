package io.github.sshcontainer.benchmarks;

import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An OpenSSH {@code sshd} on a free port of 127.0.0.1 with a generated configuration, in the foreground as a child
 * of this JVM. All instances of one run share the keys in a {@link Keys} directory (one host key, one client key).
 */
final class Sshd implements AutoCloseable {
    static final String SSHD = "/usr/sbin/sshd";
    static final String HOST = "127.0.0.1";

    private final Keys keys;
    private final int port;
    private final Process process;

    private Sshd(Keys keys, int port, Process process) {
        this.keys = keys;
        this.port = port;
        this.process = process;
    }

    static boolean available() {
        return Files.isExecutable(Path.of(SSHD)) && Files.isExecutable(Path.of("/usr/bin/ssh-keygen"))
                && Files.isExecutable(Path.of("/usr/bin/ssh"));
    }

    /** Starts one sshd; retries on another port if the chosen one was taken meanwhile. */
    static Sshd start(Keys keys, String name) throws IOException {
        try {
            Files.createDirectories(Path.of("/run/sshd")); // sshd's privilege separation directory
        } catch (IOException e) {
            // not root: sshd may still start (it only needs the directory when run as root)
        }
        IOException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            try {
                return startOn(keys, name, freePort());
            } catch (IOException e) {
                last = e;
            }
        }
        throw last;
    }

    /** Starts one sshd on {@code port} (e.g. the port of one that was killed), with the same keys. */
    static Sshd startOn(Keys keys, String name, int port) throws IOException {
        Path config = keys.dir().resolve("sshd_config-" + name);
        Files.writeString(config, String.join("\n", List.of(
                "Port " + port,
                "ListenAddress " + HOST,
                "HostKey " + keys.hostKey(),
                "AuthorizedKeysFile " + keys.authorizedKeys(),
                "PidFile none",
                "StrictModes no",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "UsePAM no",
                "PermitRootLogin yes",
                "AllowStreamLocalForwarding yes",
                "AllowTcpForwarding yes",
                "UseDNS no",
                "MaxStartups 200",
                "LogLevel ERROR")) + "\n", StandardCharsets.UTF_8);
        Process p = new ProcessBuilder(SSHD, "-D", "-e", "-f", config.toString())
                .redirectErrorStream(true)
                .redirectOutput(Redirect.appendTo(keys.dir().resolve("sshd-" + name + ".log").toFile()))
                .redirectInput(Redirect.from(new java.io.File("/dev/null")))
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (p.isAlive() && System.nanoTime() < deadline && !accepts(port)) {
            sleep(5);
        }
        if (p.isAlive() && accepts(port)) {
            return new Sshd(keys, port, p);
        }
        p.destroyForcibly();
        throw new IOException("sshd " + name + " did not listen on port " + port + "; see "
                + keys.dir().resolve("sshd-" + name + ".log"));
    }

    /** The listener and every process it forked (one per connection), for CPU accounting. */
    java.util.stream.Stream<ProcessHandle> processes() {
        return java.util.stream.Stream.concat(java.util.stream.Stream.of(process.toHandle()), process.descendants());
    }

    int port() {
        return port;
    }

    Keys keys() {
        return keys;
    }

    /** Kills the listener and the per-connection processes it forked. */
    @Override
    public void close() {
        List<ProcessHandle> children = process.descendants().collect(java.util.stream.Collectors.toList());
        process.destroy();
        children.forEach(ProcessHandle::destroy);
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process.destroyForcibly();
    }

    /**
     * SIGKILL to the listener and to every process it forked (the per-connection sshd processes): a crash, not a
     * shutdown. Waits until the listener is gone.
     */
    void kill() {
        List<ProcessHandle> children = process.descendants().collect(java.util.stream.Collectors.toList());
        process.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return s.getLocalPort();
        }
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(HOST, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Host and client keys (ed25519), authorized_keys and a known_hosts file, in a private directory. */
    static final class Keys {
        private final Path dir;

        private Keys(Path dir) {
            this.dir = dir;
        }

        static Keys generate(Path dir) throws IOException {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            Keys k = new Keys(dir);
            keygen(k.hostKey());
            keygen(k.clientKey());
            Files.copy(Path.of(k.clientKey() + ".pub"), k.authorizedKeys());
            return k;
        }

        Path dir() {
            return dir;
        }

        Path hostKey() {
            return dir.resolve("host_ed25519");
        }

        Path clientKey() {
            return dir.resolve("id_ed25519");
        }

        Path authorizedKeys() {
            return dir.resolve("authorized_keys");
        }

        /** A known_hosts file trusting the host key on each of {@code ports} (written anew). */
        Path knownHosts(String name, int... ports) throws IOException {
            String[] key = Files.readString(Path.of(hostKey() + ".pub")).trim().split("\\s+");
            StringBuilder s = new StringBuilder();
            for (int p : ports) {
                s.append("[").append(HOST).append("]:").append(p).append(' ').append(key[0]).append(' ')
                        .append(key[1]).append('\n');
            }
            Path file = dir.resolve("known_hosts-" + name);
            Files.writeString(file, s);
            return file;
        }

        private static void keygen(Path file) throws IOException {
            Process p = new ProcessBuilder("/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bench",
                    "-f", file.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            try {
                if (p.waitFor() != 0) {
                    throw new IOException("ssh-keygen failed: " + out);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }
    }
}
