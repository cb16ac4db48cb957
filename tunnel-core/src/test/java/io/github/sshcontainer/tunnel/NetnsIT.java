package io.github.sshcontainer.tunnel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.Requirements;
import io.github.sshcontainer.tunnel.testing.UnixSinkServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SSH server in its own network namespace, reached over a veth pair: data intact across the link; link down —
 * keepalive detects the dead peer within its interval; link up — the same tunnel recovers. With {@code tc netem}
 * (50 ms RTT, 1% loss) when the kernel has it. Sets up and tears down the namespace itself; needs root and
 * {@code ip} (iproute2).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class NetnsIT {
    static final long ID = ProcessHandle.current().pid() % 100_000;
    static final String NS = "sshc-ns-" + ID;
    static final String HOST_IF = "sshcH" + ID;
    static final String NS_IF = "sshcN" + ID;
    static final String HOST_IP = "10.213." + (ID % 250) + ".1";
    static final String NS_IP = "10.213." + (ID % 250) + ".2";
    static final Duration KEEPALIVE = Duration.ofSeconds(1);
    static final int KEEPALIVE_MAX = 3;

    static OpenSshServer keys;
    static Process sshd;
    static UnixSinkServer sink;
    static boolean namespaceCreated;
    @TempDir
    static Path tmp;
    static Path knownHosts;

    @BeforeAll
    static void start() throws Exception {
        Requirements.require(Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip"))
                || Files.isExecutable(Path.of("/usr/bin/ip")), "ip (iproute2) is needed for network namespaces");
        Requirements.require("root".equals(System.getProperty("user.name")), "network namespaces need root");
        // the fixture makes the keys and config; its own sshd (on 127.0.0.1 here) is not used
        keys = OpenSshServer.startOrSkip(OpenSshServer.builder());
        sink = UnixSinkServer.start();
        ip("netns", "add", NS);
        namespaceCreated = true;
        ip("link", "add", HOST_IF, "type", "veth", "peer", "name", NS_IF);
        ip("link", "set", NS_IF, "netns", NS);
        ip("addr", "add", HOST_IP + "/30", "dev", HOST_IF);
        ip("link", "set", HOST_IF, "up");
        ip("netns", "exec", NS, "ip", "addr", "add", NS_IP + "/30", "dev", NS_IF);
        ip("netns", "exec", NS, "ip", "link", "set", NS_IF, "up");
        ip("netns", "exec", NS, "ip", "link", "set", "lo", "up");

        Path config = tmp.resolve("sshd_config_ns");
        List<String> lines = Files.readAllLines(keys.configFile()).stream()
                .map(l -> l.startsWith("Port ") ? "Port 22" : l.startsWith("ListenAddress ") ? "ListenAddress " + NS_IP
                        : l.startsWith("PidFile ") ? "PidFile " + tmp.resolve("sshd-ns.pid") : l)
                .collect(Collectors.toList());
        Files.write(config, lines);
        sshd = new ProcessBuilder("ip", "netns", "exec", NS, OpenSshServer.SSHD, "-D", "-e", "-f", config.toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("sshd-ns.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(NS_IP, 22), 1000);
                break;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline || !sshd.isAlive()) {
                    fail("sshd in " + NS + " did not start: " + Files.readString(tmp.resolve("sshd-ns.log")));
                }
                Thread.sleep(100);
            }
        }
        knownHosts = tmp.resolve("known_hosts");
        String[] k = keys.hostKeyPublicLine().split("\\s+");
        Files.writeString(knownHosts, NS_IP + " " + k[0] + " " + k[1] + "\n");
    }

    @AfterAll
    static void stop() throws Exception {
        if (sshd != null) {
            sshd.descendants().forEach(ProcessHandle::destroyForcibly);
            sshd.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        if (namespaceCreated) {
            quietly("netns", "exec", NS, "ip", "link", "del", NS_IF); // takes the host end with it
            quietly("link", "del", HOST_IF);
            quietly("netns", "del", NS);
        }
        if (sink != null) {
            sink.close();
        }
        if (keys != null) {
            keys.close();
        }
    }

    static Tunnel open() throws IOException {
        SshOptions o = SshOptions.builder().identity(keys.clientKey()).knownHosts(knownHosts).sshConfig(null)
                .useAgent(false).connectTimeout(Duration.ofSeconds(5)).keepAlive(KEEPALIVE, KEEPALIVE_MAX).build();
        return Tunnel.to(SshTarget.of(keys.user(), NS_IP, 22), RemoteEndpoint.unixSocket(sink.path().toString()))
                .options(o).inProcessOnly().open();
    }

    /** {@code n} bytes through the tunnel, checked against their SHA-256. */
    static void transfer(Tunnel t, long n, long seed) throws Exception {
        try (TunnelConnection c = t.openConnection()) {
            c.outputStream().write(UnixSinkServer.sendRequest(n, seed));
            c.outputStream().flush();
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[64 * 1024];
            long got = 0;
            InputStream in = c.inputStream();
            for (int r; (r = in.read(buf)) >= 0;) {
                d.update(buf, 0, r);
                got += r;
            }
            assertEquals(n, got);
            assertArrayEquals(UnixSinkServer.expectedSha256(n, seed), d.digest(), "data intact");
        }
    }

    @Test
    void linkDownIsDetectedByKeepaliveAndLinkUpRecoversTheSameTunnel() throws Exception {
        ExecutorService threads = Executors.newSingleThreadExecutor();
        try (Tunnel t = open()) {
            transfer(t, 8 << 20, 1);
            TunnelConnection idle = t.openConnection();
            Future<Integer> read = threads.submit(() -> idle.inputStream().read());
            ip("link", "set", HOST_IF, "down");
            long down = System.nanoTime();
            try {
                ExecutionException e = assertThrows(ExecutionException.class, () -> {
                    Integer r = read.get(KEEPALIVE.multipliedBy(KEEPALIVE_MAX + 4).toSeconds(), TimeUnit.SECONDS);
                    fail("the read ended with " + r + " instead of an IOException");
                }, "keepalive did not notice the dead link");
                assertTrue(e.getCause() instanceof IOException, String.valueOf(e.getCause()));
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - down);
                System.out.printf("NetnsIT: link down noticed after %d ms (keepalive %d ms x %d)%n", ms,
                        KEEPALIVE.toMillis(), KEEPALIVE_MAX);
                assertTrue(ms >= KEEPALIVE.toMillis(), "not before a keepalive went unanswered: " + ms);
            } finally {
                ip("link", "set", HOST_IF, "up");
            }
            long up = System.nanoTime();
            long deadline = up + TimeUnit.SECONDS.toNanos(20);
            while (true) {
                try {
                    transfer(t, 1 << 20, 2);
                    break;
                } catch (IOException e) {
                    if (System.nanoTime() > deadline) {
                        throw e;
                    }
                    Thread.sleep(200);
                }
            }
            System.out.printf("NetnsIT: recovered %d ms after link up; reconnects %d%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - up), t.stats().reconnects());
            assertTrue(t.stats().reconnects() >= 1, t.stats().toString());
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void fiftyMillisecondsRoundTripAndOnePercentLossKeepTheDataIntact() throws Exception {
        List<String> add = List.of("tc", "qdisc", "add", "dev", HOST_IF, "root", "netem", "delay", "25ms", "loss", "1%");
        Process tc = new ProcessBuilder(add).redirectErrorStream(true).start();
        String out = new String(tc.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        // not Requirements: a kernel without sch_netem is a property of the machine, not a missing package
        Assumptions.assumeTrue(tc.waitFor() == 0, "tc netem is not available on this kernel (" + String.join(" ", add)
                + ": " + out + "); the delay/loss half of the test is skipped");
        try {
            ip("netns", "exec", NS, "tc", "qdisc", "add", "dev", NS_IF, "root", "netem", "delay", "25ms", "loss", "1%");
            try (Tunnel t = open()) {
                for (int i = 0; i < 3; i++) {
                    transfer(t, 4 << 20, 10 + i);
                }
            }
        } finally {
            quietly("netns", "exec", NS, "tc", "qdisc", "del", "dev", NS_IF, "root");
            new ProcessBuilder("tc", "qdisc", "del", "dev", HOST_IF, "root").start().waitFor();
        }
    }

    static void ip(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add("ip");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), String.join(" ", cmd));
        Requirements.require(p.exitValue() == 0, String.join(" ", cmd) + " failed (network namespaces need root and"
                + " a kernel with netns and veth): " + out.trim());
    }

    static void quietly(String... args) {
        try {
            List<String> cmd = new ArrayList<>();
            cmd.add("ip");
            cmd.addAll(List.of(args));
            new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start()
                    .waitFor(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            System.err.println("cleanup: " + e);
        }
    }
}
