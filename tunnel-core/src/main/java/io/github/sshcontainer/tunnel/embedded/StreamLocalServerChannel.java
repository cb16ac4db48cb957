package io.github.sshcontainer.tunnel.embedded;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

import org.apache.sshd.client.future.DefaultOpenFuture;
import org.apache.sshd.client.future.OpenFuture;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.channel.Channel;
import org.apache.sshd.common.channel.ChannelFactory;
import org.apache.sshd.common.channel.ChannelOutputStream;
import org.apache.sshd.common.channel.exception.SshChannelOpenException;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.server.channel.AbstractServerChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server side of OpenSSH's {@code direct-streamlocal@openssh.com} channel (OpenSSH PROTOCOL §2.4): the client asks
 * the server to connect to a unix socket on the server's machine and relays the bytes, like {@code direct-tcpip}
 * does for a TCP port. MINA SSHD has no implementation of its own.
 *
 * <p>Each open channel owns one JDK unix {@link SocketChannel} in blocking mode and two daemon threads:
 * <ul>
 *   <li>{@code …-to-channel} reads the socket and writes to the channel through a {@link ChannelOutputStream}
 *       (which blocks while the peer's window is full — that is the back-pressure); on socket EOF it sends
 *       {@code SSH_MSG_CHANNEL_EOF} and keeps the channel open;</li>
 *   <li>{@code …-to-socket} drains a queue filled by {@link #doWriteData} and writes to the socket; only after a
 *       chunk is written is the local window released, so the queue never holds more than the local window, and
 *       the MINA I/O thread never blocks on the socket (blocking it would also stall the window adjustments the
 *       other direction needs: a deadlock once both sides' buffers fill). Remote EOF goes through the same queue
 *       and becomes {@code shutdownOutput()} after the data that preceded it.</li>
 * </ul>
 * The channel closes (gracefully) once both directions have finished, when the peer closes it, or when the socket
 * fails; closing the channel closes the socket, which ends both threads.
 *
 * <p>Usage (what {@link EmbeddedSshServer} does):
 * <pre>{@code
 * List<ChannelFactory> factories = new ArrayList<>(sshd.getChannelFactories());
 * factories.add(new StreamLocalServerChannel.Factory(path -> path.startsWith("/run/user/1000")));
 * sshd.setChannelFactories(factories);
 * }</pre>
 */
final class StreamLocalServerChannel extends AbstractServerChannel {

    /** The channel type name, as OpenSSH sends it in {@code SSH_MSG_CHANNEL_OPEN}. */
    static final String CHANNEL_TYPE = "direct-streamlocal@openssh.com";

    /** Thread names start with this, so tests can see whether any are left. */
    static final String THREAD_NAME_PREFIX = "sshc-streamlocal-";

    private static final Logger LOG = LoggerFactory.getLogger(StreamLocalServerChannel.class);

    /**
     * How long the socket reader may wait for the peer to open its window. MINA's default (30 s) would kill a
     * forward whose consumer is just slow (a paused {@code docker logs -f}); closing the channel still wakes it.
     */
    private static final Duration WAIT_FOR_SPACE = Duration.ofDays(1);

    private static final int READ_BUFFER_SIZE = 32 * 1024;
    private static final AtomicLong SEQUENCE = new AtomicLong();

    /** Queue markers for the socket writer. */
    private static final Object REMOTE_EOF = new Object();
    private static final Object STOP = new Object();

    /**
     * Creates {@link StreamLocalServerChannel}s; add it to {@code SshServer.getChannelFactories()} (a copy: MINA's
     * default list is unmodifiable). Tracks its open channels so that {@link #closeAll()} can stop their threads.
     */
    static final class Factory implements ChannelFactory {
        private final Predicate<Path> socketFilter;
        private final Set<StreamLocalServerChannel> open = ConcurrentHashMap.newKeySet();

        Factory(Predicate<Path> socketFilter) {
            this.socketFilter = Objects.requireNonNull(socketFilter, "socketFilter");
        }

        @Override
        public String getName() {
            return CHANNEL_TYPE;
        }

        @Override
        public Channel createChannel(Session session) {
            StreamLocalServerChannel channel = new StreamLocalServerChannel(socketFilter, this);
            open.add(channel);
            return channel;
        }

        /** Closes the local sockets of all channels still open (their threads then end). */
        void closeAll() {
            for (StreamLocalServerChannel channel : open) {
                channel.stopLocal();
                channel.close(true);
            }
            open.clear();
        }

        int openChannels() {
            return open.size();
        }
    }

    private final Predicate<Path> socketFilter;
    private final Factory owner;
    private final long sequence = SEQUENCE.incrementAndGet();
    private final BlockingQueue<Object> toSocket = new LinkedBlockingQueue<>();
    private final AtomicInteger finishedDirections = new AtomicInteger();
    private final AtomicBoolean stopped = new AtomicBoolean();

    private volatile SocketChannel socket;
    private volatile Path socketPath;
    private volatile ChannelOutputStream toChannel;

    private StreamLocalServerChannel(Predicate<Path> socketFilter, Factory owner) {
        super("", Collections.emptyList(), null);
        this.socketFilter = socketFilter;
        this.owner = owner;
    }

    @Override
    protected OpenFuture doInit(Buffer buffer) {
        // After type, sender channel, window and packet size (read by the connection service and open()):
        String path = buffer.getString();
        String reservedString = buffer.getString();
        long reservedInt = buffer.getUInt();
        LOG.debug("{} open request for unix socket {} (reserved: '{}', {})", this, path, reservedString, reservedInt);

        OpenFuture future = new DefaultOpenFuture(this, futureLock);
        Path target;
        try {
            target = Path.of(path);
        } catch (InvalidPathException e) {
            return refuse(future, SshConstants.SSH_OPEN_ADMINISTRATIVELY_PROHIBITED, "invalid socket path " + path, e);
        }
        if (!target.isAbsolute() || !socketFilter.test(target)) {
            return refuse(future, SshConstants.SSH_OPEN_ADMINISTRATIVELY_PROHIBITED,
                    "forwarding to " + path + " is not permitted", null);
        }

        SocketChannel connected;
        try {
            connected = SocketChannel.open(UnixDomainSocketAddress.of(target));
        } catch (IOException | RuntimeException e) {
            return refuse(future, SshConstants.SSH_OPEN_CONNECT_FAILED,
                    "connect to " + path + " failed: " + describe(e), e);
        }
        socket = connected;
        socketPath = target;
        toChannel = new ChannelOutputStream(this, getRemoteWindow(), WAIT_FOR_SPACE, LOG,
                SshConstants.SSH_MSG_CHANNEL_DATA, false);

        // Data may arrive as soon as the confirmation is out: the writer must exist by then.
        startThread("to-socket", this::pumpToSocket);
        try {
            // The connection service's listener writes SSH_MSG_CHANNEL_OPEN_CONFIRMATION inside this call.
            signalChannelOpenSuccess();
            future.setOpened();
        } catch (Throwable t) {
            LOG.warn("{} failed to confirm the channel open: {}", this, t.toString());
            signalChannelOpenFailure(t);
            future.setException(t);
            stopLocal();
            close(true);
            return future;
        } finally {
            notifyStateChanged("streamlocal-open");
        }
        // Only now may socket data go out as SSH_MSG_CHANNEL_DATA.
        startThread("to-channel", this::pumpToChannel);
        LOG.debug("{} connected to {}", this, target);
        return future;
    }

    private OpenFuture refuse(OpenFuture future, int reason, String message, Throwable cause) {
        // MINA sends only the reason code; the text ends up in our log.
        LOG.info("{} refused: {} ({})", this, message, SshConstants.getOpenErrorCodeName(reason));
        SshChannelOpenException e = new SshChannelOpenException(getChannelId(), reason, message, cause);
        try {
            signalChannelOpenFailure(e);
            future.setException(e);
        } finally {
            close(true);
        }
        return future;
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message;
    }

    private void startThread(String direction, Runnable body) {
        Thread thread = new Thread(body, THREAD_NAME_PREFIX + sequence + "-" + direction);
        thread.setDaemon(true);
        thread.start();
    }

    // ---------------------------------------------------------------- channel -> socket

    @Override
    protected void doWriteData(byte[] data, int off, long len) throws IOException {
        if (len <= 0) {
            return;
        }
        if (stopped.get()) {
            LOG.debug("{} dropping {} bytes: local socket already closed", this, len);
            return;
        }
        // MINA reuses its buffer once we return: copy. The local window was consumed by MINA and is released by
        // the writer thread after the socket took the bytes.
        toSocket.add(Arrays.copyOfRange(data, off, off + Math.toIntExact(len)));
    }

    @Override
    protected void doWriteExtendedData(byte[] data, int off, long len) throws IOException {
        // A client has no stderr to send; accept and drop, keeping the window honest.
        LOG.warn("{} ignoring {} bytes of extended data", this, len);
        getLocalWindow().release(len);
    }

    @Override
    public void handleEof() throws IOException {
        super.handleEof();
        toSocket.add(REMOTE_EOF);
    }

    private void pumpToSocket() {
        try {
            while (true) {
                Object item = toSocket.take();
                if (item == STOP) {
                    return;
                }
                SocketChannel s = socket;
                if (item == REMOTE_EOF) {
                    LOG.debug("{} remote EOF: shutting down output of {}", this, socketPath);
                    s.shutdownOutput();
                    directionFinished();
                    return;
                }
                byte[] chunk = (byte[]) item;
                ByteBuffer bytes = ByteBuffer.wrap(chunk);
                while (bytes.hasRemaining()) {
                    s.write(bytes);
                }
                getLocalWindow().release(chunk.length);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            localFailure("write to", e);
        }
    }

    // ---------------------------------------------------------------- socket -> channel

    private void pumpToChannel() {
        ChannelOutputStream out = toChannel;
        ByteBuffer buffer = ByteBuffer.allocate(READ_BUFFER_SIZE);
        try {
            SocketChannel s = socket;
            while (s.read(buffer) >= 0) {
                out.write(buffer.array(), 0, buffer.position());
                out.flush();
                buffer.clear();
            }
            LOG.debug("{} EOF from {}: sending channel EOF", this, socketPath);
            out.flush();
            sendEof();
            directionFinished();
        } catch (IOException | RuntimeException e) {
            localFailure("read from", e);
        }
    }

    // ---------------------------------------------------------------- closing

    private void directionFinished() {
        if (finishedDirections.incrementAndGet() == 2) {
            LOG.debug("{} both directions finished: closing", this);
            close(false);
        }
    }

    private void localFailure(String what, Exception e) {
        if (stopped.get() || isClosing()) {
            LOG.trace("{} {} {} ended by close: {}", this, what, socketPath, e.toString());
            return;
        }
        LOG.debug("{} {} {} failed: {}", this, what, socketPath, e.toString());
        close(false);
    }

    @Override
    protected void preClose() {
        try {
            super.preClose(); // closes the windows: a reader waiting for window space wakes up
        } finally {
            stopLocal();
            owner.open.remove(this);
        }
    }

    /** Closes the local socket and stops both threads; idempotent. */
    void stopLocal() {
        if (!stopped.compareAndSet(false, true)) {
            return;
        }
        toSocket.clear();
        toSocket.add(STOP);
        SocketChannel s = socket;
        if (s != null) {
            try {
                s.close(); // wakes a thread blocked in read or write
            } catch (IOException e) {
                LOG.debug("{} closing {}: {}", this, socketPath, e.toString());
            }
        }
    }
}
