package io.github.sshcontainer.tunnel.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP relay on {@code 127.0.0.1} that delivers every chunk it reads a fixed delay after reading it, in each
 * direction: added latency on a path (one-way delay {@code d}, so every round trip through it takes at least
 * {@code 2d}) for machines whose kernel has no {@code netem}. Each direction has a queue of chunks with their due
 * time and a writer that waits for it, so the order is kept and throughput is not cut (a sleep per read would be).
 * At most {@link #MAX_QUEUED_BYTES} wait per direction; beyond that the reader stops reading, so TCP flow control
 * still works end to end. A half-close is passed on (after the delay) like data; an error on either side closes
 * both.
 *
 * <pre>{@code
 * try (DelayRelay relay = DelayRelay.start(new InetSocketAddress("10.0.0.2", 22), Duration.ofMillis(25))) {
 *     connect to 127.0.0.1:relay.port() // 50 ms more per round trip
 * }
 * }</pre>
 */
public final class DelayRelay implements AutoCloseable {
    /** Bytes that may wait in one direction's queue before the reader blocks. */
    public static final int MAX_QUEUED_BYTES = 4 << 20;
    private static final int CHUNK = 64 * 1024;

    private final InetSocketAddress target;
    private final long delayNanos;
    private final ServerSocket server;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile boolean closed;

    private DelayRelay(InetSocketAddress target, Duration oneWay) throws IOException {
        this.target = target;
        this.delayNanos = oneWay.toNanos();
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    }

    /** Listens on {@code 127.0.0.1:}(ephemeral) and relays each connection to {@code target}, {@code oneWay} late. */
    public static DelayRelay start(InetSocketAddress target, Duration oneWay) {
        if (oneWay.isNegative()) {
            throw new IllegalArgumentException("a delay cannot be negative: " + oneWay);
        }
        try {
            DelayRelay relay = new DelayRelay(target, oneWay);
            thread("delay-relay-accept", relay::acceptLoop).start();
            return relay;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on 127.0.0.1 for a relay to " + target, e);
        }
    }

    /** The port on {@code 127.0.0.1} to connect to. */
    public int port() {
        return server.getLocalPort();
    }

    /** Connections accepted so far. */
    public int accepted() {
        return accepted.get();
    }

    /** Stops listening and cuts every relayed connection. */
    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        sockets.forEach(DelayRelay::closeQuietly);
    }

    @Override
    public String toString() {
        return "DelayRelay[127.0.0.1:" + port() + " -> " + target + ", " + delayNanos / 1_000_000 + " ms each way]";
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            accepted.incrementAndGet();
            sockets.add(client);
            thread("delay-relay-connect", () -> connect(client)).start();
        }
    }

    private void connect(Socket client) {
        Socket upstream = new Socket();
        sockets.add(upstream);
        try {
            upstream.connect(target, 10_000);
            client.setTcpNoDelay(true);
            upstream.setTcpNoDelay(true);
        } catch (IOException e) {
            System.err.println(this + ": cannot connect to " + target + ": " + e);
            closePair(client, upstream);
            return;
        }
        if (closed) {
            closePair(client, upstream);
            return;
        }
        AtomicInteger ended = new AtomicInteger();
        new Direction(client, upstream, ended).start("delay-relay-up");
        new Direction(upstream, client, ended).start("delay-relay-down");
    }

    private void closePair(Socket a, Socket b) {
        closeQuietly(a);
        closeQuietly(b);
        sockets.remove(a);
        sockets.remove(b);
    }

    /** One way through the relay: a reader that stamps and queues chunks, a writer that sends them when due. */
    private final class Direction {
        private final Socket from;
        private final Socket to;
        private final AtomicInteger ended;
        private final BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
        private final Semaphore room = new Semaphore(MAX_QUEUED_BYTES);

        Direction(Socket from, Socket to, AtomicInteger ended) {
            this.from = from;
            this.to = to;
            this.ended = ended;
        }

        void start(String name) {
            thread(name + "-read", this::read).start();
            thread(name + "-write", this::write).start();
        }

        private void read() {
            try {
                InputStream in = from.getInputStream();
                byte[] buf = new byte[CHUNK];
                for (int n; (n = in.read(buf)) >= 0;) {
                    long due = System.nanoTime() + delayNanos;
                    room.acquire(n);
                    queue.put(new Chunk(Arrays.copyOf(buf, n), due));
                }
                queue.put(new Chunk(null, System.nanoTime() + delayNanos)); // EOF, passed on in order
            } catch (IOException e) {
                fail();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail();
            }
        }

        private void write() {
            try {
                OutputStream out = to.getOutputStream();
                while (true) {
                    Chunk c = queue.take();
                    for (long wait; (wait = c.due - System.nanoTime()) > 0;) {
                        LockSupport.parkNanos(wait);
                    }
                    if (c.data == null) {
                        to.shutdownOutput();
                        if (ended.incrementAndGet() == 2) {
                            closePair(from, to);
                        }
                        return;
                    }
                    out.write(c.data);
                    room.release(c.data.length);
                }
            } catch (IOException e) {
                fail();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail();
            }
        }

        /** An error on either side: close both, which also ends the other direction and the other thread here. */
        private void fail() {
            closePair(from, to);
            queue.offer(new Chunk(null, 0)); // wake the writer if it waits; its write then fails on the closed socket
        }
    }

    /** Bytes read at one time and when to deliver them; {@code data == null} is the end of the stream. */
    private static final class Chunk {
        final byte[] data;
        final long due;

        Chunk(byte[] data, long due) {
            this.data = data;
            this.due = due;
        }
    }

    private static Thread thread(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing
        }
    }
}
