package io.github.sshcontainer.benchmarks;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import io.github.sshcontainer.tunnel.RemoteEndpoint;
import io.github.sshcontainer.tunnel.SshConnector;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.Tunnel;

/**
 * Workload 7: N sshd on loopback ports, one JVM holding an in-process tunnel to each (one shared connector), a
 * version call on all of them.
 */
final class Fleet implements AutoCloseable {
    private final List<Sshd> hosts = new ArrayList<>();
    private final List<Tunnel> tunnels = new ArrayList<>();
    private final ExecutorService pool = Executors.newFixedThreadPool(32);
    private SshConnector connector;

    /** What a run saw. */
    static final class Outcome {
        double connectSeconds;
        final List<Double> callMillis = new ArrayList<>();
        double heapPerHostKiB;
        int threads;
        int errors;
        String firstError;
    }

    Outcome run(Sshd.Keys keys, int n, int calls, Path remotePath, Contender.Remote remote) throws Exception {
        List<Future<Sshd>> started = new ArrayList<>();
        ExecutorService starter = Executors.newFixedThreadPool(8);
        try {
            for (int i = 0; i < n; i++) {
                int id = i;
                started.add(starter.submit(() -> Sshd.start(keys, "fleet-" + id)));
            }
            for (Future<Sshd> f : started) {
                hosts.add(f.get());
            }
        } finally {
            starter.shutdown();
        }
        Path knownHosts = keys.knownHosts("fleet", hosts.stream().mapToInt(Sshd::port).toArray());
        Outcome o = new Outcome();
        double heapBefore = Concurrent.usedHeapMiB();
        connector = SshConnector.create(ColdStart.options(keys, knownHosts, Ciphers.AES_GCM));
        long t0 = System.nanoTime();
        List<Future<Tunnel>> opening = new ArrayList<>();
        for (Sshd h : hosts) {
            opening.add(pool.submit(() -> Tunnel.to(SshTarget.of(System.getProperty("user.name"), Sshd.HOST, h.port()),
                    RemoteEndpoint.unixSocket(remotePath.toString())).connector(connector).inProcessOnly().open()));
        }
        for (Future<Tunnel> f : opening) {
            try {
                tunnels.add(f.get());
            } catch (Exception e) {
                o.errors++;
                o.firstError = o.firstError == null ? String.valueOf(e.getCause()) : o.firstError;
            }
        }
        o.connectSeconds = (System.nanoTime() - t0) / 1e9;
        o.heapPerHostKiB = (Concurrent.usedHeapMiB() - heapBefore) * 1024 / Math.max(1, tunnels.size());
        o.threads = ManagementFactory.getThreadMXBean().getThreadCount();
        String path = remote == Contender.Remote.DOCKER ? "/version" : null;
        for (int c = 0; c < calls; c++) {
            long s = System.nanoTime();
            List<Future<?>> all = new ArrayList<>();
            for (Tunnel t : tunnels) {
                all.add(pool.submit(() -> {
                    Exchange x = path != null ? new Exchange.DockerGet(path) : new Exchange.Echo();
                    try (Conn conn = Conn.of(t.openConnection())) {
                        x.start(conn);
                        x.roundTrip(conn);
                    }
                    return null;
                }));
            }
            for (Future<?> f : all) {
                try {
                    f.get();
                } catch (Exception e) {
                    o.errors++;
                    o.firstError = o.firstError == null ? String.valueOf(e.getCause()) : o.firstError;
                }
            }
            o.callMillis.add((System.nanoTime() - s) / 1e6);
        }
        return o;
    }

    @Override
    public void close() {
        pool.shutdownNow();
        tunnels.forEach(Tunnel::close);
        if (connector != null) {
            connector.close();
        }
        hosts.forEach(Sshd::close);
    }
}
