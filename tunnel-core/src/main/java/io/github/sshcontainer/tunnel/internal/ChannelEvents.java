package io.github.sshcontainer.tunnel.internal;

import java.io.IOException;

/**
 * What a {@link ForwardingChannel} tells the local side of its connection. Called on MINA's I/O threads, one call at
 * a time per channel, in the order the peer sent them.
 */
public interface ChannelEvents {

    /** The channel these events come from; called once, before it is opened. */
    void bind(ForwardingChannel channel);

    /**
     * Bytes from the remote end. {@code data} is only valid during the call. The receiver must call
     * {@link ForwardingChannel#consumed(long)} once it has passed the bytes on (immediately or later) — that
     * reopens the SSH window, so a slow local reader slows the remote writer instead of filling memory.
     */
    void onData(byte[] data, int off, int len) throws IOException;

    /** The remote end will send no more data (half-close). */
    void onRemoteEof();

    /** The channel is closed; {@code graceful} is false when it ended without the remote side's EOF. */
    void onClosed(boolean graceful);
}
