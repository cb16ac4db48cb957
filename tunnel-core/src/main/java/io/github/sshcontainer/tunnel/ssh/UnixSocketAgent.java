package io.github.sshcontainer.tunnel.ssh;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import org.apache.sshd.agent.SshAgent;
import org.apache.sshd.agent.common.AbstractAgentProxy;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pure-Java client of an OpenSSH-compatible ssh-agent listening on a unix socket (what {@code SSH_AUTH_SOCK} points
 * to). MINA SSHD's own unix agent client needs the Tomcat APR natives; this one only needs JDK 16+ unix-domain
 * {@link SocketChannel}s.
 *
 * <p>The connection is opened on the first request and kept for the following ones; if the agent went away in between
 * (it was restarted, or it dropped the connection), the next request reconnects once. Requests are sent one at a time
 * per instance. An agent that does not answer within the timeout (30 s by default) fails the request with a
 * {@link SocketTimeoutException} naming the socket. Nothing sent to or received from the agent is logged.
 *
 * <pre>{@code
 * try (UnixSocketAgent agent = new UnixSocketAgent(Path.of(System.getenv("SSH_AUTH_SOCK")))) {
 *     for (Map.Entry<PublicKey, String> id : agent.getIdentities()) {
 *         System.out.println(KeyUtils.getFingerPrint(id.getKey()) + " " + id.getValue());
 *     }
 * }
 * }</pre>
 *
 * Usually it is not created directly but by {@link UnixSocketAgentFactory}, which MINA's client calls during public
 * key authentication.
 */
public class UnixSocketAgent extends AbstractAgentProxy {
    /** How long the agent may take to answer one request. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    /** OpenSSH's ssh-agent refuses messages above 256 KiB ({@code AGENT_MAX_LEN}); so do we. */
    static final int MAX_MESSAGE_LENGTH = 256 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(UnixSocketAgent.class);

    private final Path socketPath;
    private final String source;
    private final Duration timeout;
    /** One request at a time; also guards {@link #connection} changes made by requests. */
    private final Object requestLock = new Object();

    private volatile Connection connection;
    private volatile boolean closed;

    /**
     * An agent at {@code socketPath}, found through {@code SSH_AUTH_SOCK}, with the {@linkplain #DEFAULT_TIMEOUT default
     * timeout}. Nothing is opened until the first request.
     *
     * @param socketPath the agent's unix socket
     */
    public UnixSocketAgent(Path socketPath) {
        this(socketPath, SshAgent.SSH_AUTHSOCKET_ENV_NAME, DEFAULT_TIMEOUT);
    }

    /**
     * @param socketPath the agent's unix socket
     * @param source     where the path came from, for error messages, e.g. {@code SSH_AUTH_SOCK} or
     *                   {@code IdentityAgent}
     * @param timeout    how long one request may wait for the agent's answer; must be positive
     */
    public UnixSocketAgent(Path socketPath, String source, Duration timeout) {
        super(null); // no executor: requests run on the caller's thread
        this.socketPath = Objects.requireNonNull(socketPath, "socketPath");
        this.source = Objects.requireNonNull(source, "source");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        if (timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
    }

    /** @return the agent's unix socket */
    public Path socketPath() {
        return socketPath;
    }

    /** {@code false} once {@link #close()} was called; says nothing about whether the agent is reachable. */
    @Override
    public boolean isOpen() {
        return !closed;
    }

    /**
     * Closes the connection to the agent (if one was opened). A request in progress on another thread fails. Further
     * requests fail; the agent itself keeps running.
     */
    @Override
    public void close() throws IOException {
        closed = true;
        Connection c = connection;
        connection = null;
        if (c != null) {
            c.close();
        }
        super.close();
    }

    /**
     * Sends one request and returns the answer's payload (message type first, without the length).
     *
     * <p>{@link AbstractAgentProxy} hands over the request already framed: a uint32 length followed by the message, in
     * {@code buffer} from {@code rpos} to {@code wpos}. It is written as is.
     */
    @Override
    protected Buffer request(Buffer buffer) throws IOException {
        int length = buffer.available();
        if (length < 5 || (buffer.rawUInt(buffer.rpos()) != length - 4L)) {
            throw new IOException("malformed ssh-agent request: expected a uint32 length of " + (length - 4)
                    + " then the message");
        }
        synchronized (requestLock) {
            ensureNotClosed();
            Connection c = connection;
            if (c != null && c.isOpen()) {
                try {
                    return exchange(c, buffer);
                } catch (StaleConnectionException e) {
                    // the agent dropped the connection while it was idle (restarted, or closes idle clients)
                    LOG.debug("connection to ssh-agent at {} was closed by the agent; reconnecting: {}", socketPath,
                            e.getMessage());
                    discard(c);
                }
            }
            c = connect();
            try {
                return exchange(c, buffer);
            } catch (StaleConnectionException e) {
                throw new IOException(describe() + " closed the connection: " + e.getMessage(), e.getCause());
            }
        }
    }

    private Connection connect() throws IOException {
        SocketChannel channel = null;
        Selector selector = null;
        try {
            channel = SocketChannel.open(UnixDomainSocketAddress.of(socketPath));
            channel.configureBlocking(false);
            selector = Selector.open();
            SelectionKey key = channel.register(selector, 0);
            Connection c = new Connection(channel, selector, key);
            connection = c;
            if (closed) { // close() ran while we were connecting
                discard(c);
                ensureNotClosed();
            }
            LOG.debug("connected to ssh-agent at {} ({})", socketPath, source);
            return c;
        } catch (IOException | RuntimeException e) {
            closeQuietly(selector, e);
            closeQuietly(channel, e);
            if (e instanceof AgentClosedException) {
                throw e;
            }
            throw new IOException("cannot reach ssh-agent at " + socketPath + " (" + source + "): " + reason(e), e);
        }
    }

    /**
     * Writes the request and reads the whole answer within the timeout. On any failure the connection is discarded:
     * after a timeout or an error the byte stream is out of step and must not be reused.
     *
     * @throws StaleConnectionException the agent closed the connection (or it broke) before a single byte of the answer
     *                                  arrived; the request can be retried on a new connection
     */
    private Buffer exchange(Connection c, Buffer request) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean answerStarted = false;
        try {
            ByteBuffer out = ByteBuffer.wrap(request.array(), request.rpos(), request.available());
            while (out.hasRemaining()) {
                if (c.channel.write(out) == 0) {
                    await(c, SelectionKey.OP_WRITE, deadline);
                }
            }

            ByteBuffer header = ByteBuffer.allocate(4);
            if (!readFully(c, header, deadline)) {
                throw new StaleConnectionException("end of stream before the answer", null);
            }
            answerStarted = true;
            long answerLength = Integer.toUnsignedLong(header.getInt(0));
            if (answerLength == 0 || answerLength > MAX_MESSAGE_LENGTH) {
                throw new AgentProtocolException(describe() + " sent an answer of " + answerLength
                        + " bytes (expected 1.." + MAX_MESSAGE_LENGTH + ")");
            }
            byte[] payload = new byte[(int) answerLength];
            if (!readFully(c, ByteBuffer.wrap(payload), deadline)) {
                throw new AgentProtocolException(describe() + " closed the connection in the middle of an answer");
            }
            if (LOG.isTraceEnabled()) { // message types and sizes only, never contents
                LOG.trace("ssh-agent at {}: request type {} ({} bytes) -> answer type {} ({} bytes)", socketPath,
                        request.rawByte(request.rpos() + 4) & 0xFF, request.available(), payload[0] & 0xFF,
                        payload.length);
            }
            return new ByteArrayBuffer(payload);
        } catch (StaleConnectionException | AgentClosedException | AgentProtocolException
                | InterruptedIOException e) { // InterruptedIOException includes our SocketTimeoutException
            discard(c);
            throw e;
        } catch (IOException e) {
            discard(c);
            if (closed) {
                throw new AgentClosedException(describe());
            }
            if (!answerStarted) { // e.g. "Broken pipe": the agent went away
                throw new StaleConnectionException(reason(e), e);
            }
            throw new IOException("I/O error talking to " + describe() + ": " + reason(e), e);
        } catch (ClosedSelectorException | CancelledKeyException e) {
            // close() was called on another thread while we were waiting
            discard(c);
            throw new AgentClosedException(describe());
        }
    }

    /** Reads until {@code into} is full; {@code false} if the stream ended before any byte was read. */
    private boolean readFully(Connection c, ByteBuffer into, long deadline) throws IOException {
        int start = into.position();
        while (into.hasRemaining()) {
            int n = c.channel.read(into);
            if (n < 0) {
                if (into.position() == start) {
                    return false;
                }
                throw new AgentProtocolException(describe() + " closed the connection in the middle of an answer");
            }
            if (n == 0) {
                await(c, SelectionKey.OP_READ, deadline);
            }
        }
        return true;
    }

    private void await(Connection c, int op, long deadline) throws IOException {
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0) {
            throw new SocketTimeoutException(describe() + " did not answer within " + format(timeout));
        }
        if (Thread.currentThread().isInterrupted()) {
            throw new InterruptedIOException("interrupted while waiting for " + describe());
        }
        if (closed) {
            throw new AgentClosedException(describe());
        }
        c.key.interestOps(op);
        c.selector.select(Math.max(1L, TimeUnit.NANOSECONDS.toMillis(remaining)));
        c.selector.selectedKeys().clear();
    }

    private void ensureNotClosed() throws AgentClosedException {
        if (closed) {
            throw new AgentClosedException(describe());
        }
    }

    private void discard(Connection c) {
        if (connection == c) {
            connection = null;
        }
        c.close();
    }

    private String describe() {
        return "ssh-agent at " + socketPath + " (" + source + ")";
    }

    private static String reason(Exception e) {
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }

    private static String format(Duration d) {
        long millis = d.toMillis();
        return millis % 1000 == 0 ? (millis / 1000) + " s" : millis + " ms";
    }

    private static void closeQuietly(AutoCloseable c, Exception failure) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                failure.addSuppressed(e);
            }
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + socketPath + "]";
    }

    /** One open connection to the agent. */
    private static final class Connection {
        final SocketChannel channel;
        final Selector selector;
        final SelectionKey key;

        Connection(SocketChannel channel, Selector selector, SelectionKey key) {
            this.channel = channel;
            this.selector = selector;
            this.key = key;
        }

        boolean isOpen() {
            return channel.isOpen() && selector.isOpen();
        }

        void close() {
            try {
                selector.close(); // wakes up a request waiting in select()
            } catch (IOException e) {
                LOG.debug("closing selector: {}", e.toString());
            }
            try {
                channel.close();
            } catch (IOException e) {
                LOG.debug("closing ssh-agent connection: {}", e.toString());
            }
        }
    }

    /** The agent closed the connection before answering; the request may be retried on a new one. */
    private static final class StaleConnectionException extends IOException {
        private static final long serialVersionUID = 1L;

        StaleConnectionException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The agent broke the protocol; the message already names the agent. */
    private static final class AgentProtocolException extends IOException {
        private static final long serialVersionUID = 1L;

        AgentProtocolException(String message) {
            super(message);
        }
    }

    /** {@link UnixSocketAgent#close()} was called. */
    private static final class AgentClosedException extends IOException {
        private static final long serialVersionUID = 1L;

        AgentClosedException(String agent) {
            super("connection to " + agent + " was closed by this client");
        }
    }
}
