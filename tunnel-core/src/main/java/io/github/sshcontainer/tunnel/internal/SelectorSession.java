package io.github.sshcontainer.tunnel.internal;

import java.io.IOException;
import java.io.WriteAbortedException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import jdk.net.ExtendedSocketOptions;
import org.apache.sshd.common.future.CloseFuture;
import org.apache.sshd.common.future.DefaultCloseFuture;
import org.apache.sshd.common.io.AbstractIoWriteFuture;
import org.apache.sshd.common.io.IoHandler;
import org.apache.sshd.common.io.IoSession;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.util.Readable;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.closeable.AbstractCloseable;

/**
 * One TCP connection of a {@link SelectorTransport}, as a MINA {@link IoSession}.
 *
 * <ul>
 * <li>Reads happen on the loop thread into the loop's read buffer, handed to {@link IoHandler#messageReceived}
 * right there (no thread hand-off); the socket acknowledges at once ({@code TCP_QUICKACK}, see {@link QuickAckIo}
 * for why).</li>
 * <li>{@link #writeBuffer} writes on the caller's thread while nothing is queued and returns a completed future when
 * the socket took everything; what it cannot take now is queued (the caller's buffer is not copied: MINA's contract
 * is that it stays untouched until the future completes) and flushed by the loop thread when the socket is writable.
 * One lock orders the direct writes and the queue; futures are completed outside it.</li>
 * <li>A thread about to write many packets (a bulk upload, or a round of the pump loop) can {@link #gather} them: they are copied into one
 * direct buffer and leave in one system call per {@link #GATHER_SIZE} instead of one per packet (the copy replaces
 * the one the JDK makes into a temporary direct buffer for every heap buffer it writes).</li>
 * </ul>
 */
final class SelectorSession extends AbstractCloseable implements IoSession, SelectorLoop.Handler {
    /** Reads in a row on one wake-up while they fill the buffer, before other connections get their turn. */
    private static final int READS_PER_WAKEUP = 8;
    private static final AtomicLong IDS = new AtomicLong(1L << 32);
    private static volatile boolean quickAckSupported = true;
    /** The most bytes gathered before they are written (a few SSH packets). */
    static final int GATHER_SIZE = 256 * 1024;

    private final long id = IDS.incrementAndGet();
    private final SelectorConnector service;
    private final IoHandler handler;
    private final SocketChannel channel;
    private final SelectorLoop loop;
    private final SocketAddress localAddress;
    private final SocketAddress remoteAddress;
    private final Map<Object, Object> attributes = new HashMap<>();
    /** Every write the socket took at once answers with this (a completed future keeps no listeners). */
    private final IoWriteFuture written;
    private final Runnable interestUpdate = this::updateInterest;
    private final AtomicBoolean outputShutdown = new AtomicBoolean();

    private final Object writeLock = new Object();
    /** Guarded by {@link #writeLock}. */
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    /** Guarded by {@link #writeLock}: a graceful close waiting for the queue to drain. */
    private DefaultCloseFuture graceful;
    /** Guarded by {@link #writeLock}: the thread whose writes are gathered, and what it gathered (direct). */
    private Thread gatherer;
    private ByteBuffer gathered;
    /** Whether the queue holds something (OP_WRITE wanted); written under {@link #writeLock}. */
    private volatile boolean flushing;
    private volatile boolean readSuspended;
    /** Loop thread only. */
    private SelectionKey key;

    SelectorSession(SelectorConnector service, IoHandler handler, SocketChannel channel, SelectorLoop loop)
            throws IOException {
        this.service = service;
        this.handler = handler;
        this.channel = channel;
        this.loop = loop;
        this.localAddress = channel.getLocalAddress();
        this.remoteAddress = channel.getRemoteAddress();
        this.written = AbstractIoWriteFuture.fulfilled(remoteAddress, Boolean.TRUE);
    }

    /** A queued write (or, with no data, the output shutdown) and its future. */
    private static final class Pending {
        final ByteBuffer data;
        final WriteFuture future;

        Pending(ByteBuffer data, WriteFuture future) {
            this.data = data;
            this.future = future;
        }
    }

    /** A write future completed by this session. */
    static final class WriteFuture extends AbstractIoWriteFuture {
        WriteFuture(Object id) {
            super(id, null);
        }

        void written() {
            setValue(Boolean.TRUE);
        }

        void failed(Throwable cause) {
            setValue(cause);
        }
    }

    /** The I/O loop this connection is read and flushed on. */
    SelectorLoop loop() {
        return loop;
    }

    /** Starts reading with {@code k}, this session's key; loop thread. */
    void start(SelectionKey k) {
        key = k;
        k.attach(this);
        updateInterest();
    }

    @Override
    public long getId() {
        return id;
    }

    @Override
    public SocketAddress getAcceptanceAddress() {
        return null;
    }

    @Override
    public SocketAddress getLocalAddress() {
        return localAddress;
    }

    @Override
    public SocketAddress getRemoteAddress() {
        return remoteAddress;
    }

    @Override
    public SelectorConnector getService() {
        return service;
    }

    @Override
    public Object getAttribute(Object k) {
        synchronized (attributes) {
            return attributes.get(k);
        }
    }

    @Override
    public Object setAttribute(Object k, Object value) {
        synchronized (attributes) {
            return attributes.put(k, value);
        }
    }

    @Override
    public Object setAttributeIfAbsent(Object k, Object value) {
        synchronized (attributes) {
            return attributes.putIfAbsent(k, value);
        }
    }

    @Override
    public Object removeAttribute(Object k) {
        synchronized (attributes) {
            return attributes.remove(k);
        }
    }

    @Override
    public IoWriteFuture writeBuffer(Buffer buffer) throws IOException {
        if (isClosing()) {
            return AbstractIoWriteFuture.fulfilled(remoteAddress, new ClosedChannelException());
        }
        ByteBuffer data = ByteBuffer.wrap(buffer.array(), buffer.rpos(), buffer.available());
        WriteFuture future = null;
        boolean first = false;
        IOException failure = null;
        synchronized (writeLock) {
            try {
                if (gatherer != null && queue.isEmpty()) {
                    if (data.remaining() > gathered.remaining()) {
                        first = writeGathered();
                    }
                    if (queue.isEmpty() && data.remaining() <= gathered.remaining()) {
                        gathered.put(data);
                        if (gatherer != Thread.currentThread()) {
                            // another thread's write does not wait for the gathering one to finish
                            first = writeGathered();
                        }
                    }
                }
                if (queue.isEmpty()) {
                    while (data.hasRemaining() && channel.write(data) > 0) {
                        // the socket takes bytes: go on
                    }
                    if (!data.hasRemaining()) {
                        return written;
                    }
                }
            } catch (IOException e) {
                failure = e;
            }
            if (failure == null) {
                future = new WriteFuture(remoteAddress);
                queue.add(new Pending(data, future));
                first |= !flushing;
                flushing = true;
            }
        }
        if (failure != null) {
            // reported from the loop, after the caller is done: like NIO2, whose failed writes complete later. (A
            // session must not vanish inside MINA's sessionCreated, whose first write can fail at once on loopback
            // when the server has already closed the connection.)
            failedLater(failure);
            return AbstractIoWriteFuture.fulfilled(remoteAddress, failure);
        }
        if (first) {
            requestInterestUpdate();
        }
        return future;
    }

    private void failedLater(IOException failure) {
        if (!loop.execute(() -> exceptionCaught(failure))) {
            close(true);
        }
    }

    /**
     * Gathers the calling thread's writes until {@link #endGathering}; false if another thread gathers now (this
     * one's writes go out as usual, after what was gathered).
     */
    boolean gather() {
        synchronized (writeLock) {
            if (gatherer != null || isClosing()) {
                return false;
            }
            if (gathered == null) {
                gathered = ByteBuffer.allocateDirect(GATHER_SIZE); // only sessions that carry bulk data get one
            }
            gatherer = Thread.currentThread();
            return true;
        }
    }

    /** Writes what this thread gathered since {@link #gather}. */
    void endGathering() {
        boolean first;
        synchronized (writeLock) {
            gatherer = null;
            try {
                first = writeGathered();
            } catch (IOException e) {
                failedLater(e);
                return;
            }
        }
        if (first) {
            requestInterestUpdate();
        }
    }

    /**
     * Writes the gathered bytes; what the socket cannot take now is queued, as a copy. Under {@link #writeLock}.
     *
     * @return whether the queue was empty before (the loop must be asked to flush it)
     */
    private boolean writeGathered() throws IOException {
        if (gathered == null || gathered.position() == 0) {
            return false;
        }
        gathered.flip();
        try {
            while (gathered.hasRemaining() && channel.write(gathered) > 0) {
                // the socket takes bytes: go on
            }
            if (!gathered.hasRemaining()) {
                return false;
            }
            ByteBuffer rest = ByteBuffer.allocate(gathered.remaining());
            rest.put(gathered).flip();
            // the writes it holds were reported done when gathered; nobody waits for this future
            queue.add(new Pending(rest, new WriteFuture(remoteAddress)));
            boolean first = !flushing;
            flushing = true;
            return first;
        } finally {
            gathered.clear();
        }
    }

    @Override
    public void shutdownOutputStream() throws IOException {
        if (!outputShutdown.compareAndSet(false, true)) {
            return;
        }
        IOException failure = null;
        synchronized (writeLock) {
            try {
                if (writeGathered()) {
                    requestInterestUpdate();
                }
            } catch (IOException e) {
                failure = e;
            }
            if (failure == null && !queue.isEmpty()) {
                // after what is queued
                queue.add(new Pending(null, new WriteFuture("shutdown-" + remoteAddress)));
                return;
            }
            try {
                shutdownOutput();
            } catch (IOException e) {
                failure = e;
            }
        }
        if (failure != null) {
            exceptionCaught(failure);
        }
    }

    /** Half-closes the socket; a socket closed meanwhile is not an error (the EOF has nowhere to go). */
    private void shutdownOutput() throws IOException {
        try {
            if (channel.isOpen()) {
                channel.shutdownOutput();
            }
        } catch (ClosedChannelException e) {
            // closed concurrently
        }
    }

    @Override
    public void suspendRead() {
        // applied by the loop before its next read
        readSuspended = true;
    }

    @Override
    public void resumeRead() {
        if (readSuspended) {
            readSuspended = false;
            requestInterestUpdate();
        }
    }

    @Override
    public void ready(SelectionKey k) {
        try {
            int ops = k.readyOps();
            if ((ops & SelectionKey.OP_WRITE) != 0) {
                flush();
            }
            if ((ops & SelectionKey.OP_READ) != 0 && k.isValid()) {
                read();
            }
        } catch (CancelledKeyException e) {
            // closed meanwhile
        }
    }

    @Override
    public void loopClosed() {
        close(true);
    }

    private void read() {
        for (int i = 0; i < READS_PER_WAKEUP; i++) {
            if (readSuspended) {
                updateInterest();
                return;
            }
            if (!channel.isOpen()) {
                return;
            }
            ByteBuffer readBuffer = loop.readBuffer();
            Readable received = loop.received();
            readBuffer.clear();
            int n;
            try {
                n = channel.read(readBuffer);
            } catch (IOException e) {
                exceptionCaught(e);
                return;
            }
            if (n < 0) {
                log.debug("read({}): the server closed the connection", this);
                close(true);
                return;
            }
            if (n == 0) {
                return;
            }
            acknowledgeNow();
            readBuffer.flip();
            try {
                handler.messageReceived(this, received);
            } catch (Throwable e) {
                exceptionCaught(e);
                return;
            } finally {
                // what this read delivered to local sockets leaves in one write per socket
                LocalGather.current().flush();
            }
            if (n < readBuffer.capacity()) {
                return;
            }
        }
    }

    /** Sends the TCP ACK for what was just read now rather than up to 40 ms later (see {@link QuickAckIo}). */
    private void acknowledgeNow() {
        if (!quickAckSupported) {
            return;
        }
        try {
            channel.setOption(ExtendedSocketOptions.TCP_QUICKACK, Boolean.TRUE);
        } catch (UnsupportedOperationException e) {
            quickAckSupported = false;
        } catch (IOException e) {
            // the socket is closing; the next read reports that
        }
    }

    /** Writes what is queued while the socket takes it; loop thread. */
    private void flush() {
        List<WriteFuture> done = new ArrayList<>();
        WriteFuture failed = null;
        IOException failure = null;
        DefaultCloseFuture drainedClose = null;
        synchronized (writeLock) {
            try {
                while (!queue.isEmpty()) {
                    Pending p = queue.peek();
                    if (p.data == null) {
                        shutdownOutput();
                    } else {
                        while (p.data.hasRemaining() && channel.write(p.data) > 0) {
                            // the socket takes bytes: go on
                        }
                        if (p.data.hasRemaining()) {
                            break;
                        }
                    }
                    queue.poll();
                    done.add(p.future);
                }
            } catch (IOException e) {
                failure = e;
                failed = queue.poll().future;
            }
            if (queue.isEmpty()) {
                flushing = false;
                drainedClose = graceful;
                graceful = null;
            }
        }
        for (WriteFuture f : done) {
            f.written();
        }
        if (failure != null) {
            failed.failed(failure);
            exceptionCaught(failure);
            return;
        }
        if (!flushing) {
            updateInterest();
        }
        if (drainedClose != null) {
            finishGracefully(drainedClose);
        }
    }

    /** Asks the loop to apply {@link #updateInterest}. */
    private void requestInterestUpdate() {
        if (loop.inLoop()) {
            updateInterest();
        } else {
            loop.execute(interestUpdate);
        }
    }

    /** Sets the key's interest from the session's state; loop thread only, so that updates cannot be lost. */
    private void updateInterest() {
        SelectionKey k = key;
        if (k == null || !k.isValid()) {
            return;
        }
        int ops = (readSuspended ? 0 : SelectionKey.OP_READ) | (flushing ? SelectionKey.OP_WRITE : 0);
        try {
            if (k.interestOps() != ops) {
                k.interestOps(ops);
            }
        } catch (CancelledKeyException e) {
            // closed meanwhile
        }
    }

    /** Like MINA's NIO2 session: tell the handler (unless already closing), then close now. */
    void exceptionCaught(Throwable cause) {
        if (closeFuture.isClosed()) {
            return;
        }
        if (isOpen() && channel.isOpen()) {
            try {
                handler.exceptionCaught(this, cause);
            } catch (Throwable e) {
                log.debug("exceptionCaught({}): the handler failed on {}: {}", this, cause, e.toString());
            }
        }
        close(true);
    }

    @Override
    protected CloseFuture doCloseGracefully() {
        DefaultCloseFuture f = new DefaultCloseFuture(toString(), futureLock);
        synchronized (writeLock) {
            try {
                if (writeGathered()) {
                    requestInterestUpdate();
                }
            } catch (IOException e) {
                log.debug("doCloseGracefully({}): writing what was gathered failed: {}", this, e.toString());
            }
            if (!queue.isEmpty()) {
                graceful = f; // the flush that drains the queue finishes it
                return f;
            }
        }
        finishGracefully(f);
        return f;
    }

    /** The queue is empty: half-close, then the close goes on (immediately, see AbstractCloseable). */
    private void finishGracefully(DefaultCloseFuture f) {
        try {
            shutdownOutput();
        } catch (IOException e) {
            log.trace("doCloseGracefully({}): half-close failed: {}", this, e.toString());
        }
        f.setClosed();
    }

    @Override
    protected void doCloseImmediately() {
        List<Pending> aborted;
        synchronized (writeLock) {
            aborted = new ArrayList<>(queue);
            queue.clear();
            flushing = false;
            graceful = null;
        }
        for (Pending p : aborted) {
            p.future.failed(new WriteAbortedException("Write request aborted due to immediate session close", null));
        }
        try {
            channel.close();
        } catch (IOException e) {
            log.debug("doCloseImmediately({}): closing the socket failed: {}", this, e.toString());
        }
        loop.wakeup(); // the selector releases the socket on its next round
        service.sessionClosed(this);
        super.doCloseImmediately();
        try {
            handler.sessionClosed(this);
        } catch (Throwable e) {
            log.debug("doCloseImmediately({}): IoHandler#sessionClosed failed: {}", this, e.toString());
        }
        // The attributes stay (unlike NIO2's session, which clears them): a session whose first write failed (the
        // server closed at once, e.g. an HTTP server answering and hanging up) is closed on the loop thread, possibly
        // before MINA's connect listener runs on the caller's thread and looks its SSH session up here; without it
        // the caller got "No session attached" instead of the explanation of what answered.
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[local=" + localAddress + ", remote=" + remoteAddress + "]";
    }
}
