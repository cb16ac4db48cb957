package io.github.sshcontainer.tunnel;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * One in-process connection through a tunnel: a duplex byte stream to the remote endpoint, with no local socket
 * file and no port. One SSH channel. Reads block until data, end of stream (the remote side half-closed) or an
 * {@link IOException} (the channel or SSH session was lost).
 *
 * <pre>{@code
 * try (TunnelConnection c = tunnel.openConnection()) {
 *     c.outputStream().write("GET /_ping HTTP/1.0\r\n\r\n".getBytes(US_ASCII));
 *     byte[] reply = c.inputStream().readAllBytes();
 * }
 * }</pre>
 */
public interface TunnelConnection extends Closeable {

    /** Bytes from the remote endpoint. */
    InputStream inputStream();

    /** Bytes to the remote endpoint; a write returns once the bytes are handed to the SSH session. */
    OutputStream outputStream();

    /**
     * How long a read from {@link #inputStream()} may wait for data before it fails with a
     * {@link java.net.SocketTimeoutException} (the connection stays usable, like a socket's {@code SO_TIMEOUT}).
     * Zero (the default) waits without limit.
     *
     * @throws UnsupportedOperationException when this kind of connection cannot time reads out
     */
    default void setReadTimeout(java.time.Duration timeout) {
        throw new UnsupportedOperationException("read timeouts are not supported by " + getClass().getName());
    }

    /** Half-close: the remote end reads end-of-stream, and can still answer. */
    void shutdownOutput() throws IOException;

    /** Whether the channel is still open (not closed by either side, the session not lost). */
    boolean isOpen();

    /** Closes the channel; safe to call more than once. */
    @Override
    void close();
}
