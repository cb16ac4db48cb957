package io.github.sshcontainer.docker;

import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

import io.github.sshcontainer.tunnel.TunnelConnection;

/**
 * One HTTP/1.1 connection over a {@link TunnelConnection}: a buffered reader with line reads and a non-blocking
 * {@link #available()}, and a buffered writer. Not thread-safe except that {@link #close()} may be called from any
 * thread (it ends a blocked read).
 */
final class HttpConnection {
    private static final int MAX_LINE = 16 * 1024;

    private final TunnelConnection connection;
    private final InputStream raw;
    private final OutputStream out;
    private final byte[] buffer = new byte[16 * 1024];
    private int pos;
    private int limit;
    private volatile boolean closed;

    HttpConnection(TunnelConnection connection) {
        this.connection = connection;
        this.raw = connection.inputStream();
        this.out = new BufferedOutputStream(connection.outputStream(), 16 * 1024);
    }

    OutputStream out() {
        return out;
    }

    /** Half-closes the connection after flushing what is buffered. */
    void shutdownOutput() throws IOException {
        out.flush();
        connection.shutdownOutput();
    }

    boolean isOpen() {
        return !closed && connection.isOpen();
    }

    void close() {
        closed = true;
        connection.close();
    }

    /** Whether bytes are here now: buffered, or received and waiting in the channel. */
    int available() throws IOException {
        int buffered = limit - pos;
        return buffered > 0 ? buffered : raw.available();
    }

    /** -1 at end of stream. */
    int read() throws IOException {
        if (pos == limit && !fill()) {
            return -1;
        }
        return buffer[pos++] & 0xff;
    }

    /** Up to {@code len} bytes, -1 at end of stream; blocks only when nothing is buffered. */
    int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (pos == limit) {
            if (len >= buffer.length) {
                return raw.read(b, off, len);
            }
            if (!fill()) {
                return -1;
            }
        }
        int n = Math.min(len, limit - pos);
        System.arraycopy(buffer, pos, b, off, n);
        pos += n;
        return n;
    }

    private boolean fill() throws IOException {
        int n = raw.read(buffer, 0, buffer.length);
        if (n <= 0) {
            return false;
        }
        pos = 0;
        limit = n;
        return true;
    }

    /**
     * One line without its CRLF (or LF), as ISO-8859-1; {@code null} at end of stream before any byte.
     *
     * @throws EOFException when the stream ends inside the line
     */
    String readLine() throws IOException {
        StringBuilder line = new StringBuilder();
        while (true) {
            int b = read();
            if (b < 0) {
                if (line.length() == 0) {
                    return null;
                }
                throw new EOFException("the connection ended inside an HTTP line: " + line);
            }
            if (b == '\n') {
                int end = line.length();
                if (end > 0 && line.charAt(end - 1) == '\r') {
                    line.setLength(end - 1);
                }
                return line.toString();
            }
            if (line.length() >= MAX_LINE) {
                throw new IOException("an HTTP line longer than " + MAX_LINE + " bytes");
            }
            line.append((char) b);
        }
    }

    void writeAscii(String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.ISO_8859_1));
    }
}
