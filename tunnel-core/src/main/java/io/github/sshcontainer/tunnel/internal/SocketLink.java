package io.github.sshcontainer.tunnel.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Joins one accepted local socket to one SSH channel without a thread of its own.
 * <ul>
 * <li>local → remote: the loop reads into its shared (direct) buffer and the channel's {@link ChannelWriter} copies
 * what it read into SSH packets; it stops reading while a megabyte waits there (back-pressure from the SSH
 * window);</li>
 * <li>remote → local: bytes are written to the socket on MINA's thread — on the selector transport's I/O thread,
 * once per SSH read ({@link LocalGather}); what the socket cannot take now is queued and flushed when it becomes
 * writable, and the SSH window reopens only for bytes actually written;</li>
 * <li>EOF passes through both ways as a half-close; the link ends when both directions ended or either side
 * failed.</li>
 * </ul>
 */
final class SocketLink implements ChannelEvents, PumpLoop.Handler {
    private static final Logger LOG = LoggerFactory.getLogger(SocketLink.class);

    private final PumpLoop loop;
    private final SocketChannel socket;
    private final StatsCounter stats;
    private final ArrayDeque<ByteBuffer> pending = new ArrayDeque<>();

    private volatile ForwardingChannel channel;
    private SelectionKey key;
    private boolean localEof;
    private boolean remoteEof;
    private boolean closeAfterFlush;
    private boolean closed;

    SocketLink(PumpLoop loop, SocketChannel socket, StatsCounter stats) {
        this.loop = loop;
        this.socket = socket;
        this.stats = stats;
    }

    @Override
    public void bind(ForwardingChannel forwardingChannel) {
        this.channel = forwardingChannel;
    }

    /** Starts pumping once the channel is open; call on the loop thread. */
    void start() {
        synchronized (this) {
            if (closed) {
                channel.abort();
                return;
            }
        }
        try {
            key = loop.register(socket, SelectionKey.OP_READ, this);
            synchronized (this) {
                if (!pending.isEmpty()) {
                    key.interestOps(key.interestOps() | SelectionKey.OP_WRITE);
                }
            }
        } catch (IOException e) {
            abort(e);
        }
    }

    @Override
    public void ready(SelectionKey k) throws IOException {
        if (k.isWritable()) {
            flush();
        }
        if (k.isValid() && k.isReadable()) {
            readLocal();
        }
    }

    private void readLocal() throws IOException {
        // the loop's buffer, shared by all its links: an idle connection holds no read buffer
        ByteBuffer readBuffer = loop.readBuffer();
        readBuffer.clear();
        int n = socket.read(readBuffer);
        if (n == 0) {
            return;
        }
        if (n < 0) {
            key.interestOps(key.interestOps() & ~SelectionKey.OP_READ);
            localEof = true;
            channel.shutdownOutput();
            finishIfDone();
            return;
        }
        stats.toRemote(n);
        LOG.trace("{} bytes to the channel", n);
        ChannelWriter writer = channel.writer();
        boolean room;
        try {
            readBuffer.flip();
            room = writer.add(readBuffer);
        } catch (IOException e) {
            abort(e);
            return;
        }
        if (!room) {
            // a megabyte waits to be sent: stop reading until it has gone down (back-pressure from the SSH window)
            key.interestOps(key.interestOps() & ~SelectionKey.OP_READ);
            writer.whenRoom(() -> loop.execute(this::resumeReading));
        }
    }

    private void resumeReading() {
        if (key != null && key.isValid()) {
            key.interestOps(key.interestOps() | SelectionKey.OP_READ);
        }
    }

    @Override
    public void onData(byte[] data, int off, int len) {
        LocalGather gather = LocalGather.current();
        if (gather != null) {
            gather.add(this, data, off, len); // written once this SSH read is handed over
        } else {
            write(ByteBuffer.wrap(data, off, len));
        }
    }

    /**
     * Writes {@code src} to the local socket, or queues a copy of what it cannot take now (flushed when it becomes
     * writable); the SSH window reopens for what was written.
     */
    void write(ByteBuffer src) {
        int len = src.remaining();
        int written = 0;
        boolean wantWrite = false;
        synchronized (this) {
            if (closed) {
                return;
            }
            if (pending.isEmpty()) {
                try {
                    while (src.hasRemaining() && socket.write(src) > 0) {
                        // keep writing while the socket takes bytes
                    }
                } catch (IOException e) {
                    loop.execute(() -> abort(e));
                    return;
                }
                written = len - src.remaining();
                if (src.hasRemaining()) {
                    pending.add(copyOf(src));
                    wantWrite = true;
                }
            } else {
                pending.add(copyOf(src));
            }
        }
        if (written > 0) {
            stats.fromRemote(written);
            try {
                channel.consumed(written);
            } catch (IOException e) {
                loop.execute(() -> abort(e));
            }
        }
        if (wantWrite) {
            loop.execute(this::wantWrite);
        }
    }

    private static ByteBuffer copyOf(ByteBuffer src) {
        ByteBuffer copy = ByteBuffer.allocate(src.remaining());
        copy.put(src).flip();
        return copy;
    }

    private void wantWrite() {
        if (key != null && key.isValid()) {
            key.interestOps(key.interestOps() | SelectionKey.OP_WRITE);
        }
    }

    private void flush() throws IOException {
        long written = 0;
        boolean drained;
        synchronized (this) {
            while (!pending.isEmpty()) {
                ByteBuffer b = pending.peek();
                int n = socket.write(b);
                written += n;
                if (b.hasRemaining()) {
                    break;
                }
                pending.poll();
            }
            drained = pending.isEmpty();
            if (drained) {
                key.interestOps(key.interestOps() & ~SelectionKey.OP_WRITE);
            }
        }
        if (written > 0) {
            stats.fromRemote(written);
            channel.consumed(written);
        }
        if (drained) {
            if (closeAfterFlush) {
                closeLocal();
            } else if (remoteEof) {
                shutdownLocalOutput();
                finishIfDone();
            }
        }
    }

    /** Writes what the I/O thread gathered for this link, so that an EOF or close cannot overtake it. */
    private void flushGathered() {
        LocalGather gather = LocalGather.current();
        if (gather != null) {
            gather.flush(this);
        }
    }

    @Override
    public void onRemoteEof() {
        flushGathered();
        loop.execute(() -> {
            remoteEof = true;
            boolean drained;
            synchronized (this) {
                drained = pending.isEmpty();
            }
            if (drained) {
                shutdownLocalOutput();
                finishIfDone();
            }
        });
    }

    @Override
    public void onClosed(boolean graceful) {
        flushGathered();
        loop.execute(() -> {
            boolean drained;
            synchronized (this) {
                drained = pending.isEmpty();
            }
            if (graceful && !drained) {
                closeAfterFlush = true;
            } else {
                closeLocal();
            }
        });
    }

    private void shutdownLocalOutput() {
        try {
            socket.shutdownOutput();
        } catch (IOException e) {
            LOG.debug("half-close of local socket failed: {}", e.toString());
        }
    }

    private void finishIfDone() {
        if (localEof && remoteEof) {
            channel.close(false);
            closeLocal();
        }
    }

    @Override
    public void abort(Throwable cause) {
        LOG.debug("local connection ends: {}", cause.toString());
        if (channel != null) {
            channel.abort();
        }
        closeLocal();
    }

    /** Closes the local socket once; safe from any thread. */
    void closeLocal() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            pending.clear();
        }
        if (key != null) {
            key.cancel();
        }
        try {
            socket.close();
        } catch (IOException ignored) {
            // already gone
        }
        stats.closed();
    }
}
