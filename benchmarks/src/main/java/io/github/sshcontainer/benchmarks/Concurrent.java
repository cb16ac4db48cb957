package io.github.sshcontainer.benchmarks;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Workload 5: many connections open at once, each doing echo round trips. Socket contenders are driven by one
 * selector thread (so the JVM's thread count is the tunnel's, not the load generator's); in-process connections are
 * blocking streams, driven by {@link #WORKERS} threads that each keep a request in flight on all their connections.
 */
final class Concurrent {
    static final int WORKERS = 16;
    private static final int SIZE = Exchange.Echo.SIZE;
    private static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(90);

    /** What one run saw. */
    static final class Outcome {
        int errors;
        long[] nanos;
        int count;
        double seconds;
        int peakThreads;
        int threadsBefore;
        double heapMiB;
        double openSeconds;
        String firstError;
        volatile boolean latencyOn = true;

        synchronized void error(String why) {
            errors++;
            if (firstError == null) {
                firstError = why;
            }
        }

        synchronized void latency(long n) {
            if (count < nanos.length) {
                nanos[count++] = n;
            }
        }
    }

    private Concurrent() {
    }

    static Outcome run(Contender c, int connections, int rounds) throws Exception {
        Outcome o = new Outcome();
        o.nanos = new long[connections * rounds];
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        c.quiesce();
        double heapBefore = usedHeapMiB();
        o.threadsBefore = threads.getThreadCount();
        threads.resetPeakThreadCount();
        Path socket = c.socket(Contender.Remote.SINK);
        if (socket != null) {
            nio(socket, connections, rounds, o);
        } else {
            blocking(c, connections, rounds, o);
        }
        o.peakThreads = threads.getPeakThreadCount();
        o.heapMiB = o.heapMiB - heapBefore;
        c.quiesce(); // the next contender's baseline must not include these connections
        return o;
    }

    private static final class State {
        final SocketChannel ch;
        final ByteBuffer in = ByteBuffer.allocate(SIZE);
        int left;
        long sent;
        boolean dead;

        State(SocketChannel ch, int left) {
            this.ch = ch;
            this.left = left;
        }
    }

    private static void nio(Path socket, int connections, int rounds, Outcome o) throws IOException {
        byte[] payload = Arrays.copyOf(Pattern.block(), SIZE);
        List<State> states = new ArrayList<>();
        try (Selector selector = Selector.open()) {
            long t0 = System.nanoTime();
            for (int i = 0; i < connections; i++) {
                try {
                    // blocking connect: a full listen backlog makes a non-blocking unix connect fail with EAGAIN
                    SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket));
                    ch.configureBlocking(false);
                    writeAll(ch, ByteBuffer.wrap(BenchServer.request("ECHO")));
                    State s = new State(ch, rounds);
                    ch.register(selector, SelectionKey.OP_READ, s);
                    states.add(s);
                } catch (IOException e) {
                    o.error("connect: " + e.getMessage());
                }
            }
            // the first round trip of every connection proves it is open end to end (a tunnel opens its channel
            // after accepting); it is not timed, and the heap is measured with all of them open
            o.latencyOn = false;
            exchange(selector, states, o, payload, 1);
            o.openSeconds = (System.nanoTime() - t0) / 1e9;
            o.heapMiB = usedHeapMiB();
            o.latencyOn = true;
            long start = System.nanoTime();
            exchange(selector, states, o, payload, rounds);
            o.seconds = (System.nanoTime() - start) / 1e9;
        } finally {
            for (State s : states) {
                try {
                    s.ch.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
        }
    }

    /** Runs {@code rounds} echo round trips on every live connection at once, on this thread. */
    private static void exchange(Selector selector, List<State> states, Outcome o, byte[] payload, int rounds)
            throws IOException {
        int active = 0;
        long start = System.nanoTime();
        for (State s : states) {
            if (s.dead) {
                continue;
            }
            s.left = rounds;
            try {
                s.sent = System.nanoTime();
                writeAll(s.ch, ByteBuffer.wrap(payload));
                s.ch.keyFor(selector).interestOps(SelectionKey.OP_READ);
                active++;
            } catch (IOException e) {
                o.error("write: " + e.getMessage());
                s.dead = true;
            }
        }
        while (active > 0) {
            if (System.nanoTime() - start > TIMEOUT_NANOS) {
                for (State s : states) {
                    if (!s.dead && s.left > 0) {
                        o.error("timed out");
                        s.dead = true;
                    }
                }
                return;
            }
            selector.select(1000);
            for (SelectionKey key : selector.selectedKeys()) {
                State s = (State) key.attachment();
                try {
                    int n = s.ch.read(s.in);
                    if (n < 0) {
                        throw new IOException("closed early");
                    }
                    if (s.in.hasRemaining()) {
                        continue;
                    }
                    if (o.latencyOn) {
                        o.latency(System.nanoTime() - s.sent);
                    }
                    if (!Arrays.equals(s.in.array(), payload)) {
                        throw new IOException("echo mismatch");
                    }
                    s.in.clear();
                    if (--s.left == 0) {
                        key.interestOps(0);
                        active--;
                    } else {
                        s.sent = System.nanoTime();
                        writeAll(s.ch, ByteBuffer.wrap(payload));
                    }
                } catch (IOException e) {
                    o.error(e.getMessage());
                    key.cancel();
                    s.dead = true;
                    active--;
                }
            }
            selector.selectedKeys().clear();
        }
    }

    private static void writeAll(SocketChannel ch, ByteBuffer b) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (b.hasRemaining()) {
            if (ch.write(b) == 0) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("write stalled");
                }
                Thread.onSpinWait();
            }
        }
    }

    private static void blocking(Contender c, int connections, int rounds, Outcome o) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(WORKERS);
        List<List<Conn>> shares = new ArrayList<>();
        try {
            long t0 = System.nanoTime();
            List<Future<List<Conn>>> opened = new ArrayList<>();
            for (int w = 0; w < WORKERS; w++) {
                int mine = connections / WORKERS + (w < connections % WORKERS ? 1 : 0);
                opened.add(pool.submit(() -> {
                    List<Conn> list = new ArrayList<>();
                    for (int i = 0; i < mine; i++) {
                        Conn conn = null;
                        try {
                            conn = c.connect(Contender.Remote.SINK);
                            // one untimed round trip proves the connection is open end to end
                            Exchange.Echo first = new Exchange.Echo();
                            first.start(conn);
                            first.roundTrip(conn);
                            list.add(conn);
                        } catch (IOException e) {
                            o.error("connect: " + e.getMessage());
                            if (conn != null) {
                                conn.close();
                            }
                        }
                    }
                    return list;
                }));
            }
            for (Future<List<Conn>> f : opened) {
                shares.add(f.get());
            }
            o.openSeconds = (System.nanoTime() - t0) / 1e9;
            o.heapMiB = usedHeapMiB();
            byte[] payload = Arrays.copyOf(Pattern.block(), SIZE);
            long start = System.nanoTime();
            AtomicInteger unused = new AtomicInteger();
            List<Future<?>> work = new ArrayList<>();
            for (List<Conn> share : shares) {
                work.add(pool.submit(() -> {
                    List<Conn> live = new ArrayList<>(share);
                    long[] sent = new long[live.size()];
                    byte[] in = new byte[SIZE];
                    for (int r = 0; r < rounds && !live.isEmpty(); r++) {
                        for (int i = 0; i < live.size(); i++) {
                            sent[i] = System.nanoTime();
                            try {
                                live.get(i).write(payload);
                            } catch (IOException e) {
                                o.error("write: " + e.getMessage());
                                sent[i] = -1;
                            }
                        }
                        for (int i = 0; i < live.size(); i++) {
                            if (sent[i] < 0) {
                                continue;
                            }
                            try {
                                live.get(i).readFully(in, 0, SIZE);
                                o.latency(System.nanoTime() - sent[i]);
                                if (!Arrays.equals(in, payload)) {
                                    throw new IOException("echo mismatch");
                                }
                            } catch (IOException e) {
                                o.error(e.getMessage());
                                sent[i] = -1;
                            }
                        }
                        for (int i = live.size() - 1; i >= 0; i--) {
                            if (sent[i] < 0) {
                                live.remove(i).close();
                            }
                        }
                    }
                    unused.incrementAndGet();
                    return null;
                }));
            }
            for (Future<?> f : work) {
                f.get(TIMEOUT_NANOS, TimeUnit.NANOSECONDS);
            }
            o.seconds = (System.nanoTime() - start) / 1e9;
        } finally {
            shares.forEach(l -> l.forEach(Conn::close));
            pool.shutdownNow();
        }
    }

    /** Heap in use after a full collection, MiB. */
    static double usedHeapMiB() {
        for (int i = 0; i < 2; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (1024.0 * 1024.0);
    }
}
