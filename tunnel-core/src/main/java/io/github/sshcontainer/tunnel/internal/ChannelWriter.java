package io.github.sshcontainer.tunnel.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.threads.ThreadUtils;

/**
 * The outbound side of one channel: a bounded queue in front of MINA's async stream, which takes one write at a
 * time.
 *
 * <p>Producers (an application thread, the pump loop) queue chunks and carry on while earlier ones are encrypted and
 * sent; each completed write starts the next one on MINA's I/O thread. Waiting for every write instead cost two
 * thread switches per 32 KiB packet, which on two cores was most of a bulk upload's time. Producers are held back
 * once {@link #HIGH_WATER} bytes wait, until half of that is sent (the SSH window bounds what is in flight beyond
 * that), and small chunks that queued up meanwhile leave together, in one SSH packet.
 *
 * <p>Bytes are copied once, into SSH packet buffers with room left for the header: MINA sends such a buffer as it
 * is (encrypting it in place) when it fits the packet size and the window, instead of copying it into a packet of
 * its own.
 *
 * <p>Like a socket's send buffer: a failed write is reported by the next {@link #add}; a half-close or close
 * requested with bytes still queued happens after they are sent.
 */
public final class ChannelWriter {
    /** Bytes queued before producers wait. */
    static final int HIGH_WATER = 1 << 20;
    /** Bytes queued at which waiting producers go on: one wake-up per half megabyte sent, not one per packet. */
    static final int LOW_WATER = HIGH_WATER / 2;
    /** Queued chunks smaller than this are merged into one write (one SSH packet). */
    private static final int MERGE_LIMIT = 32 * 1024;
    /** Bytes queued from which a write run is gathered into few socket writes; less is sent packet by packet. */
    private static final int GATHER_FROM = 64 * 1024;
    /** The largest packet's data when the server names none (OpenSSH's own default). */
    private static final int DEFAULT_PACKET = 32 * 1024;
    /** Where the data of a {@code SSH_MSG_CHANNEL_DATA} packet starts: header, command, recipient, length. */
    private static final int DATA_OFFSET = SshConstants.SSH_PACKET_HEADER_LEN + 1 + 4 + 4;
    /** How long a close waits for queued bytes to leave (like a socket's linger time). */
    static final java.time.Duration CLOSE_LINGER = java.time.Duration.ofSeconds(10);

    private final ForwardingChannel channel;
    private final ArrayDeque<Buffer> queue = new ArrayDeque<>();
    private long queued;
    private boolean writing;
    private boolean eofAfterQueue;
    private boolean closeAfterQueue;
    private IOException failure;
    private Runnable onRoom;

    ChannelWriter(ForwardingChannel channel) {
        this.channel = channel;
    }

    /**
     * Queues a copy of {@code len} bytes of {@code b} from {@code off}.
     *
     * @return whether there is room for more; if not, wait with {@link #awaitRoom} or {@link #whenRoom}
     * @throws IOException an earlier write failed, or output was shut down
     */
    public boolean add(byte[] b, int off, int len) throws IOException {
        return add(ByteBuffer.wrap(b, off, len));
    }

    /**
     * Queues a copy of the bytes remaining in {@code src} (which this consumes).
     *
     * @return whether there is room for more; if not, wait with {@link #awaitRoom} or {@link #whenRoom}
     * @throws IOException an earlier write failed, or output was shut down
     */
    public boolean add(ByteBuffer src) throws IOException {
        synchronized (this) {
            check();
        }
        List<Buffer> packets = new ArrayList<>(src.remaining() / DEFAULT_PACKET + 1);
        int packetSize = packetSize();
        long total = src.remaining();
        while (src.hasRemaining()) {
            int n = Math.min(src.remaining(), packetSize);
            Buffer packet = newPacket(n);
            src.get(packet.array(), DATA_OFFSET, n);
            packet.wpos(DATA_OFFSET + n);
            packets.add(packet);
        }
        boolean start;
        synchronized (this) {
            check();
            queue.addAll(packets);
            queued += total;
            start = !writing;
            writing = true;
        }
        if (start) {
            pump();
        }
        synchronized (this) {
            return queued < HIGH_WATER;
        }
    }

    /** The most data one packet of this channel carries (what the server accepts). */
    private int packetSize() {
        long remote = channel.getRemoteWindow().getPacketSize();
        return remote <= 0 ? DEFAULT_PACKET : (int) Math.min(remote, MERGE_LIMIT * 4L);
    }

    /**
     * An empty {@code SSH_MSG_CHANNEL_DATA} packet for {@code n} bytes of data, to be put at {@link #DATA_OFFSET};
     * MINA fills in the header when it sends it.
     */
    private Buffer newPacket(int n) {
        // like MINA's own data packets: 12 more than the data, so the session's padding and tag fit as they are
        Buffer packet = channel.getSession().createBuffer(SshConstants.SSH_MSG_CHANNEL_DATA, n + 12);
        packet.rpos(DATA_OFFSET);
        packet.wpos(DATA_OFFSET);
        return packet;
    }

    /** Blocks until the queue is down to the low-water mark. */
    public void awaitRoom() throws IOException {
        synchronized (this) {
            while (queued > LOW_WATER) {
                check();
                if (channel.isClosed()) {
                    throw new IOException("connection lost while writing to " + channel.endpoint());
                }
                try {
                    wait(TimeUnit.SECONDS.toMillis(1));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while writing to the tunnel");
                }
            }
            check();
        }
    }

    /** Runs {@code r} once, when the queue is down to the low-water mark (now, if it is). */
    public void whenRoom(Runnable r) {
        synchronized (this) {
            if (queued > LOW_WATER && failure == null) {
                onRoom = r;
                return;
            }
        }
        r.run();
    }

    /** Sends an SSH EOF once everything queued is written. */
    public void shutdownOutput() {
        boolean now;
        synchronized (this) {
            eofAfterQueue = true;
            now = !writing;
        }
        if (now) {
            channel.getAsyncIn().close(false);
        }
    }

    /**
     * Closes the channel gracefully once everything queued is written; if that takes longer than
     * {@link #CLOSE_LINGER} (the far end stopped reading), aborts it and the rest is dropped.
     */
    public void closeAfterQueue() {
        boolean now;
        synchronized (this) {
            closeAfterQueue = true;
            now = !writing;
            notifyAll(); // a producer waiting for room fails now
        }
        if (now) {
            channel.close(false);
        } else {
            java.util.concurrent.CompletableFuture.delayedExecutor(CLOSE_LINGER.toMillis(), TimeUnit.MILLISECONDS)
                    .execute(() -> {
                        if (!channel.isClosed()) {
                            channel.abort();
                        }
                    });
        }
    }

    /** Bytes queued and not yet written. */
    public synchronized long queued() {
        return queued;
    }

    private void check() throws IOException {
        if (failure != null) {
            throw new IOException(failure.getMessage(), failure);
        }
        if (eofAfterQueue || closeAfterQueue) {
            throw new IOException("cannot write: the connection is " + (closeAfterQueue ? "closed" : "shut down for output"));
        }
    }

    /**
     * Writes queued packets until the queue is empty or a write is still in progress; then its listener goes on. A
     * run of several packets leaves the TCP socket in few system calls (see {@link SelectorSession#gather}).
     */
    private void pump() {
        SelectorSession session = channel.getSession().getIoSession() instanceof SelectorSession s ? s : null;
        SelectorLoop loop = SelectorLoop.current();
        if (session != null && loop != null && loop.gatherThisRound(session)) {
            writeQueued(); // leaves with the rest of the I/O loop's round
            return;
        }
        boolean bulk;
        synchronized (this) {
            bulk = queued >= GATHER_FROM;
        }
        if (session != null && bulk && session.gather()) {
            try {
                writeQueued();
            } finally {
                session.endGathering();
            }
        } else {
            writeQueued();
        }
    }

    private void writeQueued() {
        while (true) {
            Buffer next;
            boolean close;
            boolean eof;
            synchronized (this) {
                next = takeNext();
                close = next == null && closeAfterQueue;
                eof = next == null && eofAfterQueue;
                if (next == null) {
                    writing = false;
                }
            }
            if (next == null) {
                // what waited for the queue to drain: a close, or a half-close
                if (close) {
                    channel.close(false);
                } else if (eof) {
                    channel.getAsyncIn().close(false);
                }
                return;
            }
            IoWriteFuture f;
            int length = next.available();
            try {
                f = ThreadUtils.runAsInternal(next, b -> channel.getAsyncIn().writeBuffer(b));
            } catch (IOException | RuntimeException e) {
                failed(e instanceof IOException io ? io : new IOException(e.toString(), e));
                return;
            }
            if (!f.isDone()) {
                f.addListener(done -> {
                    if (written(done, length)) {
                        pump();
                    }
                });
                return;
            }
            if (!written(f, length)) {
                return;
            }
        }
    }

    /** The next packet, with small queued packets behind it merged in; null if the queue is empty. */
    private Buffer takeNext() {
        Buffer head = queue.poll();
        if (head == null || head.available() >= MERGE_LIMIT || queue.isEmpty()
                || queue.peek().available() + head.available() > MERGE_LIMIT) {
            return head;
        }
        int total = head.available();
        int count = 0;
        for (Buffer c : queue) {
            if (total + c.available() > MERGE_LIMIT) {
                break;
            }
            total += c.available();
            count++;
        }
        Buffer merged = newPacket(total);
        merged.putBuffer(head);
        for (int i = 0; i < count; i++) {
            merged.putBuffer(queue.poll());
        }
        return merged;
    }

    /** Accounts for a finished write; false if it failed (the chain stops). */
    private boolean written(IoWriteFuture f, int length) {
        if (!f.isWritten()) {
            Throwable t = f.getException();
            failed(new IOException("write to " + channel.endpoint() + " failed: " + (t == null ? "channel closed" : t),
                    t));
            return false;
        }
        Runnable room = null;
        synchronized (this) {
            queued -= length;
            if (queued <= LOW_WATER) {
                room = onRoom;
                onRoom = null;
                notifyAll();
            }
        }
        if (room != null) {
            room.run();
        }
        return true;
    }

    private void failed(IOException e) {
        Runnable room;
        synchronized (this) {
            if (failure == null) {
                failure = e;
            }
            queued = 0;
            queue.clear();
            writing = false;
            room = onRoom;
            onRoom = null;
            notifyAll();
        }
        if (room != null) {
            room.run();
        }
    }
}
