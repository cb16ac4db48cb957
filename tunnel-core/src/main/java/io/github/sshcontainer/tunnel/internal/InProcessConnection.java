package io.github.sshcontainer.tunnel.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

import io.github.sshcontainer.tunnel.TunnelConnection;

/**
 * A {@link TunnelConnection} backed directly by a {@link ForwardingChannel}: inbound chunks are queued as they
 * arrive (bounded by the SSH window, which reopens as the reader consumes them), or copied straight into the buffer
 * of a reader that is parked on an empty queue; writes are copied into the
 * channel's {@link ChannelWriter} and leave while the caller goes on (it waits only when a megabyte is queued).
 */
public final class InProcessConnection implements TunnelConnection, ChannelEvents {
    private final StatsCounter stats;
    private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
    private final Object writeLock = new Object();
    private final Input input = new Input();
    private final Output output = new Output();
    private volatile ForwardingChannel channel;
    private int chunkOffset;
    /** A parked reader's buffer the I/O thread fills directly while the queue is empty; null if none. */
    private byte[] target;
    private int targetOff;
    private int targetLen;
    private int targetFilled;
    private boolean remoteEof;
    private boolean closed;
    private boolean lost;
    private boolean counted = true;
    /** {@link #setReadTimeout}: 0 waits forever. */
    private volatile long readTimeoutMillis;
    private final ReplySpin spin;
    /** Counts what a waiting reader waits for (data, EOF, close), so that it can spin on it without the lock. */
    private volatile int arrivals;

    /**
     * @param replySpin how long a reader waiting for the reply to its own write spins before it parks (see
     *        {@link ReplySpin}); zero: never
     */
    public InProcessConnection(StatsCounter stats, Duration replySpin) {
        this.stats = stats;
        this.spin = new ReplySpin(replySpin);
    }

    @Override
    public void bind(ForwardingChannel forwardingChannel) {
        this.channel = forwardingChannel;
    }

    @Override
    public void onData(byte[] data, int off, int len) {
        spin.arrived();
        synchronized (this) {
            if (target != null && chunks.isEmpty()) {
                // a reader is parked on an empty queue: straight into its buffer, one copy instead of two
                int take = Math.min(len, targetLen - targetFilled);
                System.arraycopy(data, off, target, targetOff + targetFilled, take);
                targetFilled += take;
                off += take;
                len -= take;
            }
            if (len > 0) {
                byte[] copy = new byte[len];
                System.arraycopy(data, off, copy, 0, len);
                chunks.add(copy);
            }
            arrivals++;
            notifyAll();
        }
    }

    @Override
    public synchronized void onRemoteEof() {
        remoteEof = true;
        arrivals++;
        notifyAll();
    }

    @Override
    public void onClosed(boolean graceful) {
        synchronized (this) {
            if (!remoteEof && !closed) {
                lost = true;
            }
            closed = true;
            arrivals++;
            notifyAll();
        }
        uncount();
    }

    /** Takes this connection off the open count, once (a close, the channel closing, or a failed open). */
    void uncount() {
        synchronized (this) {
            if (!counted) {
                return;
            }
            counted = false;
        }
        stats.closed();
    }

    @Override
    public InputStream inputStream() {
        return input;
    }

    @Override
    public OutputStream outputStream() {
        return output;
    }

    @Override
    public void setReadTimeout(Duration timeout) {
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("read timeout must not be negative");
        }
        readTimeoutMillis = timeout.toMillis() == 0 && !timeout.isZero() ? 1 : timeout.toMillis();
    }

    @Override
    public void shutdownOutput() {
        channel.shutdownOutput();
    }

    @Override
    public boolean isOpen() {
        return channel.isOpen() && !channel.isClosing();
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            chunks.clear();
            arrivals++;
            notifyAll();
        }
        channel.writer().closeAfterQueue();
        uncount();
    }

    private int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        int n;
        long timeout = readTimeoutMillis;
        long deadline = timeout == 0 ? 0 : System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeout);
        awaitReplySpinning();
        synchronized (this) {
            n = awaitData(b, off, len, deadline, timeout);
            if (n < 0) {
                return -1;
            }
            // as much as is here and fits: one read (and one window update) per buffer, not per SSH packet
            while (n < len && !chunks.isEmpty()) {
                byte[] head = chunks.peek();
                int take = Math.min(len - n, head.length - chunkOffset);
                System.arraycopy(head, chunkOffset, b, off + n, take);
                n += take;
                chunkOffset += take;
                if (chunkOffset == head.length) {
                    chunks.poll();
                    chunkOffset = 0;
                }
            }
        }
        stats.fromRemote(n);
        channel.consumed(n);
        return n;
    }

    /**
     * Waits until the queue has data or the I/O thread has copied some straight into {@code b}: while this reader is
     * parked on an empty queue its buffer is the {@link #target} (one reader at a time). Returns how many bytes are
     * in {@code b} already (the queue may hold more), or -1 at EOF.
     */
    private int awaitData(byte[] b, int off, int len, long deadline, long timeout) throws IOException {
        if (!chunks.isEmpty()) {
            return 0;
        }
        boolean mine = target == null;
        if (mine) {
            target = b;
            targetOff = off;
            targetLen = len;
            targetFilled = 0;
        }
        try {
            while (chunks.isEmpty() && !(mine && targetFilled > 0)) {
                if (remoteEof) {
                    return -1;
                }
                if (lost) {
                    IOException failure = channel.failure();
                    if (failure != null) {
                        throw new IOException(failure.getMessage(), failure);
                    }
                    throw new IOException("connection lost: the SSH channel to " + channel.endpoint()
                            + " closed before the remote end finished (SSH session lost or remote end reset)");
                }
                if (closed) {
                    throw new IOException("connection is closed");
                }
                try {
                    if (deadline == 0) {
                        wait();
                    } else {
                        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                        if (left <= 0) {
                            throw new SocketTimeoutException("no data from " + channel.endpoint() + " within "
                                    + timeout + " ms");
                        }
                        wait(left);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    if (mine && targetFilled > 0) {
                        break; // bytes already in the caller's buffer are returned, not lost
                    }
                    throw new InterruptedIOException("interrupted while reading from the tunnel");
                }
            }
            return mine ? targetFilled : 0;
        } finally {
            if (mine) {
                target = null;
                targetFilled = 0;
            }
        }
    }

    /** Before parking for a reply to this connection's own write: a short bounded spin, see {@link ReplySpin}. */
    private void awaitReplySpinning() {
        int seen = arrivals;
        synchronized (this) {
            if (!chunks.isEmpty() || remoteEof || closed) {
                return;
            }
        }
        spin.await(() -> arrivals != seen);
    }

    private synchronized int available() {
        int total = 0;
        for (byte[] c : chunks) {
            total += c.length;
        }
        return total - chunkOffset;
    }

    private void write(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return;
        }
        synchronized (writeLock) {
            if (channel.isClosing()) {
                throw new IOException("cannot write: the connection is closed");
            }
            ChannelWriter writer = channel.writer();
            // copied into packets: the bytes leave after this returns, while the caller goes on
            if (!writer.add(b, off, len)) {
                writer.awaitRoom();
            }
            stats.toRemote(len);
        }
        spin.wrote();
    }

    private final class Input extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = InProcessConnection.this.read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            return InProcessConnection.this.read(b, off, len);
        }

        @Override
        public int available() {
            return InProcessConnection.this.available();
        }

        @Override
        public void close() {
            InProcessConnection.this.close();
        }
    }

    private final class Output extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            InProcessConnection.this.write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            InProcessConnection.this.write(b, off, len);
        }

        @Override
        public void close() {
            InProcessConnection.this.close();
        }
    }
}
