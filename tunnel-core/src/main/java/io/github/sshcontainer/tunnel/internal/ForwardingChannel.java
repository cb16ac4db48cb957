package io.github.sshcontainer.tunnel.internal;

import java.io.IOException;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

import io.github.sshcontainer.tunnel.RemoteEndpoint;
import org.apache.sshd.client.channel.AsyncCapableClientChannel;
import org.apache.sshd.client.future.DefaultOpenFuture;
import org.apache.sshd.client.future.OpenFuture;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.SshException;
import org.apache.sshd.common.channel.LocalWindow;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.threads.ThreadUtils;

/**
 * One SSH channel to a {@link RemoteEndpoint}: {@code direct-streamlocal@openssh.com} for a unix socket,
 * {@code direct-tcpip} for a TCP address. Outbound bytes go through {@link #writer()}; inbound bytes and the
 * remote EOF are pushed to a {@link ChannelEvents} without an intermediate stream, and the window is reopened only
 * when the receiver says it has passed them on.
 */
public class ForwardingChannel extends AsyncCapableClientChannel {
    /** The window is reopened once a quarter of it was passed on: one adjustment per 512 KiB, not per 100 KiB. */
    private static final int RELEASE_FRACTION = 4;

    private final RemoteEndpoint endpoint;
    private final ChannelWriter writer = new ChannelWriter(this);
    /** Bytes passed on but not yet given back to the SSH window (see {@link #consumed}). */
    private final AtomicLong unreleased = new AtomicLong();
    private volatile ChannelEvents events;
    private volatile boolean detached;

    public ForwardingChannel(RemoteEndpoint endpoint) {
        super(endpoint.channelType(), false);
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        setStreaming(Streaming.Async);
        addCloseFutureListener(f -> {
            ChannelEvents e = events;
            // a channel that never opened reports nothing: whoever opened it learns of the failure from the open
            // (and may retry on another session with the same events), and MINA closes a refused channel before the
            // opener's listener runs when the refusal arrives first
            if (e != null && !detached && openFuture != null && openFuture.isOpened()) {
                e.onClosed(endedCleanly());
            }
        });
    }

    /**
     * Stops reporting this channel's close to its events: for a channel whose open failed and whose events are
     * handed to another channel (a retry on another session).
     */
    public void detach() {
        detached = true;
    }

    /** Whether the channel ended after the remote side's EOF (reported to {@link ChannelEvents#onClosed}). */
    protected boolean endedCleanly() {
        return isEofSignalled();
    }

    /**
     * Why this channel failed, when the remote side said more than "closed" (e.g. a command's exit status and
     * stderr); {@code null} otherwise.
     */
    public IOException failure() {
        return null;
    }

    /** The receiver of this channel's events. */
    protected ChannelEvents events() {
        return events;
    }

    /** Where this channel leads. */
    public RemoteEndpoint endpoint() {
        return endpoint;
    }

    /** Sets the receiver of inbound data; must be called before {@link #open()}. */
    public void setEvents(ChannelEvents events) {
        this.events = Objects.requireNonNull(events, "events");
        events.bind(this);
    }

    @Override
    public synchronized OpenFuture open() throws IOException {
        if (isClosing()) {
            throw new SshException("SSH session is closed");
        }
        openFuture = new DefaultOpenFuture(endpoint, futureLock);
        Session session = getSession();
        Buffer buffer = session.createBuffer(SshConstants.SSH_MSG_CHANNEL_OPEN, 64 + endpoint.toString().length());
        LocalWindow window = getLocalWindow();
        buffer.putString(getChannelType());
        buffer.putUInt(getChannelId());
        buffer.putUInt(window.getSize());
        buffer.putUInt(window.getPacketSize());
        OpenPayload.write(endpoint, buffer);
        writePacket(buffer);
        return openFuture;
    }

    @Override
    protected void doWriteData(byte[] data, int off, long len) throws IOException {
        if (isClosing()) {
            return;
        }
        events.onData(data, off, (int) len);
    }

    @Override
    public void handleEof() throws IOException {
        super.handleEof();
        remoteEof();
    }

    /** Passes the remote EOF on; subclasses may hold it back. */
    protected void remoteEof() {
        events.onRemoteEof();
    }

    /**
     * Reports that {@code len} inbound bytes were passed on, reopening the SSH window. Safe from any thread: the
     * window adjustment is sent as a MINA-internal write so it cannot block behind a key exchange.
     */
    public void consumed(long len) throws IOException {
        if (len <= 0 || isClosing()) {
            return;
        }
        LocalWindow window = getLocalWindow();
        long pending = unreleased.addAndGet(len);
        if (pending < window.getMaxSize() / RELEASE_FRACTION) {
            return;
        }
        long release = unreleased.getAndSet(0);
        if (release <= 0) {
            return;
        }
        ThreadUtils.runAsInternal(window, w -> {
            w.release(release);
            return null;
        });
    }

    /**
     * Ends the channel now, dropping bytes not yet sent, and still tells the server. (MINA's immediate close sends no
     * {@code SSH_MSG_CHANNEL_CLOSE}: sshd would keep the remote socket open until the session ends.)
     */
    public void abort() {
        if (getAsyncIn() != null) {
            getAsyncIn().close(true); // fails a write stuck on the window, so the graceful close below does not wait
        }
        close(false);
    }

    /** Outbound bytes: queued, and written one after another by MINA's I/O threads. */
    public ChannelWriter writer() {
        return writer;
    }

    /** Sends an SSH EOF (local half-close) once all queued outbound data is written. */
    public void shutdownOutput() {
        writer.shutdownOutput();
    }
}
