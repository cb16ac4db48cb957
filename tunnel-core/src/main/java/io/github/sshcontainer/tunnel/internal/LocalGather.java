package io.github.sshcontainer.tunnel.internal;

import java.nio.ByteBuffer;

/**
 * Gathers, on an SSH I/O thread of the {@link SelectorTransport}, what one read from the SSH connection delivers to a
 * local socket, so that its packets reach the socket in one write (waking the local reader once) instead of one write
 * per 32 KiB packet. The gathered bytes go out after each read ({@link SelectorSession}), and before a link's EOF or
 * close is passed on. One per I/O thread; used on that thread only.
 */
final class LocalGather {
    private static final ThreadLocal<LocalGather> CURRENT = new ThreadLocal<>();
    /** Like the read buffer: one SSH read carries at most about this much data. */
    static final int SIZE = SelectorLoop.READ_BUFFER;

    private ByteBuffer buffer;
    private SocketLink owner;

    /** The calling I/O thread's gather; null on other threads (MINA's NIO2 threads, the pump loop). */
    static LocalGather current() {
        return CURRENT.get();
    }

    /** Makes a gather the calling thread's own; called once by each I/O thread. */
    static LocalGather install() {
        LocalGather gather = new LocalGather();
        CURRENT.set(gather);
        return gather;
    }

    /** Takes {@code len} bytes for {@code link}, after what it gathered before; another link's bytes go out first. */
    void add(SocketLink link, byte[] data, int off, int len) {
        if (owner != null && (owner != link || buffer.remaining() < len)) {
            flush();
        }
        if (len > SIZE) {
            link.write(ByteBuffer.wrap(data, off, len));
            return;
        }
        if (buffer == null) {
            buffer = ByteBuffer.allocateDirect(SIZE); // only a client that forwards local sockets gets one
        }
        owner = link;
        buffer.put(data, off, len);
    }

    /** Writes what was gathered, if it is {@code link}'s. */
    void flush(SocketLink link) {
        if (owner == link) {
            flush();
        }
    }

    /** Writes what was gathered to its link's socket (which queues what it cannot take now). */
    void flush() {
        if (owner == null) {
            return;
        }
        SocketLink link = owner;
        owner = null;
        buffer.flip();
        try {
            link.write(buffer);
        } finally {
            buffer.clear();
        }
    }
}
