package io.github.sshcontainer.tunnel.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Base of the unix-domain-socket test servers: listens on {@link #path()} in a fresh private (0700) temp dir, runs
 * {@link #handle(SocketChannel)} on a thread of its own for each connection, counts connections, and on
 * {@link #close()} stops accepting, closes every connection and deletes the socket and its directory.
 */
public abstract class UnixSocketServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(UnixSocketServer.class);
    private static final AtomicLong SERVER_IDS = new AtomicLong();

    private final String name;
    private final Path dir;
    private final Path path;
    private final ServerSocketChannel server;
    private final ExecutorService threads;
    private final Set<SocketChannel> connections = ConcurrentHashMap.newKeySet();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * Binds the socket (clients can connect, but nothing is accepted before {@link #startAccepting()});
     * {@code name} names the socket file and the threads.
     *
     * @throws UncheckedIOException if the socket cannot be created
     */
    protected UnixSocketServer(String name) {
        this.name = name + "-" + SERVER_IDS.incrementAndGet();
        AtomicLong threadIds = new AtomicLong();
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, this.name + "-" + threadIds.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            this.dir = TestDirs.createPrivate("uds-");
            this.path = dir.resolve(name + ".sock");
            this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path), 4096);
        } catch (IOException e) {
            threads.shutdownNow();
            throw new UncheckedIOException("cannot start " + this.name, e);
        }
    }

    /**
     * Starts the accept loop. Subclasses call it once, from their factory method, after their constructor
     * has finished (so that {@link #handle(SocketChannel)} never sees a half-built object).
     */
    protected final void startAccepting() {
        threads.execute(this::acceptLoop);
        LOG.debug("{} listening on {}", name, path);
    }

    /** Serves one connection; the caller closes {@code channel} afterwards. Runs on its own thread. */
    protected abstract void handle(SocketChannel channel) throws IOException;

    /** The socket file clients connect to. */
    public Path path() {
        return path;
    }

    /** How many connections were accepted so far. */
    public int accepted() {
        return accepted.get();
    }

    /** How many connections are open right now (accepted, not yet finished). */
    public int active() {
        return active.get();
    }

    private void acceptLoop() {
        while (!closed.get()) {
            SocketChannel channel;
            try {
                channel = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!closed.get()) {
                    LOG.warn("{}: accept failed", name, e);
                }
                return;
            }
            accepted.incrementAndGet();
            active.incrementAndGet();
            connections.add(channel);
            try {
                threads.execute(() -> serve(channel));
            } catch (RuntimeException e) { // rejected: we are closing
                finish(channel);
            }
        }
    }

    private void serve(SocketChannel channel) {
        try {
            handle(channel);
        } catch (IOException e) {
            if (!closed.get()) {
                LOG.debug("{}: connection ended with {}", name, e.toString());
            }
        } catch (RuntimeException e) {
            LOG.warn("{}: handler failed", name, e);
        } finally {
            finish(channel);
        }
    }

    private void finish(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        if (connections.remove(channel)) {
            active.decrementAndGet();
        }
    }

    /** Stops accepting, closes every open connection, deletes the socket file and its directory. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("{}: closing the listener", name, e);
        }
        for (SocketChannel c : connections) {
            finish(c);
        }
        threads.shutdownNow();
        try {
            threads.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            TestDirs.deleteRecursively(dir);
        } catch (IOException e) {
            LOG.warn("{}: cannot delete {}", name, dir, e);
        }
    }

    @Override
    public String toString() {
        return name + "[" + path + "]";
    }
}
