package io.github.sshcontainer.tunnel.internal;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.sshd.client.session.ClientSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where one tunnel's local sockets are accepted and pumped: a share of a {@link SelectorLoop}. Work from other
 * threads is handed in with {@link #execute(Runnable)}; everything else runs on the loop thread.
 *
 * <p>With the selector transport (the default) that loop is the SSH client's own I/O thread: one thread reads the
 * local sockets, seals and writes SSH packets, reads the SSH connection and writes the local sockets — OpenSSH's
 * client loop. A loop of its own for the local side was measured slower on two cores (1 GiB through the local
 * socket, six runs each: uploads 658–737 MiB/s with a thread of its own, 797–1,035 on one thread, OpenSSH's 637–894
 * in the same runs): every window adjust and every full socket moved the work between two threads. With another
 * transport (MINA's NIO2, a {@code ProxyCommand}) the tunnel gets a loop thread of its own.
 *
 * <p>What the local connections send during one round of the loop leaves each SSH connection gathered, in one system
 * call at the end of the round ({@link SelectorLoop#gatherThisRound}).
 */
public final class PumpLoop implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(PumpLoop.class);
    private static final long CLOSE_WAIT_MILLIS = 5000;

    /** Called on the loop thread when a registered channel is ready. */
    public interface Handler {
        void ready(SelectionKey key) throws IOException;

        /** The handler failed or the loop is closing: release everything. */
        void abort(Throwable cause);
    }

    /** How much one read from a local socket takes at most (a few SSH packets). */
    static final int READ_BUFFER = 256 * 1024;

    private final SelectorLoop loop;
    private final boolean ownsLoop;

    private PumpLoop(SelectorLoop loop, boolean ownsLoop) {
        this.loop = loop;
        this.ownsLoop = ownsLoop;
    }

    /**
     * A pump loop on {@code session}'s I/O thread when its transport is the selector transport; else on a thread of
     * its own named {@code name}.
     */
    static PumpLoop forSession(ClientSession session, String name) throws IOException {
        if (session != null && session.getIoSession() instanceof SelectorSession) {
            return new PumpLoop(((SelectorSession) session.getIoSession()).loop(), false);
        }
        return new PumpLoop(new SelectorLoop(name), true);
    }

    /** Runs {@code task} on the loop thread, soon; never, if the loop has ended. */
    public void execute(Runnable task) {
        loop.execute(task);
    }

    /** Whether the caller is the loop thread. */
    public boolean inLoop() {
        return loop.inLoop();
    }

    /**
     * The buffer every handler of this loop reads into; call on the loop thread only, and copy out what was read
     * before returning to the loop.
     */
    ByteBuffer readBuffer() {
        return loop.localReadBuffer();
    }

    /** Registers {@code channel} with {@code handler}; call on the loop thread. */
    public SelectionKey register(SelectableChannel channel, int ops, Handler handler) throws IOException {
        return loop.register(channel, ops, new Registration(handler));
    }

    /** A handler of this pump loop, as the selector loop calls it. */
    private final class Registration implements SelectorLoop.Handler {
        private final Handler handler;

        Registration(Handler handler) {
            this.handler = handler;
        }

        @Override
        public void ready(SelectionKey key) {
            try {
                handler.ready(key);
            } catch (IOException | RuntimeException e) {
                handler.abort(e);
            }
        }

        @Override
        public void loopClosed() {
            handler.abort(new IOException("tunnel closed"));
        }

        PumpLoop owner() {
            return PumpLoop.this;
        }
    }

    /**
     * Stops the loop: every handler registered through it is aborted (on the loop thread). A loop of its own ends; a
     * shared I/O thread goes on with its SSH connections. Waits briefly unless called on the loop thread.
     */
    @Override
    public void close() {
        if (ownsLoop) {
            loop.close();
            return;
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        Runnable abortAll = () -> {
            try {
                loop.forEachKey(k -> {
                    if (k.attachment() instanceof Registration r && r.owner() == this) {
                        k.cancel();
                        r.loopClosed();
                    }
                });
            } finally {
                done.complete(null);
            }
        };
        if (inLoop()) {
            abortAll.run();
            return;
        }
        if (!loop.execute(abortAll)) {
            return; // the I/O thread has ended, and released every key with it
        }
        try {
            done.get(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("the local connections of a tunnel were not released within {} ms on {}", CLOSE_WAIT_MILLIS,
                    loop.threadName());
        }
    }
}
