package io.github.sshcontainer.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.github.sshcontainer.tunnel.RemoteEndpoint;
import io.github.sshcontainer.tunnel.SshConnector;
import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.Tunnel;

/**
 * Workload 6: from nothing to the first answered request. Ours in this (warm) JVM: new connector, tunnel, request;
 * ours in a fresh JVM (this class's {@link #main}); OpenSSH: {@code ssh -L} process start until the request through
 * its socket is answered; {@code docker -H ssh://} for the per-command anchor.
 */
final class ColdStart {
    private ColdStart() {
    }

    static SshOptions options(Sshd.Keys keys, Path knownHosts, String cipher) {
        return SshOptions.builder().identity(keys.clientKey()).knownHosts(knownHosts).sshConfig(null).useAgent(false)
                .connectTimeout(Duration.ofSeconds(10)).ciphers(List.of(cipher)).build();
    }

    static Exchange exchange(Contender.Remote remote) {
        return remote == Contender.Remote.DOCKER ? new Exchange.DockerGet("/_ping") : new Exchange.Echo();
    }

    /** Ours, in this JVM: milliseconds. */
    static double oursInJvm(Sshd sshd, Path knownHosts, Path remotePath, Contender.Remote remote) throws IOException {
        long t0 = System.nanoTime();
        try (SshConnector connector = SshConnector.create(options(sshd.keys(), knownHosts, Ciphers.AES_GCM));
                Tunnel t = Tunnel.to(SshTarget.of(System.getProperty("user.name"), Sshd.HOST, sshd.port()),
                        RemoteEndpoint.unixSocket(remotePath.toString())).connector(connector).inProcessOnly().open();
                Conn c = Conn.of(t.openConnection())) {
            Exchange x = exchange(remote);
            x.start(c);
            x.roundTrip(c);
            return (System.nanoTime() - t0) / 1e6;
        }
    }

    /** Ours, in a fresh JVM: milliseconds from process start to its "OK" line. */
    static double oursFreshJvm(Sshd sshd, Path knownHosts, Path remotePath, Contender.Remote remote)
            throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(java, "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"),
                ColdStart.class.getName(), Integer.toString(sshd.port()), sshd.keys().clientKey().toString(),
                knownHosts.toString(), remotePath.toString(), remote.name()).redirectError(Redirect.INHERIT).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line = r.readLine();
            double ms = (System.nanoTime() - t0) / 1e6;
            if (!"OK".equals(line)) {
                throw new IOException("fresh JVM said " + line);
            }
            return ms;
        } finally {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    /** OpenSSH: milliseconds from starting {@code ssh -N -L} to the first answered request. */
    static double openSsh(Sshd sshd, Path knownHosts, Path remotePath, Contender.Remote remote, Path dir)
            throws IOException {
        Path local = dir.resolve("cold-" + System.nanoTime() % 100000 + ".sock");
        List<String> cmd = OpenSshForward.baseCommand(sshd, knownHosts, Ciphers.AES_GCM);
        cmd.addAll(List.of("-N", "-L", local + ":" + remotePath, Sshd.HOST));
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(Redirect.appendTo(dir.resolve("ssh-client.log").toFile())).start();
        try {
            long deadline = t0 + TimeUnit.SECONDS.toNanos(15);
            while (true) {
                if (Files.exists(local)) {
                    try (Conn c = Conn.socket(local)) {
                        Exchange x = exchange(remote);
                        x.start(c);
                        x.roundTrip(c);
                        return (System.nanoTime() - t0) / 1e6;
                    } catch (IOException e) {
                        // bound but the forward is not ready yet
                    }
                }
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    throw new IOException("ssh -L did not forward " + local);
                }
                Thread.onSpinWait();
                Sshd.sleep(1);
            }
        } finally {
            p.destroy();
            Files.deleteIfExists(local);
        }
    }

    /** {@code docker -H ssh://user@127.0.0.1:PORT version}: milliseconds, or NaN when docker is not installed. */
    static double dockerCli(Sshd sshd, Path knownHosts, Path dir) throws IOException, InterruptedException {
        Path docker = findDocker();
        if (docker == null) {
            return Double.NaN;
        }
        // docker runs "ssh" from PATH; a wrapper gives it this run's key and known_hosts
        Path bin = dir.resolve("bin");
        Files.createDirectories(bin);
        Path wrapper = bin.resolve("ssh");
        Files.writeString(wrapper, "#!/bin/sh\nexec /usr/bin/ssh -F /dev/null -i " + sshd.keys().clientKey()
                + " -o IdentitiesOnly=yes -o UserKnownHostsFile=" + knownHosts
                + " -o StrictHostKeyChecking=yes -o BatchMode=yes -o LogLevel=ERROR \"$@\"\n");
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwx------"));
        List<String> cmd = new ArrayList<>(List.of(docker.toString(), "-H",
                "ssh://" + System.getProperty("user.name") + "@" + Sshd.HOST + ":" + sshd.port(), "version",
                "--format", "{{.Server.Version}}"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("PATH", bin + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        pb.environment().remove("DOCKER_HOST");
        long t0 = System.nanoTime();
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("docker -H ssh:// failed: " + out.trim());
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    static Path findDocker() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(dir, "docker");
            if (!dir.isEmpty() && Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /** Fresh-JVM entry: PORT KEY KNOWN_HOSTS REMOTE_PATH SINK|DOCKER; prints OK after the first answer. */
    public static void main(String[] args) throws Exception {
        SshOptions options = SshOptions.builder().identity(Path.of(args[1])).knownHosts(Path.of(args[2]))
                .sshConfig(null).useAgent(false).ciphers(List.of(Ciphers.AES_GCM)).build();
        Contender.Remote remote = Contender.Remote.valueOf(args[4]);
        try (Tunnel t = Tunnel.to(SshTarget.of(System.getProperty("user.name"), Sshd.HOST, Integer.parseInt(args[0])),
                RemoteEndpoint.unixSocket(args[3])).options(options).inProcessOnly().open();
                Conn c = Conn.of(t.openConnection())) {
            Exchange x = exchange(remote);
            x.start(c);
            x.roundTrip(c);
            System.out.println("OK");
            System.out.flush();
        }
    }
}
