package io.github.sshcontainer.benchmarks;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import io.github.sshcontainer.tunnel.RemoteEndpoint;
import io.github.sshcontainer.tunnel.SshConnector;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.Tunnel;

/**
 * {@code java -jar benchmarks.jar soak [--minutes 5] [--restart-every 60] [--workers 16]}: one {@link Tunnel} (local
 * unix socket) to {@link BenchServer} through a real OpenSSH sshd; workers loop verified requests of random size (up
 * to 4 MiB) while sshd and its per-connection processes are SIGKILLed every {@code restart-every} seconds and
 * started again on the same port with the same host key about 3 s later. Passes when no complete answer was wrong,
 * every failure ended within {@value #FAILURE_WINDOW_MS} ms of a kill, requests succeeded again within
 * {@value #RECOVERY_MS} ms of each restart, no request hung, and file descriptors and threads came back to the start.
 */
final class Soak {
    static final long FAILURE_WINDOW_MS = 10_000;
    static final long RECOVERY_MS = 2_000;
    static final long HANG_MS = 30_000;
    static final int FD_SLACK = 16;
    static final int THREAD_SLACK = 8;
    static final Duration DOWN = Duration.ofSeconds(3);

    /** What to run. */
    record Options(Duration duration, Duration restartEvery, int workers) {
    }

    /** One kill and restart, in milliseconds since the workers started; recovery -1 until a request succeeded. */
    record Restart(long killedAt, long upAt, long recovery) {
    }

    private final Options options;
    private final PrintStream log;
    private final ConcurrentLinkedQueue<long[]> oks = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Long> failures = new ConcurrentLinkedQueue<>();
    private final AtomicLong ok = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong exceptions = new AtomicLong();
    private final AtomicLong earlyEnds = new AtomicLong();
    private final AtomicLong wrong = new AtomicLong();
    private final AtomicLong hung = new AtomicLong();
    private long t0;
    private volatile boolean workersDone;
    private final AtomicReference<Sshd> sshd = new AtomicReference<>();
    private volatile Path dir;
    private boolean cleaned;

    Soak(Options options, PrintStream log) {
        this.options = options;
        this.log = log;
    }

    static void main(String[] args) throws Exception {
        Options o = Args.parseOrExit("benchmarks soak", args, Soak::parse, usage());
        if (o == null) {
            return;
        }
        Soak soak = new Soak(o, System.err);
        // Ctrl-C must not leave sshd running or the keys behind
        Thread hook = new Thread(soak::cleanUp, "soak-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        Summary s = soak.run();
        Runtime.getRuntime().removeShutdownHook(hook);
        s.print(System.out);
        System.exit(s.passed() ? 0 : 1);
    }

    static String usage() {
        return "usage: java -jar benchmarks.jar soak [--minutes 5] [--restart-every 60] [--workers 16]\n"
                + "  kills sshd (SIGKILL, with its per-connection processes) every --restart-every seconds and"
                + " restarts it 3 s later on the same port; exit 0 only if no answer was wrong and all recovered";
    }

    /** The options the arguments ask for; null for --help. */
    static Options parse(String[] args) {
        int minutes = 5;
        int every = 60;
        int workers = 16;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--minutes":
                    minutes = Args.positive(args, ++i, "--minutes");
                    break;
                case "--restart-every":
                    every = Args.positive(args, ++i, "--restart-every");
                    break;
                case "--workers":
                    workers = Args.positive(args, ++i, "--workers");
                    break;
                case "-h":
                case "--help":
                    return null;
                default:
                    throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
            }
        }
        if (every <= DOWN.toSeconds()) {
            throw new IllegalArgumentException("--restart-every must be more than " + DOWN.toSeconds()
                    + " seconds (sshd stays down that long), not " + every);
        }
        return new Options(Duration.ofMinutes(minutes), Duration.ofSeconds(every), workers);
    }

    /** Runs the soak; the caller prints the summary. */
    Summary run() throws Exception {
        if (!Sshd.available()) {
            throw new IllegalStateException("OpenSSH is needed: /usr/sbin/sshd, /usr/bin/ssh and /usr/bin/ssh-keygen"
                    + " (apt-get install openssh-server openssh-client)");
        }
        dir = Files.createTempDirectory(Path.of("/tmp"), "sshc-soak-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Map<String, String> machine = Harness.machine();
        machine.put("loadavg-start", loadavg());
        List<Restart> restarts = new ArrayList<>();
        try (ServerProcess server = ServerProcess.start(dir.resolve("sink.sock"))) {
            Sshd.Keys keys = Sshd.Keys.generate(dir.resolve("keys"));
            sshd.set(Sshd.start(keys, "soak"));
            int port = sshd.get().port();
            Path knownHosts = keys.knownHosts("soak", port);
            try (SshConnector connector = SshConnector.create(ColdStart.options(keys, knownHosts, Ciphers.AES_GCM));
                    Tunnel tunnel = Tunnel.to(SshTarget.of(System.getProperty("user.name"), Sshd.HOST, port),
                            RemoteEndpoint.unixSocket(server.socket().toString())).connector(connector)
                            .privateLocalSocket().open()) {
                Path socket = tunnel.localSocket().orElseThrow();
                warmUp(socket);
                long fdStart = fds();
                int threadsStart = threads();
                Set<String> namesStart = threadNames();
                log.printf("soak: %d workers for %d s, sshd killed every %d s (port %d)%n", options.workers(),
                        options.duration().toSeconds(), options.restartEvery().toSeconds(), port);

                t0 = System.nanoTime();
                long end = options.duration().toMillis();
                List<Thread> workers = new ArrayList<>();
                List<AtomicReference<Object[]>> inFlight = new ArrayList<>();
                for (int i = 0; i < options.workers(); i++) {
                    AtomicReference<Object[]> current = new AtomicReference<>();
                    inFlight.add(current);
                    Thread t = new Thread(() -> work(socket, end, current), "soak-worker-" + i);
                    t.setDaemon(true);
                    workers.add(t);
                    t.start();
                }
                Thread watchdog = new Thread(() -> watch(inFlight), "soak-watchdog");
                watchdog.setDaemon(true);
                watchdog.start();

                long every = options.restartEvery().toMillis();
                for (long kill = every; kill + DOWN.toMillis() + RECOVERY_MS + 1_000 <= end; kill += every) {
                    Sshd.sleep(kill - now());
                    long killedAt = now();
                    sshd.get().kill();
                    log.printf("soak: %6.1f s sshd killed%n", killedAt / 1e3);
                    Sshd.sleep(DOWN.toMillis());
                    Sshd fresh = Sshd.startOn(keys, "soak", port);
                    synchronized (this) {
                        if (cleaned) { // Ctrl-C meanwhile
                            fresh.close();
                            throw new IOException("soak interrupted");
                        }
                        sshd.set(fresh);
                    }
                    long upAt = now();
                    log.printf("soak: %6.1f s sshd up again%n", upAt / 1e3);
                    restarts.add(new Restart(killedAt, upAt, -1));
                }
                for (Thread t : workers) {
                    t.join(HANG_MS + Math.max(0, end - now()) + 5_000);
                }
                workersDone = true;
                watchdog.join(5_000);
                Contender.quiesce(List.of(tunnel));
                warmUp(socket);
                long fdEnd = fds();
                int threadsEnd = threads();
                for (int i = 0; i < 20 && (fdEnd > fdStart + FD_SLACK || threadsEnd > threadsStart + THREAD_SLACK); i++) {
                    Sshd.sleep(500); // let closed channels and finished threads go
                    fdEnd = fds();
                    threadsEnd = threads();
                }
                machine.put("loadavg-end", loadavg());
                Set<String> extra = threadNames();
                extra.removeAll(namesStart);
                if (!extra.isEmpty()) {
                    log.println("soak: threads at the end that were not there at the start: " + extra);
                    Thread.getAllStackTraces().forEach((t, stack) -> {
                        if (t.getName().startsWith("Thread-") && stack.length > 0) {
                            log.println("soak:   " + t.getName() + " at " + stack[Math.max(0, stack.length - 3)]);
                        }
                    });
                }
                return new Summary(machine, options, ok.get(), exceptions.get(), earlyEnds.get(), wrong.get(),
                        hung.get(), bytes.get(), withRecovery(restarts), List.copyOf(failures), fdStart, fdEnd, threadsStart,
                        threadsEnd);
            }
        } finally {
            cleanUp();
        }
    }

    /** Stops the sshd of the moment and deletes the private directory (keys, config, logs); idempotent. */
    synchronized void cleanUp() {
        cleaned = true;
        Sshd s = sshd.getAndSet(null);
        if (s != null) {
            s.close();
        }
        if (dir != null && Files.exists(dir)) {
            Harness.deleteTree(dir, log);
        }
    }

    private void work(Path socket, long end, AtomicReference<Object[]> current) {
        SplittableRandom random = new SplittableRandom();
        while (now() < end) {
            long start = now();
            SoakRequest.Done d = SoakRequest.run(socket, random,
                    c -> current.set(new Object[] {c, System.nanoTime()}));
            SoakRequest.Outcome o = d.outcome();
            Object[] mine = current.getAndSet(null);
            long done = now();
            if (mine != null && mine.length == 3) {
                o = null; // the watchdog closed it: hung
            }
            if (o == SoakRequest.Outcome.OK) {
                ok.incrementAndGet();
                bytes.addAndGet(d.size());
                oks.add(new long[] {start, done});
                continue;
            }
            if (o == SoakRequest.Outcome.WRONG) {
                wrong.incrementAndGet();
                log.printf("soak: %6.1f s WRONG answer%n", done / 1e3);
            } else if (o == null) {
                hung.incrementAndGet();
                log.printf("soak: %6.1f s request hung %d ms%n", done / 1e3, done - start);
            } else {
                (o == SoakRequest.Outcome.EARLY_END ? earlyEnds : exceptions).incrementAndGet();
                failures.add(done);
            }
            Sshd.sleep(50); // no busy loop while sshd is down
        }
    }

    /** Closes any connection busy for longer than {@value #HANG_MS} ms (marking it hung). */
    private void watch(List<AtomicReference<Object[]>> inFlight) {
        while (!workersDone) {
            for (AtomicReference<Object[]> r : inFlight) {
                Object[] cur = r.get();
                if (cur != null && cur.length == 2 && System.nanoTime() - (Long) cur[1] > HANG_MS * 1_000_000L
                        && r.compareAndSet(cur, new Object[] {cur[0], cur[1], "hung"})) {
                    ((Conn) cur[0]).close();
                }
            }
            Sshd.sleep(500);
        }
    }

    private List<Restart> withRecovery(List<Restart> restarts) {
        List<Restart> out = new ArrayList<>();
        for (Restart r : restarts) {
            long first = oks.stream().filter(x -> x[0] >= r.upAt()).mapToLong(x -> x[1]).min().orElse(-1);
            out.add(new Restart(r.killedAt(), r.upAt(), first < 0 ? -1 : first - r.upAt()));
        }
        return out;
    }

    /** A few requests before measuring, so lazily started threads and buffers exist at both ends of the run. */
    private void warmUp(Path socket) throws IOException {
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < 4; i++) {
            SoakRequest.Outcome o = SoakRequest.run(socket, random, c -> { }).outcome();
            if (o != SoakRequest.Outcome.OK) {
                throw new IOException("a request through the tunnel failed before/after the soak: " + o);
            }
        }
    }

    private long now() {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    static long fds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    static int threads() {
        return ManagementFactory.getThreadMXBean().getThreadCount();
    }

    static Set<String> threadNames() {
        return Thread.getAllStackTraces().keySet().stream().map(t -> t.getName() + (t.isDaemon() ? " (daemon)" : ""))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    static String loadavg() {
        try {
            String[] w = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return w[0] + " " + w[1] + " " + w[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** The outcome of one soak and its verdict. */
    record Summary(Map<String, String> machine, Options options, long ok, long exceptions, long earlyEnds, long wrong,
            long hung, long bytesOk, List<Restart> restarts, List<Long> failureTimes, long fdStart, long fdEnd, int threadsStart,
            int threadsEnd) {

        long failed() {
            return exceptions + earlyEnds;
        }

        /** Failures that ended outside every kill's window. */
        long strayFailures() {
            return failureTimes.stream().filter(t -> restarts.stream()
                    .noneMatch(r -> t >= r.killedAt() && t <= r.killedAt() + FAILURE_WINDOW_MS)).count();
        }

        long failuresAfter(Restart r) {
            return failureTimes.stream().filter(t -> t >= r.killedAt() && t <= r.killedAt() + FAILURE_WINDOW_MS)
                    .count();
        }

        boolean recovered() {
            return restarts.stream().allMatch(r -> r.recovery() >= 0 && r.recovery() <= RECOVERY_MS);
        }

        boolean fdsBack() {
            return fdEnd <= fdStart + FD_SLACK;
        }

        boolean threadsBack() {
            return threadsEnd <= threadsStart + THREAD_SLACK;
        }

        boolean passed() {
            return wrong == 0 && hung == 0 && strayFailures() == 0 && recovered() && fdsBack() && threadsBack()
                    && ok > 0;
        }

        void print(PrintStream out) {
            out.println();
            out.println("Machine: " + machine);
            out.printf("Soak: %d s, %d workers, sshd SIGKILLed every %d s, down %d s%n%n",
                    options.duration().toSeconds(), options.workers(), options.restartEvery().toSeconds(),
                    DOWN.toSeconds());
            out.println("| requests ok | verified | failed (exception / early end) | wrong | hung |");
            out.println("|---:|---:|---:|---:|---:|");
            out.printf("| %d | %.1f GiB | %d (%d / %d) | %d | %d |%n%n", ok, bytesOk / (double) (1L << 30), failed(),
                    exceptions, earlyEnds, wrong, hung);
            out.println("| restart | killed at | up at | failures within 10 s | first success after up |");
            out.println("|---:|---:|---:|---:|---:|");
            for (int i = 0; i < restarts.size(); i++) {
                Restart r = restarts.get(i);
                out.printf("| %d | %.1f s | %.1f s | %d | %s |%n", i + 1, r.killedAt() / 1e3, r.upAt() / 1e3,
                        failuresAfter(r), r.recovery() < 0 ? "never" : r.recovery() + " ms");
            }
            out.println();
            out.printf("| | start | end | slack |%n|---|---:|---:|---:|%n| open fds | %d | %d | %d |%n"
                    + "| live threads | %d | %d | %d |%n%n", fdStart, fdEnd, FD_SLACK, threadsStart, threadsEnd,
                    THREAD_SLACK);
            out.println(check(wrong == 0, "no complete-but-wrong answer"));
            out.println(check(hung == 0, "no request hung (> " + HANG_MS / 1000 + " s)"));
            out.println(check(strayFailures() == 0, "every failure within " + FAILURE_WINDOW_MS / 1000
                    + " s of a kill (" + strayFailures() + " outside)"));
            out.println(check(recovered(), "requests succeed within " + RECOVERY_MS + " ms of each restart"));
            out.println(check(fdsBack() && threadsBack(), "fds and threads back to the start"));
            out.println(passed() ? "SOAK PASSED" : "SOAK FAILED");
            out.println();
            out.println(json());
            out.flush();
        }

        private static String check(boolean ok, String what) {
            return (ok ? "PASS " : "FAIL ") + what;
        }

        String json() {
            String rs = restarts.stream().map(r -> String.format("{\"killedAtMs\":%d,\"upAtMs\":%d,\"recoveryMs\":%d,"
                    + "\"failures\":%d}", r.killedAt(), r.upAt(), r.recovery(), failuresAfter(r)))
                    .collect(Collectors.joining(","));
            String m = machine.entrySet().stream().map(e -> "\"" + e.getKey() + "\":\"" + e.getValue()
                    .replace("\\", "\\\\").replace("\"", "\\\"") + "\"").collect(Collectors.joining(","));
            return String.format("{\"mode\":\"soak\",\"passed\":%b,\"seconds\":%d,\"workers\":%d,"
                    + "\"restartEverySeconds\":%d,\"ok\":%d,\"bytesOk\":%d,\"exceptions\":%d,\"earlyEnds\":%d,\"wrong\":%d,"
                    + "\"hung\":%d,\"strayFailures\":%d,\"fds\":[%d,%d],\"threads\":[%d,%d],\"restarts\":[%s],"
                    + "\"machine\":{%s}}", passed(), options.duration().toSeconds(), options.workers(),
                    options.restartEvery().toSeconds(), ok, bytesOk, exceptions, earlyEnds, wrong, hung, strayFailures(),
                    fdStart, fdEnd, threadsStart, threadsEnd, rs, m);
        }
    }
}
