package io.github.sshcontainer.benchmarks;

import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** OpenSSH {@code ssh -N -L local.sock:remote.sock ...} with one cipher, as a child process. */
final class OpenSshForward extends Contender {
    private final Process process;
    private final Map<Remote, Path> locals;

    private OpenSshForward(Process process, Map<Remote, Path> locals, String cipher) {
        super("openssh", cipher);
        this.process = process;
        this.locals = locals;
    }

    /** The {@code ssh} process, for CPU accounting. */
    ProcessHandle handle() {
        return process.toHandle();
    }

    /**
     * Starts {@code ssh -L} for every remote path and waits until each local socket accepts a connection.
     *
     * @param dir where the local sockets go (private)
     */
    static OpenSshForward start(Sshd sshd, Path knownHosts, Map<Remote, Path> remotes, String cipher, Path dir)
            throws IOException {
        Map<Remote, Path> locals = new EnumMap<>(Remote.class);
        List<String> cmd = baseCommand(sshd, knownHosts, cipher);
        cmd.add("-N");
        for (Map.Entry<Remote, Path> e : remotes.entrySet()) {
            Path local = dir.resolve("ossh-" + Ciphers.shortName(cipher) + "-" + e.getKey().name().toLowerCase()
                    + ".sock");
            Files.deleteIfExists(local);
            locals.put(e.getKey(), local);
            cmd.add("-L");
            cmd.add(local + ":" + e.getValue());
        }
        cmd.add(Sshd.HOST);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(Redirect.appendTo(dir.resolve("ssh-client.log").toFile()))
                .redirectInput(Redirect.from(new java.io.File("/dev/null"))).start();
        OpenSshForward f = new OpenSshForward(p, locals, cipher);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        for (Path local : locals.values()) {
            while (!accepts(local)) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    f.close();
                    throw new IOException("ssh -L did not open " + local + " (see " + dir.resolve("ssh-client.log")
                            + ")");
                }
                Sshd.sleep(2);
            }
        }
        return f;
    }

    /** {@code ssh} with this run's key, known_hosts and cipher, and no user configuration. */
    static List<String> baseCommand(Sshd sshd, Path knownHosts, String cipher) {
        return new ArrayList<>(List.of("/usr/bin/ssh", "-F", "/dev/null", "-i", sshd.keys().clientKey().toString(),
                "-o", "IdentitiesOnly=yes", "-o", "UserKnownHostsFile=" + knownHosts,
                "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes",
                "-o", "StreamLocalBindUnlink=yes", "-o", "Ciphers=" + cipher, "-o", "Compression=no",
                "-o", "LogLevel=ERROR", "-o", "ControlMaster=no", "-o", "ControlPath=none",
                "-p", Integer.toString(sshd.port()), "-l", System.getProperty("user.name")));
    }

    static boolean accepts(Path socket) {
        if (!Files.exists(socket)) {
            return false;
        }
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    Conn connect(Remote remote) throws IOException {
        return Conn.socket(locals.get(remote));
    }

    @Override
    Path socket(Remote remote) {
        return locals.get(remote);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        for (Path p : locals.values()) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // best effort
            }
        }
    }
}
