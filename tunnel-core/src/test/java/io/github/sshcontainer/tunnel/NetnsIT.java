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

import io.github.sshcontainer.tunnel.testing.DelayRelay;
import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.Requirements;
import io.github.sshcontainer.tunnel.testing.UnixSinkServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SSH server in its own network namespace, reached over a veth pair: link down — keepalive detects the dead peer
 * within its interval; link up — the same tunnel recovers; 50 ms more round-trip time and 1% packet loss — the data
 * arrives intact (SHA-256 checked).
 *
 * <p>The delay and loss come from {@code tc netem} (25 ms and 1% on each end of the veth) when the kernel has
 * {@code sch_netem}. Without it (as on the CI machine) they are emulated: 1% loss by iptables {@code -m statistic
 * --mode random --probability 0.01 -j DROP} on the namespace's side of the veth (INPUT and OUTPUT), and 50 ms round
 * trip by a {@link DelayRelay} in this JVM between the client and sshd (25 ms each way). Either way the test shows
 * that the impairment acted: a request takes at least 50 ms and the loss rule's packet counter is above zero. GSO is
 * limited to one segment per packet on the veth for that test, so the 1% applies to wire-sized packets. If neither
 * can be set up the test fails under {@code CI=true} ({@link Requirements}).
 *
 * <p>Sets up and tears down the namespace itself; needs root, {@code ip} (iproute2), and {@code tc} or
 * {@code iptables}.
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
        return open(NS_IP, 22, knownHosts, KEEPALIVE, KEEPALIVE_MAX);
    }

    static Tunnel open(String host, int port, Path knownHostsFile, Duration keepAlive, int keepAliveMax)
            throws IOException {
        SshOptions o = SshOptions.builder().identity(keys.clientKey()).knownHosts(knownHostsFile).sshConfig(null)
                .useAgent(false).connectTimeout(Duration.ofSeconds(5)).keepAlive(keepAlive, keepAliveMax).build();
        return Tunnel.to(SshTarget.of(keys.user(), host, port), RemoteEndpoint.unixSocket(sink.path().toString()))
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
        // one wire-sized packet per skb, so that "1% of packets" means 1% of 1500-byte packets, not of 64 KiB
        // GSO bundles (both netem and iptables see skbs)
        ip("link", "set", HOST_IF, "gso_max_segs", "1");
        ip("netns", "exec", NS, "ip", "link", "set", NS_IF, "gso_max_segs", "1");
        Impairment netem = Netem.tryStart();
        try (Impairment link = netem != null ? netem : Emulation.start()) {
            System.out.println("NetnsIT: impairment: " + link);
            try (Tunnel t = open(link.sshHost(), link.sshPort(), link.knownHosts(), Duration.ofSeconds(15), 3)) {
                long rttMs = Long.MAX_VALUE;
                for (int i = 0; i < 3; i++) {
                    long start = System.nanoTime();
                    transfer(t, 1, 20 + i); // a channel open and a request/response: two round trips at least
                    rttMs = Math.min(rttMs, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                }
                long start = System.nanoTime();
                for (int i = 0; i < 3; i++) {
                    transfer(t, 4 << 20, 10 + i);
                }
                long transferMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                long[] drops = link.droppedAndSeen();
                System.out.printf("NetnsIT: %s; fastest 1-byte request %d ms; 3 x 4 MiB intact in %d ms; %d of %d"
                        + " packets dropped (%.2f%%); reconnects %d%n", link.kind(), rttMs, transferMs, drops[0],
                        drops[1], drops[1] == 0 ? 0.0 : 100.0 * drops[0] / drops[1], t.stats().reconnects());
                assertTrue(rttMs >= 50, "a request through the delayed path took " + rttMs + " ms: the delay did"
                        + " not act (" + link + ")");
                assertTrue(drops[0] > 0, "no packet was dropped: the loss did not act (" + link + ")");
            }
        } finally {
            ip("link", "set", HOST_IF, "gso_max_segs", "65535");
            ip("netns", "exec", NS, "ip", "link", "set", NS_IF, "gso_max_segs", "65535");
        }
    }

    /** 50 ms more per round trip and 1% packet loss between the client and sshd; undone by {@link #close()}. */
    interface Impairment extends AutoCloseable {
        /** Where the client connects to reach sshd through the impaired path. */
        String sshHost();

        int sshPort();

        /** A known_hosts file naming sshd's host key for {@link #sshHost()}:{@link #sshPort()}. */
        Path knownHosts();

        /** "netem" or "iptables + relay". */
        String kind();

        /** {packets dropped, packets seen} by the loss rule so far ({@code seen} 0 when not known). */
        long[] droppedAndSeen() throws Exception;

        @Override
        void close() throws Exception;
    }

    /** {@code tc netem delay 25ms loss 1%} on both ends of the veth pair, when the kernel has {@code sch_netem}. */
    static final class Netem implements Impairment {
        /** Sets netem up, or returns {@code null} (printing why) when this kernel cannot. */
        static Netem tryStart() throws Exception {
            List<String> add = List.of("tc", "qdisc", "add", "dev", HOST_IF, "root", "netem", "delay", "25ms", "loss",
                    "1%");
            Process tc = new ProcessBuilder(add).redirectErrorStream(true).start();
            String out = new String(tc.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (tc.waitFor() != 0) {
                System.out.println("NetnsIT: no tc netem here (" + String.join(" ", add) + ": " + out
                        + "); emulating with iptables and a delaying relay instead");
                return null;
            }
            Netem started = new Netem();
            ip("netns", "exec", NS, "tc", "qdisc", "add", "dev", NS_IF, "root", "netem", "delay", "25ms", "loss",
                    "1%");
            return started;
        }

        @Override
        public String sshHost() {
            return NS_IP;
        }

        @Override
        public int sshPort() {
            return 22;
        }

        @Override
        public Path knownHosts() {
            return knownHosts;
        }

        @Override
        public String kind() {
            return "tc netem";
        }

        @Override
        public long[] droppedAndSeen() throws Exception {
            long dropped = 0;
            long sent = 0;
            for (String out : List.of(run("tc", "-s", "qdisc", "show", "dev", HOST_IF),
                    run("ip", "netns", "exec", NS, "tc", "-s", "qdisc", "show", "dev", NS_IF))) {
                // " Sent 123 bytes 45 pkt (dropped 6, overlimits 0 requeues 0)"
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+) pkt \\(dropped (\\d+)")
                        .matcher(out);
                while (m.find()) {
                    sent += Long.parseLong(m.group(1));
                    dropped += Long.parseLong(m.group(2));
                }
            }
            return new long[] {dropped, sent + dropped};
        }

        @Override
        public void close() throws Exception {
            quietly("netns", "exec", NS, "tc", "qdisc", "del", "dev", NS_IF, "root");
            new ProcessBuilder("tc", "qdisc", "del", "dev", HOST_IF, "root").start().waitFor();
        }

        @Override
        public String toString() {
            return "tc netem delay 25ms loss 1% on " + HOST_IF + " and " + NS_IF;
        }
    }

    /**
     * For kernels without {@code sch_netem}: the loss is an iptables {@code statistic --mode random --probability
     * 0.01} DROP on the namespace's side of the veth, in and out; the delay is a {@link DelayRelay} in this JVM
     * (127.0.0.1 to sshd, 25 ms each way). Unlike netem the delay sits outside the lossy link, so TCP on the veth
     * recovers from a loss at veth speed; what the tunnel sees is still 50 ms more per round trip and lost packets.
     */
    static final class Emulation implements Impairment {
        static final List<String> LOSS_IN = List.of("INPUT", "-i", NS_IF, "-m", "statistic", "--mode", "random",
                "--probability", "0.01", "-j", "DROP");
        static final List<String> LOSS_OUT = List.of("OUTPUT", "-o", NS_IF, "-m", "statistic", "--mode", "random",
                "--probability", "0.01", "-j", "DROP");
        /** No target: only counts what passed the loss rule, for the drop ratio. */
        static final List<String> COUNT_IN = List.of("INPUT", "-i", NS_IF);
        static final List<String> COUNT_OUT = List.of("OUTPUT", "-o", NS_IF);

        final DelayRelay relay;
        final Path relayKnownHosts;

        private Emulation(DelayRelay relay, Path relayKnownHosts) {
            this.relay = relay;
            this.relayKnownHosts = relayKnownHosts;
        }

        static Emulation start() throws Exception {
            for (List<String> rule : List.of(LOSS_IN, LOSS_OUT, COUNT_IN, COUNT_OUT)) {
                String out = iptables("-A", rule);
                if (out != null) {
                    removeRules();
                    Requirements.require(false, "neither tc netem (no sch_netem in this kernel) nor iptables in the"
                            + " namespace (iptables -A " + String.join(" ", rule) + ": " + out + ") can impair the"
                            + " link; install iptables or load sch_netem");
                }
            }
            DelayRelay relay = DelayRelay.start(new InetSocketAddress(NS_IP, 22), Duration.ofMillis(25));
            Path kh = tmp.resolve("known_hosts_relay");
            String[] k = keys.hostKeyPublicLine().split("\\s+");
            Files.writeString(kh, "[127.0.0.1]:" + relay.port() + " " + k[0] + " " + k[1] + "\n");
            return new Emulation(relay, kh);
        }

        /** {@code ip netns exec NS iptables -w 5 OP RULE...}: {@code null} when it worked, else its output. */
        static String iptables(String op, List<String> rule) throws Exception {
            List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", NS, "iptables", "-w", "5", op));
            cmd.addAll(rule);
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor() == 0 ? null : out.isEmpty() ? "exit " + p.exitValue() : out;
        }

        static void removeRules() throws Exception {
            for (List<String> rule : List.of(LOSS_IN, LOSS_OUT, COUNT_IN, COUNT_OUT)) {
                iptables("-D", rule);
            }
        }

        @Override
        public String sshHost() {
            return "127.0.0.1";
        }

        @Override
        public int sshPort() {
            return relay.port();
        }

        @Override
        public Path knownHosts() {
            return relayKnownHosts;
        }

        @Override
        public String kind() {
            return "iptables statistic 1% + 25 ms relay";
        }

        /** From {@code iptables -L -v -x -n}: the DROP rules' packet counters, and all packets that reached them. */
        @Override
        public long[] droppedAndSeen() throws Exception {
            long dropped = 0;
            long passed = 0;
            for (String chain : List.of("INPUT", "OUTPUT")) {
                String out = run("ip", "netns", "exec", NS, "iptables", "-w", "5", "-L", chain, "-v", "-x", "-n");
                for (String line : out.split("\n")) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length < 3 || !f[0].matches("\\d+")) {
                        continue; // headers
                    }
                    if (line.contains("statistic") && f[2].equals("DROP")) {
                        dropped += Long.parseLong(f[0]);
                    } else if (line.contains(NS_IF)) {
                        passed += Long.parseLong(f[0]);
                    }
                }
            }
            return new long[] {dropped, dropped + passed};
        }

        @Override
        public void close() throws Exception {
            relay.close();
            removeRules();
        }

        @Override
        public String toString() {
            return "iptables -m statistic --probability 0.01 -j DROP on " + NS + "'s " + NS_IF + " (in and out) and "
                    + relay;
        }
    }

    /** Runs a command that must succeed; its output. */
    static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), String.join(" ", cmd));
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out);
        return out;
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
