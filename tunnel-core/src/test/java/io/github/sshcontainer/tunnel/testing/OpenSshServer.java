package io.github.sshcontainer.tunnel.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.SshTarget;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real OpenSSH {@code sshd} for integration tests, listening on a free port of 127.0.0.1, with its own host
 * key, client keys and configuration in a private temp dir (see {@link #dir()}).
 *
 * <pre>{@code
 * try (OpenSshServer sshd = OpenSshServer.startOrSkip(OpenSshServer.builder())) {
 *     sshd.writeKnownHosts(knownHosts);
 *     // connect to sshd.host():sshd.port() as sshd.user() with sshd.clientKey()
 * }
 * }</pre>
 *
 * <p>The server runs in the foreground ({@code sshd -D -e}) as a child of this JVM and logs (level VERBOSE) to
 * {@code DIR/sshd.log} ({@link #log()}). The client keys: {@link #clientKey()} (ed25519, no passphrase),
 * {@link #clientKeyPemEncrypted()} (RSA 2048, PEM, {@link #KEY_PASSPHRASE}), {@link #clientKeyOpenSshEncrypted()}
 * (ed25519, OpenSSH format, {@link #KEY_PASSPHRASE}) are authorized; {@link #unauthorizedKey()} is not. No
 * {@code Subsystem} (sftp) is configured: add one with {@link Builder#extraConfig(String)} if a test needs it.
 *
 * <p>{@link #kill()} simulates a crash (SIGKILL to the listener and to every per-connection sshd it forked),
 * {@link #restart()} brings the server back on the same port with the same keys, {@link #close()} kills it and
 * deletes the directory. Everything a test leaves running is also killed when the JVM exits.
 */
public final class OpenSshServer implements AutoCloseable {

    /** The passphrase of {@link #clientKeyPemEncrypted()} and {@link #clientKeyOpenSshEncrypted()}. */
    public static final String KEY_PASSPHRASE = "correct horse";

    /** Where the fixture expects the OpenSSH server. */
    public static final String SSHD = "/usr/sbin/sshd";

    private static final Logger LOG = LoggerFactory.getLogger(OpenSshServer.class);
    private static final String HOST = "127.0.0.1";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration RESTART_BIND_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);
    private static final int START_ATTEMPTS = 3;
    private static final int LOG_TAIL_LINES = 40;
    private static final File DEV_NULL = new File("/dev/null");
    private static final String KEY_COMMENT = "ssh-container-test";
    /** Lines of sshd_config the fixture itself depends on; {@link Builder#extraConfig} cannot replace them. */
    private static final Set<String> ESSENTIAL_KEYWORDS =
            Set.of("port", "listenaddress", "hostkey", "hostcertificate", "pidfile", "authorizedkeysfile");

    private final boolean allowStreamLocalForwarding;
    private final boolean passwordAuthentication;
    private final List<String> extraConfig;
    private final Path hostCa;
    private final List<String> hostPrincipals;
    private final Path dir;
    private final Path config;
    private final Path logFile;
    private final Thread shutdownHook;
    private int port;
    private Process process;
    private boolean closed;

    private OpenSshServer(Builder builder) throws IOException {
        this.allowStreamLocalForwarding = builder.allowStreamLocalForwarding;
        this.passwordAuthentication = builder.passwordAuthentication;
        this.extraConfig = List.copyOf(builder.extraConfig);
        this.hostCa = builder.hostCa;
        this.hostPrincipals = List.copyOf(builder.hostPrincipals);
        this.dir = TestDirs.createPrivate("sshd-");
        this.config = dir.resolve("sshd_config");
        this.logFile = dir.resolve("sshd.log");
        this.shutdownHook = new Thread(this::killOnExit, "OpenSshServer-shutdown-" + dir.getFileName());
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** A builder with the defaults: stream-local forwarding allowed, password authentication off. */
    public static Builder builder() {
        return new Builder();
    }

    /** Whether {@code /usr/sbin/sshd} and {@code ssh-keygen} are installed. */
    public static boolean available() {
        Path sshd = Path.of(SSHD);
        return Files.isRegularFile(sshd) && Files.isExecutable(sshd) && sshKeygen() != null;
    }

    /**
     * Starts {@code builder}'s server, or skips the calling test (fails it under {@code CI=true}, see
     * {@link Requirements}) when OpenSSH is not installed.
     */
    public static OpenSshServer startOrSkip(Builder builder) {
        Requirements.require(available(),
                "OpenSSH sshd not installed at /usr/sbin/sshd (apt-get install openssh-server; .ci/run does it)");
        return builder.start();
    }

    /** The address the server listens on: {@code 127.0.0.1}. */
    public String host() {
        return HOST;
    }

    /** The TCP port the server listens on; the same across {@link #restart()}. */
    public synchronized int port() {
        return port;
    }

    /** The private (0700) directory holding the keys, configuration and log. Deleted by {@link #close()}. */
    public Path dir() {
        return dir;
    }

    /** The user to log in as: this JVM's user ({@code user.name}), whose login the server accepts. */
    public String user() {
        return System.getProperty("user.name");
    }

    /** The server's public host key, as in {@code host_ed25519.pub}: {@code ssh-ed25519 AAAA... comment}. */
    public String hostKeyPublicLine() {
        try {
            return Files.readString(dir.resolve("host_ed25519.pub"), StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes (replacing) {@code file} as a known_hosts file holding this server's host key for
     * {@code [127.0.0.1]:PORT}, the name OpenSSH looks up for a port other than 22.
     */
    public void writeKnownHosts(Path file) {
        String[] key = hostKeyPublicLine().split("\\s+");
        int p = port();
        String name = p == 22 ? HOST : "[" + HOST + "]:" + p;
        try {
            Files.writeString(file, name + " " + key[0] + " " + key[1] + "\n", StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Client options that trust this server and log in with {@link #clientKey()}: writes {@code knownHosts}, reads
     * no ssh_config, uses no agent, 5 s connect timeout. Tests adjust the builder further where they need to.
     */
    public SshOptions.Builder clientOptions(Path knownHosts) {
        writeKnownHosts(knownHosts);
        return SshOptions.builder().identity(clientKey()).knownHosts(knownHosts).sshConfig(null).useAgent(false)
                .connectTimeout(Duration.ofSeconds(5));
    }

    /** {@code ssh://USER@127.0.0.1:PORT}, the user being {@link #user()}. */
    public SshTarget target() {
        return SshTarget.of(user(), host(), port());
    }

    /** An authorized ed25519 private key (OpenSSH format) without passphrase. */
    public Path clientKey() {
        return dir.resolve("id_ed25519");
    }

    /** An authorized RSA 2048 private key in the PEM (PKCS#1) format, encrypted with {@link #KEY_PASSPHRASE}. */
    public Path clientKeyPemEncrypted() {
        return dir.resolve("id_rsa_pem");
    }

    /** An authorized ed25519 private key in the OpenSSH format, encrypted with {@link #KEY_PASSPHRASE}. */
    public Path clientKeyOpenSshEncrypted() {
        return dir.resolve("id_ed25519_enc");
    }

    /** An ed25519 private key without passphrase that is NOT in authorized_keys. */
    public Path unauthorizedKey() {
        return dir.resolve("id_other");
    }

    /** The sshd_config file the server runs with. */
    public Path configFile() {
        return config;
    }

    /** Everything the server (and its per-connection processes) logged so far; empty if nothing. */
    public String log() {
        try {
            return new String(Files.readAllBytes(logFile), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** Whether the listening sshd is running (false after {@link #kill()} until {@link #restart()}). */
    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /**
     * Kills the server as a crash would: SIGKILL to the listening sshd and to every process it forked (the
     * per-connection sshd processes and their sessions), so that established connections drop too. Waits until
     * they are gone. Does nothing if the server is not running.
     */
    public synchronized void kill() {
        if (process == null) {
            return;
        }
        Process listener = process;
        process = null;
        // the children must be found before the listener dies: then they are re-parented and out of reach
        List<ProcessHandle> children = listener.descendants().collect(Collectors.toList());
        listener.destroyForcibly();
        try {
            if (!listener.waitFor(KILL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("sshd (pid {}) did not exit after SIGKILL", listener.pid());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Set<ProcessHandle> victims = new LinkedHashSet<>();
        for (ProcessHandle child : children) {
            child.descendants().forEach(victims::add); // forked after the snapshot by a still living child
            victims.add(child);
        }
        for (ProcessHandle victim : victims) {
            victim.destroyForcibly();
        }
        awaitDeath(victims);
        LOG.debug("sshd on port {} killed ({} child processes)", port, victims.size());
    }

    /**
     * Starts the server again (killing it first if it runs) on the same port, with the same keys and
     * configuration. Retries for up to 5 s while the port cannot be bound.
     *
     * @throws IllegalStateException if the server does not come up, or after {@link #close()}
     */
    public synchronized void restart() {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        kill();
        long deadline = System.nanoTime() + RESTART_BIND_TIMEOUT.toNanos();
        while (true) {
            Launch launch = launch();
            if (launch == Launch.STARTED) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("sshd cannot bind 127.0.0.1:" + port + " again\n" + logTail());
            }
            sleep(100);
        }
    }

    /** Kills the server and everything it forked, and deletes {@link #dir()}. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        kill();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs anyway
        }
        try {
            TestDirs.deleteRecursively(dir);
        } catch (IOException e) {
            LOG.warn("cannot delete {}", dir, e);
        }
    }

    @Override
    public String toString() {
        return "OpenSshServer[" + HOST + ":" + port + ", " + dir + "]";
    }

    // ------------------------------------------------------------------------------------------------ start

    private void start() {
        try {
            generateKeys();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot generate the keys in " + dir, e);
        }
        createPrivilegeSeparationDir();
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            port = freePort();
            writeConfig();
            if (launch() == Launch.STARTED) {
                return;
            }
            LOG.debug("port {} was taken before sshd could bind it; trying another", port);
        }
        throw new IllegalStateException("sshd could not bind a free port in " + START_ATTEMPTS + " attempts\n"
                + logTail());
    }

    private enum Launch { STARTED, PORT_IN_USE }

    /**
     * Starts sshd and waits until it listens. Returns {@link Launch#PORT_IN_USE} if it exited because the port
     * is taken; throws if it exited for any other reason or did not come up in time.
     */
    private Launch launch() {
        long logOffset = logSize();
        Process started;
        try {
            started = new ProcessBuilder(SSHD, "-D", "-e", "-f", config.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(Redirect.appendTo(logFile.toFile()))
                    .redirectInput(Redirect.from(DEV_NULL))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + SSHD, e);
        }
        String listening = "Server listening on " + HOST + " port " + port;
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (true) {
            String newLog = logSince(logOffset);
            if (!started.isAlive()) {
                newLog = logSince(logOffset);
                if (newLog.contains("Address already in use") || newLog.contains("Cannot bind any address")) {
                    return Launch.PORT_IN_USE;
                }
                throw new IllegalStateException("sshd exited with code " + started.exitValue()
                        + " before listening on " + HOST + ":" + port + "\n" + logTail());
            }
            if (newLog.contains(listening) && accepts(port)) {
                process = started;
                LOG.debug("sshd (pid {}) listening on {}:{}, dir {}", started.pid(), HOST, port, dir);
                return Launch.STARTED;
            }
            if (System.nanoTime() - deadline > 0) {
                process = started;
                kill();
                throw new IllegalStateException("sshd did not listen on " + HOST + ":" + port + " within "
                        + START_TIMEOUT.toSeconds() + " s\n" + logTail());
            }
            sleep(25);
        }
    }

    private void generateKeys() throws IOException {
        keygen("-t", "ed25519", "-N", "", "-f", dir.resolve("host_ed25519").toString());
        keygen("-t", "ed25519", "-N", "", "-f", clientKey().toString());
        keygen("-t", "rsa", "-b", "2048", "-m", "PEM", "-N", KEY_PASSPHRASE, "-f",
                clientKeyPemEncrypted().toString());
        keygen("-t", "ed25519", "-N", KEY_PASSPHRASE, "-f", clientKeyOpenSshEncrypted().toString());
        keygen("-t", "ed25519", "-N", "", "-f", unauthorizedKey().toString());
        StringBuilder authorized = new StringBuilder();
        for (Path key : List.of(clientKey(), clientKeyPemEncrypted(), clientKeyOpenSshEncrypted())) {
            authorized.append(Files.readString(Path.of(key + ".pub"), StandardCharsets.US_ASCII).trim())
                    .append('\n');
        }
        Path authorizedKeys = dir.resolve("authorized_keys");
        Files.writeString(authorizedKeys, authorized, StandardCharsets.US_ASCII);
        setPermissions(authorizedKeys, "rw-------");
        if (hostCa != null) {
            // writes host_ed25519-cert.pub next to the host key
            keygen("-s", hostCa.toString(), "-I", "ssh-container-test-host", "-h", "-n",
                    String.join(",", hostPrincipals), "-V", "-5m:+1h", dir.resolve("host_ed25519.pub").toString());
        }
    }

    /** The host certificate ({@code host_ed25519-cert.pub}) when the builder asked for one, else null. */
    public Path hostCertificate() {
        return hostCa == null ? null : dir.resolve("host_ed25519-cert.pub");
    }

    private static void keygen(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(sshKeygen());
        command.add("-q");
        command.add("-C");
        command.add(KEY_COMMENT);
        command.addAll(Arrays.asList(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(Redirect.from(DEV_NULL)).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("ssh-keygen timed out: " + command);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (p.exitValue() != 0) {
            throw new IOException("ssh-keygen failed (" + p.exitValue() + "): " + command + "\n" + output);
        }
    }

    private void writeConfig() {
        List<String> defaults = List.of(
                "Port " + port,
                "ListenAddress " + HOST,
                "HostKey " + dir.resolve("host_ed25519"),
                hostCa == null ? "" : "HostCertificate " + dir.resolve("host_ed25519-cert.pub"),
                "AuthorizedKeysFile " + dir.resolve("authorized_keys"),
                "PidFile " + dir.resolve("sshd.pid"),
                "StrictModes no",
                "PasswordAuthentication " + yesNo(passwordAuthentication),
                "KbdInteractiveAuthentication no",
                "UsePAM no",
                "PermitRootLogin yes",
                "AllowStreamLocalForwarding " + yesNo(allowStreamLocalForwarding),
                "AllowTcpForwarding yes",
                "AllowAgentForwarding no",
                "LogLevel VERBOSE");
        // sshd keeps the FIRST value of a keyword, so an extra line (outside a Match block) replaces a default
        Set<String> overridden = new LinkedHashSet<>();
        for (String line : extraConfig) {
            String keyword = keyword(line);
            if (keyword.equals("match")) {
                break;
            }
            overridden.add(keyword);
        }
        StringBuilder text = new StringBuilder("# written by ").append(OpenSshServer.class.getName()).append('\n');
        for (String line : defaults) {
            if (line.isEmpty()) {
                continue;
            }
            String keyword = keyword(line);
            if (!overridden.contains(keyword) || ESSENTIAL_KEYWORDS.contains(keyword)) {
                text.append(line).append('\n');
            }
        }
        for (String line : extraConfig) {
            text.append(line).append('\n');
        }
        try {
            Files.writeString(config, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String keyword(String line) {
        String trimmed = line.trim();
        int end = 0;
        while (end < trimmed.length() && !Character.isWhitespace(trimmed.charAt(end)) && trimmed.charAt(end) != '=') {
            end++;
        }
        return trimmed.substring(0, end).toLowerCase(Locale.ROOT);
    }

    private static String yesNo(boolean b) {
        return b ? "yes" : "no";
    }

    /** sshd refuses to start without its privilege separation directory; create it when we may. */
    private static void createPrivilegeSeparationDir() {
        Path privsep = Path.of("/run/sshd");
        if (Files.isDirectory(privsep)) {
            return;
        }
        try {
            Files.createDirectories(privsep);
            setPermissions(privsep, "rwxr-xr-x");
            LOG.debug("created {}", privsep);
        } catch (IOException | SecurityException e) {
            LOG.debug("cannot create {} ({}); sshd may refuse to start", privsep, e.toString());
        }
    }

    // ---------------------------------------------------------------------------------------------- helpers

    private static String sshKeygen() {
        List<Path> candidates = new ArrayList<>();
        candidates.add(Path.of("/usr/bin/ssh-keygen"));
        String path = System.getenv("PATH");
        if (path != null) {
            for (String entry : path.split(File.pathSeparator)) {
                if (!entry.isEmpty()) {
                    candidates.add(Path.of(entry, "ssh-keygen"));
                }
            }
        }
        for (Path candidate : candidates) {
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on " + HOST, e);
        }
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(HOST, port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void setPermissions(Path path, String permissions) {
        try {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions));
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("cannot chmod {}: {}", path, e.toString());
        }
    }

    /**
     * Waits until every process is dead. Not {@code ProcessHandle.onExit()}: for processes that are not our
     * children it polls with sleeps of 300 ms and more, and it waits for the zombie to be reaped (by PID 1,
     * as they were re-parented), which is not our business: a zombie holds no sockets any more.
     */
    private static void awaitDeath(Collection<ProcessHandle> handles) {
        long deadline = System.nanoTime() + KILL_TIMEOUT.toNanos();
        List<ProcessHandle> living = new ArrayList<>(handles);
        while (true) {
            living.removeIf(OpenSshServer::dead);
            if (living.isEmpty()) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                LOG.warn("processes {} did not die after SIGKILL",
                        living.stream().map(ProcessHandle::pid).collect(Collectors.toList()));
                return;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Whether the process has exited: gone, or a zombie ({@code Z}/{@code X} in /proc/PID/stat where there is one). */
    private static boolean dead(ProcessHandle handle) {
        if (!handle.isAlive()) {
            return true;
        }
        Path stat = Path.of("/proc", Long.toString(handle.pid()), "stat");
        if (!Files.isDirectory(Path.of("/proc/self"))) {
            return false; // no procfs: isAlive() is all we know
        }
        try {
            String text = Files.readString(stat, StandardCharsets.ISO_8859_1);
            int end = text.lastIndexOf(')'); // the command name in parentheses may contain anything
            char state = end >= 0 && end + 2 < text.length() ? text.charAt(end + 2) : '?';
            return state == 'Z' || state == 'X';
        } catch (IOException e) {
            return true; // the /proc entry vanished: reaped
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private long logSize() {
        try {
            return Files.exists(logFile) ? Files.size(logFile) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private String logSince(long offset) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(logFile);
        } catch (IOException e) {
            return "";
        }
        int from = (int) Math.min(offset, bytes.length);
        return new String(bytes, from, bytes.length - from, StandardCharsets.UTF_8);
    }

    private String logTail() {
        List<String> lines = log().lines().collect(Collectors.toList());
        List<String> tail = lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size());
        return "--- last " + tail.size() + " lines of " + logFile + " ---\n" + String.join("\n", tail);
    }

    /** Shutdown hook: no lock (the JVM may be exiting from a thread holding it), just SIGKILL everything. */
    private void killOnExit() {
        Process p = process;
        if (p != null) {
            List<ProcessHandle> children = p.descendants().collect(Collectors.toList());
            p.destroyForcibly();
            children.forEach(ProcessHandle::destroyForcibly);
        }
    }

    /** Configures and starts an {@link OpenSshServer}; see {@link OpenSshServer#builder()}. */
    public static final class Builder {
        private boolean allowStreamLocalForwarding = true;
        private boolean passwordAuthentication;
        private final List<String> extraConfig = new ArrayList<>();
        private Path hostCa;
        private final List<String> hostPrincipals = new ArrayList<>();

        private Builder() {
        }

        /**
         * Serves a host certificate ({@code HostCertificate}) for the host key, signed with the CA private key
         * {@code caPrivateKey} (e.g. made with {@code ssh-keygen -t ed25519}) for the given host names, valid from
         * 5 minutes ago for an hour.
         */
        public Builder hostCertificate(Path caPrivateKey, String... principals) {
            if (principals.length == 0) {
                throw new IllegalArgumentException("a host certificate needs at least one principal");
            }
            this.hostCa = caPrivateKey;
            this.hostPrincipals.clear();
            this.hostPrincipals.addAll(Arrays.asList(principals));
            return this;
        }

        /** {@code AllowStreamLocalForwarding yes|no} (unix socket forwarding); default true. */
        public Builder allowStreamLocalForwarding(boolean allow) {
            this.allowStreamLocalForwarding = allow;
            return this;
        }

        /** {@code PasswordAuthentication yes|no}; default false. */
        public Builder passwordAuthentication(boolean allow) {
            this.passwordAuthentication = allow;
            return this;
        }

        /**
         * Appends one line to sshd_config, e.g. {@code "MaxSessions 10"}; repeatable, kept in order. A keyword
         * the fixture sets too (say {@code LogLevel DEBUG3}) replaces the fixture's line, unless it comes after
         * a {@code Match} line or is one the fixture depends on (Port, ListenAddress, HostKey, PidFile,
         * AuthorizedKeysFile).
         */
        public Builder extraConfig(String line) {
            if (line == null || line.indexOf('\n') >= 0 || line.indexOf('\r') >= 0) {
                throw new IllegalArgumentException("one line expected: " + line);
            }
            extraConfig.add(line);
            return this;
        }

        /**
         * Creates the keys and configuration and starts sshd; returns once it accepts connections.
         *
         * @throws IllegalStateException if sshd does not start (the message holds the end of its log)
         * @throws UncheckedIOException if the directory or keys cannot be created
         */
        public OpenSshServer start() {
            OpenSshServer server;
            try {
                server = new OpenSshServer(this);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the sshd directory", e);
            }
            try {
                synchronized (server) {
                    server.start();
                }
                return server;
            } catch (RuntimeException | Error e) {
                server.close();
                throw e;
            }
        }
    }
}
