package io.github.sshcontainer.benchmarks;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.github.sshcontainer.tunnel.SshConnector;
import io.github.sshcontainer.tunnel.SshTarget;

/**
 * One benchmark run: starts the far-end server, an sshd, OpenSSH forwards and our tunnels, runs the chosen
 * workloads with the contenders alternating (A B C A B C ...), and collects a {@link Report}.
 */
final class Harness implements AutoCloseable {
    static final Path DOCKER_SOCK = Path.of("/var/run/docker.sock");

    private final Config config;
    private final PrintStream log;
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private Path dir;
    private Sshd sshd;
    private Path knownHosts;
    private final Map<Contender.Remote, Path> remotes = new EnumMap<>(Contender.Remote.class);
    private Contender direct;
    private final Map<String, List<Contender>> byCipher = new LinkedHashMap<>();
    private Contender striped;
    private Report report;
    private final CpuMeter cpu = new CpuMeter();
    /** This JVM's JIT: how long it compiled during a sample. */
    private static final CompilationMXBean JIT = ManagementFactory.getCompilationMXBean();
    /** A warm-up during which the JIT compiled for less than this share of its time leaves a steady state. */
    static final double SETTLED = 0.02;
    /** Warm-ups per contender and workload at most. */
    static final int MAX_WARM_UPS = 6;
    private final List<OpenSshForward> openSsh = new ArrayList<>();
    private boolean closed;

    /** Measures one sample. */
    interface Measure {
        double sample(Contender c, Result r) throws Exception;
    }

    Harness(Config config, PrintStream log) {
        this.config = config;
        this.log = log;
    }

    /** Runs everything and returns the report; the caller prints it. */
    Report run() throws Exception {
        if (!Sshd.available()) {
            throw new IllegalStateException("OpenSSH is needed: /usr/sbin/sshd, /usr/bin/ssh and /usr/bin/ssh-keygen"
                    + " (apt-get install openssh-server openssh-client)");
        }
        dir = Files.createTempDirectory(Path.of("/tmp"), "sshc-bench-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        report = new Report(config.mode(), machine());
        ServerProcess server = ServerProcess.start(dir.resolve("sink.sock"));
        toClose.add(server);
        remotes.put(Contender.Remote.SINK, server.socket());
        if (dockerAnswers()) {
            remotes.put(Contender.Remote.DOCKER, DOCKER_SOCK);
        }
        report.machine.put("dockerd", remotes.containsKey(Contender.Remote.DOCKER) ? DOCKER_SOCK.toString() : "absent");
        Sshd.Keys keys = Sshd.Keys.generate(dir.resolve("keys"));
        sshd = Sshd.start(keys, "main");
        toClose.add(sshd);
        knownHosts = keys.knownHosts("main", sshd.port());
        startContenders();
        cpu.group("client", () -> java.util.stream.Stream.concat(java.util.stream.Stream.of(ProcessHandle.current()),
                        openSsh.stream().map(OpenSshForward::handle)))
                .group("sshd", sshd::processes)
                .group("far end", () -> java.util.stream.Stream.of(server.handle()));

        if (config.runs("bulk")) {
            bulk();
        }
        if (config.runs("parallel")) {
            parallel();
        }
        if (config.runs("rtt")) {
            roundTrips();
        }
        if (config.runs("open")) {
            opens();
        }
        if (config.runs("concurrent")) {
            concurrent();
        }
        if (config.runs("cold")) {
            coldStart();
        }
        if (config.runs("fleet")) {
            fleet(keys);
        }
        return report;
    }

    private void startContenders() throws IOException {
        direct = new Contender.Direct(remotes);
        SshTarget target = SshTarget.of(System.getProperty("user.name"), Sshd.HOST, sshd.port());
        for (String cipher : Ciphers.compared()) {
            SshConnector connector = SshConnector.create(ColdStart.options(sshd.keys(), knownHosts, cipher));
            toClose.add(connector);
            List<Contender> list = new ArrayList<>();
            OpenSshForward forward = closing(OpenSshForward.start(sshd, knownHosts, remotes, cipher, dir));
            openSsh.add(forward);
            list.add(forward);
            list.add(closing(new Contender.OursSocket(connector, target, remotes, cipher)));
            list.add(closing(new Contender.OursInProcess(connector, target, remotes, cipher, 1)));
            byCipher.put(cipher, list);
            if (cipher.equals(Ciphers.AES_GCM) && config.stripes() > 1) {
                striped = closing(new Contender.OursInProcess(connector, target, remotes, cipher, config.stripes()));
            }
        }
        log.printf("contenders ready: direct, %s%s%n", byCipher.keySet(),
                striped == null ? "" : ", " + striped.label());
    }

    private <T extends AutoCloseable> T closing(T c) {
        toClose.add(c);
        return c;
    }

    private List<Contender> gcm(boolean withStriped) {
        List<Contender> list = new ArrayList<>();
        list.add(direct);
        list.addAll(byCipher.get(Ciphers.AES_GCM));
        if (withStriped && striped != null) {
            list.add(striped);
        }
        return list;
    }

    /**
     * Runs {@code warmUp} until this JVM's JIT compiled for less than {@link #SETTLED} of its time (at most
     * {@link #MAX_WARM_UPS} times): a steady state, as in a long-lived JVM. One fixed warm-up was not enough — the
     * timed runs of the contender behind it still had the C2 compiler busy for a third of their time on two cores.
     */
    private static void warmUpUntilSettled(Measure warmUp, Contender c, Result r) throws Exception {
        for (int round = 1;; round++) {
            long jit = JIT.getTotalCompilationTime();
            long start = System.nanoTime();
            warmUp.sample(c, r);
            double millis = Math.max(1, (System.nanoTime() - start) / 1e6);
            if ((JIT.getTotalCompilationTime() - jit) / millis < SETTLED || round == MAX_WARM_UPS) {
                r.note("warm-ups", round);
                return;
            }
        }
    }

    /** Each repeat runs every contender once, in order: A B C A B C. */
    private List<Result> alternate(String workload, List<Contender> contenders, String unit, boolean higherIsBetter,
            int repeats, Measure warmUp, Measure measure) {
        contenders = contenders.stream().filter(config::runs).toList();
        List<Result> results = new ArrayList<>();
        for (Contender c : contenders) {
            Result r = new Result(workload, c, unit, higherIsBetter);
            results.add(r);
            report.add(r);
        }
        if (warmUp != null) {
            for (int i = 0; i < contenders.size(); i++) {
                try {
                    warmUpUntilSettled(warmUp, contenders.get(i), results.get(i));
                } catch (Exception e) {
                    results.get(i).fail("warm-up: " + e);
                }
            }
        }
        for (int rep = 0; rep < repeats; rep++) {
            for (int i = 0; i < contenders.size(); i++) {
                Result r = results.get(i);
                if (r.error() != null) {
                    continue;
                }
                contenders.forEach(Contender::quiesce);
                try {
                    CpuMeter.Snapshot before = cpu.snapshot();
                    long jitBefore = JIT.getTotalCompilationTime();
                    double v = measure.sample(contenders.get(i), r);
                    CpuMeter.Usage used = cpu.since(before);
                    // compilations during a timed sample mean the warm-up was too short for a steady state
                    r.noteMedian("jit ms", JIT.getTotalCompilationTime() - jitBefore);
                    used.cores().forEach((group, cores) -> r.noteMedian("cpu " + group, cores));
                    if (unit.endsWith("/s") && v > 0) {
                        // e.g. client switches per rt: thread hand-offs are what a round trip costs beyond the wire
                        r.noteMedian("client switches per " + unit.substring(0, unit.length() - 2),
                                used.switches().get("client") / (v * used.seconds()));
                    }
                    r.add(v);
                    r.checked();
                    log.printf("  %-22s %-22s %10s %s%n", workload, r.contender, Report.num(v), unit);
                } catch (Exception e) {
                    r.fail(e.toString());
                    log.printf("  %-22s %-22s FAILED %s%n", workload, r.contender, e);
                }
            }
        }
        return results;
    }

    private void bulk() {
        List<Contender> all = new ArrayList<>();
        all.add(direct);
        byCipher.values().forEach(all::addAll);
        long n = config.bulkBytes();
        // long enough for C2 to finish compiling the hot path (a few seconds on two cores): a steady state, as in a
        // long-lived JVM; 128 MiB was not, and its last compilations fell into the timed runs
        long warm = Math.min(n, 512L << 20);
        String size = mib(n);
        alternate("1 bulk up " + size, all, "MiB/s", true, config.repeats(),
                (c, r) -> Transfers.bulk(c, warm, true), (c, r) -> Transfers.bulk(c, n, true));
        alternate("1 bulk down " + size, all, "MiB/s", true, config.repeats(),
                (c, r) -> Transfers.bulk(c, warm, false), (c, r) -> Transfers.bulk(c, n, false));
    }

    private void parallel() {
        int s = config.streams();
        long each = config.streamBytes();
        String what = s + "×" + mib(each);
        long warm = Math.min(each, 32L << 20);
        alternate("2 parallel up " + what, gcm(true), "MiB/s", true, config.repeats(),
                (c, r) -> Transfers.parallel(c, s, warm, true), (c, r) -> Transfers.parallel(c, s, each, true));
        alternate("2 parallel down " + what, gcm(true), "MiB/s", true, config.repeats(),
                (c, r) -> Transfers.parallel(c, s, warm, false), (c, r) -> Transfers.parallel(c, s, each, false));
    }

    private void roundTrips() {
        List<java.util.function.Supplier<Exchange>> kinds = new ArrayList<>();
        kinds.add(Exchange.Echo::new);
        if (remotes.containsKey(Contender.Remote.DOCKER)) {
            kinds.add(() -> new Exchange.DockerGet("/_ping"));
        }
        int count = config.roundTrips();
        for (java.util.function.Supplier<Exchange> kind : kinds) {
            Map<Result, List<Long>> all = new LinkedHashMap<>();
            List<Result> results = alternate("3 round trips " + kind.get().label(), gcm(false), "rt/s", true,
                    config.repeats(),
                    (c, r) -> Transfers.roundTrips(c, kind.get(), Math.max(10, count / 4), new long[count]),
                    (c, r) -> {
                        long[] nanos = new long[count];
                        double rate = Transfers.roundTrips(c, kind.get(), count, nanos);
                        List<Long> list = all.computeIfAbsent(r, k -> new ArrayList<>());
                        for (long v : nanos) {
                            list.add(v);
                        }
                        return rate;
                    });
            for (Result r : results) {
                List<Long> list = all.get(r);
                if (list != null) {
                    long[] a = list.stream().mapToLong(Long::longValue).toArray();
                    r.note("p50 µs", Report.num(Result.percentileMicros(a, a.length, 50)));
                    r.note("p99 µs", Report.num(Result.percentileMicros(a, a.length, 99)));
                }
            }
        }
    }

    private void opens() {
        int count = config.opens();
        alternate("4 open+echo+close", gcm(false), "conn/s", true, config.repeats(),
                (c, r) -> Transfers.opens(c, Exchange.Echo::new, Math.max(5, count / 10)),
                (c, r) -> Transfers.opens(c, Exchange.Echo::new, count));
    }

    private void concurrent() {
        int n = config.concurrent();
        int rounds = config.concurrentRounds();
        alternate("5 concurrent " + n + " conns × " + rounds + " echo", gcm(true), "p99 ms", false, config.repeats(),
                null, (c, r) -> {
                    Concurrent.Outcome o = Concurrent.run(c, n, rounds);
                    double p99 = Result.percentileMicros(o.nanos, o.count, 99) / 1000;
                    r.noteTotal("errors", o.errors);
                    r.noteMedian("req/s", o.count / o.seconds);
                    r.noteMedian("open all s", o.openSeconds);
                    r.noteMedian("peak JVM threads", o.peakThreads);
                    r.noteMedian("threads before", o.threadsBefore);
                    r.noteMedian("heap with all open MiB", o.heapMiB);
                    if (c.socket(Contender.Remote.SINK) == null) {
                        r.note("load threads", Concurrent.WORKERS);
                    } else {
                        r.note("load threads", 1);
                    }
                    if (o.errors > 0) {
                        throw new IOException(o.errors + " errors, first: " + o.firstError);
                    }
                    return p99;
                });
    }

    private void coldStart() {
        Contender.Remote remote = remotes.containsKey(Contender.Remote.DOCKER) ? Contender.Remote.DOCKER
                : Contender.Remote.SINK;
        Path path = remotes.get(remote);
        String what = "6 cold start to first " + (remote == Contender.Remote.DOCKER ? "/_ping" : "echo");
        List<Contender> list = new ArrayList<>();
        list.add(new Named("openssh ssh -L (process)", Ciphers.AES_GCM));
        list.add(new Named("ours in-process, warm JVM", Ciphers.AES_GCM));
        list.add(new Named("ours in-process, new JVM", Ciphers.AES_GCM));
        boolean docker = remote == Contender.Remote.DOCKER && ColdStart.findDocker() != null;
        if (docker) {
            list.add(new Named("docker -H ssh:// version", null));
        }
        alternate(what, list, "ms", false, config.coldStarts(), null, (c, r) -> {
            switch (list.indexOf(c)) {
                case 0:
                    return ColdStart.openSsh(sshd, knownHosts, path, remote, dir);
                case 1:
                    return ColdStart.oursInJvm(sshd, knownHosts, path, remote);
                case 2:
                    return ColdStart.oursFreshJvm(sshd, knownHosts, path, remote);
                default:
                    return ColdStart.dockerCli(sshd, knownHosts, dir);
            }
        });
    }

    private void fleet(Sshd.Keys keys) {
        int n = config.fleet();
        Contender.Remote remote = remotes.containsKey(Contender.Remote.DOCKER) ? Contender.Remote.DOCKER
                : Contender.Remote.SINK;
        String call = remote == Contender.Remote.DOCKER ? "GET /version" : "echo";
        Result connect = new Result("7 fleet " + n + " sshd: connect all", "ours in-process", Ciphers.AES_GCM, "s",
                false);
        Result calls = new Result("7 fleet " + n + " sshd: " + call + " on all (held sessions)", "ours in-process",
                Ciphers.AES_GCM, "ms", false);
        report.add(connect);
        report.add(calls);
        try (Fleet fleet = new Fleet()) {
            Fleet.Outcome o = fleet.run(keys, n, config.fleetCalls(), remotes.get(remote), remote);
            connect.add(o.connectSeconds);
            o.callMillis.forEach(calls::add);
            connect.note("heap per idle host KiB", Report.num(o.heapPerHostKiB));
            connect.note("JVM threads", o.threads);
            connect.note("without process reapers and load pool", o.tunnelThreads);
            connect.note("largest thread groups", o.threadNames);
            connect.note("errors", o.errors);
            calls.note("errors", o.errors);
            if (o.errors > 0) {
                connect.fail(o.errors + " errors, first: " + o.firstError);
                calls.fail(o.errors + " errors, first: " + o.firstError);
            } else {
                connect.checked();
                calls.checked();
            }
            log.printf("  fleet of %d: connect %.2f s, calls %s ms, %.0f KiB heap per host%n", n, o.connectSeconds,
                    o.callMillis, o.heapPerHostKiB);
        } catch (Exception e) {
            connect.fail(e.toString());
            calls.fail(e.toString());
            log.printf("  fleet FAILED: %s%n", e);
        }
    }

    /** A label for measurements that are not a long-lived contender (cold start). */
    private static final class Named extends Contender {
        Named(String name, String cipher) {
            super(name, cipher);
        }

        @Override
        Conn connect(Remote remote) {
            throw new UnsupportedOperationException();
        }
    }

    private static boolean dockerAnswers() {
        if (!Files.exists(DOCKER_SOCK)) {
            return false;
        }
        try (Conn c = Conn.socket(DOCKER_SOCK)) {
            new Exchange.DockerGet("/_ping").roundTrip(c);
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static String mib(long n) {
        return n >= 1L << 30 && n % (1L << 30) == 0 ? (n >> 30) + " GiB" : (n >> 20) + " MiB";
    }

    static Map<String, String> machine() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("date", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        m.put("nproc", Integer.toString(Runtime.getRuntime().availableProcessors()));
        try {
            String mem = Files.readAllLines(Path.of("/proc/meminfo")).get(0).replaceAll("\\s+", " ");
            m.put("memory", mem.replace("MemTotal: ", ""));
            m.put("cpu", Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?"));
            m.put("load average", Files.readString(Path.of("/proc/loadavg")).trim());
        } catch (IOException | RuntimeException e) {
            m.put("memory", "?");
        }
        m.put("jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        m.put("jvm args", String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()));
        m.put("openssh", opensshVersion());
        m.put("mina sshd", minaVersion());
        return m;
    }

    private static String minaVersion() {
        try (java.io.InputStream in = Harness.class.getResourceAsStream(
                "/META-INF/maven/org.apache.sshd/sshd-core/pom.properties")) {
            java.util.Properties p = new java.util.Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "?");
        } catch (IOException e) {
            return "?";
        }
    }

    private static String opensshVersion() {
        try {
            Process p = new ProcessBuilder("/usr/bin/ssh", "-V").redirectErrorStream(true).start();
            return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "?";
        }
    }

    /** Stops everything this run started; idempotent (also run by the shutdown hook on Ctrl-C). */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (int i = toClose.size() - 1; i >= 0; i--) {
            try {
                toClose.get(i).close();
            } catch (Exception e) {
                log.println("closing " + toClose.get(i) + ": " + e);
            }
        }
        if (dir != null) {
            deleteTree(dir, log);
        }
    }

    /** Deletes a run's private directory and everything in it (a failure is logged, not thrown). */
    static void deleteTree(Path dir, PrintStream log) {
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            log.println("cannot delete " + dir + ": " + e);
        }
    }
}
