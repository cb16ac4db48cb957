package io.github.sshcontainer.tunnel.internal;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One selector thread that accepts local connections and moves their bytes, for any number of connections. Work
 * from other threads is handed in with {@link #execute(Runnable)}; everything else runs on the loop thread.
 *
 * <p>What the local connections send during one round of the loop (every ready socket read once) leaves each SSH
 * connection gathered, in one system call at the end of the round rather than one per request, like OpenSSH's
 * client loop: with many connections each sending small requests, that is most of the cost.
 */
public final class PumpLoop implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(PumpLoop.class);
    private static final ThreadLocal<PumpLoop> CURRENT = new ThreadLocal<>();

    /** Called on the loop thread when a registered channel is ready. */
    public interface Handler {
        void ready(SelectionKey key) throws IOException;

        /** The handler failed or the loop is closing: release everything. */
        void abort(Throwable cause);
    }

    /** How much one read from a local socket takes at most (a few SSH packets). */
    static final int READ_BUFFER = 256 * 1024;

    private final Selector selector;
    /** Direct: a heap buffer would make the JDK read into a temporary direct buffer and copy from it. */
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(READ_BUFFER);
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    /** Loop thread only: the SSH connections this round's writes are gathered on. */
    private final List<SelectorSession> gathering = new ArrayList<>();
    private volatile boolean running = true;

    public PumpLoop(String name) throws IOException {
        this.selector = Selector.open();
        this.thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Runs {@code task} on the loop thread, soon. */
    public void execute(Runnable task) {
        tasks.add(task);
        if (Thread.currentThread() != thread) {
            selector.wakeup();
        }
    }

    /** The loop whose thread calls this; null on any other thread. */
    static PumpLoop current() {
        return CURRENT.get();
    }

    /** Whether the caller is the loop thread. */
    public boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    /**
     * The buffer every handler of this loop reads into; call on the loop thread only, and copy out what was read
     * before returning to the loop.
     */
    ByteBuffer readBuffer() {
        assert inLoop();
        return readBuffer;
    }

    /**
     * Gathers the loop thread's writes on {@code session} until the end of this round; false if they cannot be
     * gathered now (another thread gathers on it). Loop thread only.
     */
    boolean gatherThisRound(SelectorSession session) {
        assert inLoop();
        if (gathering.contains(session)) {
            return true;
        }
        if (!session.gather()) {
            return false;
        }
        gathering.add(session);
        return true;
    }

    private void endRound() {
        for (SelectorSession s : gathering) {
            s.endGathering();
        }
        gathering.clear();
    }

    /** Registers {@code channel} with {@code handler}; call on the loop thread. */
    public SelectionKey register(SelectableChannel channel, int ops, Handler handler) throws ClosedChannelException {
        assert inLoop();
        return channel.register(selector, ops, handler);
    }

    private void run() {
        CURRENT.set(this);
        while (running) {
            try {
                // a task queued from the loop thread itself (e.g. by an already-completed future) must not wait
                // for the select timeout; tasks from other threads call wakeup()
                if (tasks.isEmpty()) {
                    selector.select(1000);
                } else {
                    selector.selectNow();
                }
            } catch (IOException e) {
                LOG.error("selector failed; local connections of this tunnel stop", e);
                break;
            }
            for (Runnable task; (task = tasks.poll()) != null;) {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.warn("tunnel task failed", e);
                }
            }
            Iterator<SelectionKey> it = selector.selectedKeys().iterator();
            while (it.hasNext()) {
                SelectionKey key = it.next();
                it.remove();
                Handler handler = (Handler) key.attachment();
                try {
                    if (key.isValid()) {
                        handler.ready(key);
                    }
                } catch (IOException | RuntimeException e) {
                    handler.abort(e);
                }
            }
            endRound();
        }
        endRound();
        for (SelectionKey key : selector.keys()) {
            ((Handler) key.attachment()).abort(new IOException("tunnel closed"));
        }
        try {
            selector.close();
        } catch (IOException ignored) {
            // nothing left to release
        }
    }

    /** Stops the loop; every registered handler is aborted. Waits briefly for the thread to end. */
    @Override
    public void close() {
        running = false;
        selector.wakeup();
        if (!inLoop()) {
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
