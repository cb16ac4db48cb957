package io.github.sshcontainer.docker;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

import com.github.dockerjava.transport.DockerHttpClient;
import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.TunnelConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A docker-java {@link DockerHttpClient} that speaks HTTP/1.1 itself over {@link Tunnel#openConnection()}: no local
 * socket file, no port, no third-party HTTP stack.
 *
 * <p><b>Connections.</b> Each request takes an idle connection (one SSH channel) from a small keep-alive pool, or
 * opens a new one; there is no limit on concurrent connections. A connection goes back to the pool when its response
 * body has been read to its end (or, on {@link Response#close()}, when it is a {@code Content-Length} body with at
 * most 64 KiB left, which is then read), the response was HTTP/1.1 and did not say
 * {@code Connection: close}; otherwise it is closed. At most {@code maxIdle} connections are kept. A request on a
 * pooled connection that the daemon had closed meanwhile is sent once more on a new connection, unless its body was a
 * stream (which cannot be replayed).
 *
 * <p><b>Framing.</b> Request bodies known as bytes are sent with {@code Content-Length}, streamed bodies (build
 * contexts, image tars) with {@code Transfer-Encoding: chunked}. Responses are read by {@code Content-Length},
 * chunked encoding, or to the end of the connection.
 *
 * <p><b>Hijacked connections</b> (attach, exec start with stdin): the request says {@code Connection: Upgrade} and
 * {@code Upgrade: tcp}; on {@code 101} (or {@code 200} from daemons that do not upgrade) the response body is the raw
 * stream from the daemon until it closes the connection, reported to docker-java as status 200, and a daemon thread
 * ({@code ssh-container-docker-stdin-N}) copies the request's hijacked input to the daemon. When that input ends the
 * thread half-closes the connection ({@link TunnelConnection#shutdownOutput()}), so the process in the container reads
 * end-of-file on its stdin — {@code cat} ends — while its remaining output still comes back. Closing the response
 * closes the connection and interrupts the thread; the hijacked input itself is never closed (it is the caller's).
 *
 * <p>Timeouts: none; a call waits as long as the daemon takes. {@link Response#close()} from another thread (what
 * docker-java's {@code ResultCallback.close()} does) ends a blocked read.
 */
public final class TunnelDockerHttpClient implements DockerHttpClient {
    /** How many idle connections the pool keeps unless told otherwise. */
    public static final int DEFAULT_MAX_IDLE = 8;

    private static final Logger LOG = LoggerFactory.getLogger(TunnelDockerHttpClient.class);
    private static final int DRAIN_LIMIT = 64 * 1024;
    private static final AtomicLong PUMP_IDS = new AtomicLong();

    /** Where connections come from: {@code tunnel::openConnection}. */
    @FunctionalInterface
    public interface ConnectionSource {
        TunnelConnection open() throws IOException;
    }

    private final ConnectionSource source;
    private final int maxIdle;
    private final Deque<HttpConnection> idle = new ArrayDeque<>();
    private final Set<HttpConnection> inUse = ConcurrentHashMap.newKeySet();
    private final AtomicLong opened = new AtomicLong();
    private final AtomicLong reused = new AtomicLong();
    private volatile boolean closed;

    /** A client over {@code tunnel}'s in-process connections, keeping up to {@link #DEFAULT_MAX_IDLE} idle. */
    public TunnelDockerHttpClient(Tunnel tunnel) {
        this(Objects.requireNonNull(tunnel, "tunnel")::openConnection, DEFAULT_MAX_IDLE);
    }

    /**
     * A client over the connections {@code source} opens.
     *
     * @param maxIdle how many idle connections to keep for reuse; 0 opens one connection per request
     */
    public TunnelDockerHttpClient(ConnectionSource source, int maxIdle) {
        this.source = Objects.requireNonNull(source, "source");
        if (maxIdle < 0) {
            throw new IllegalArgumentException("maxIdle must not be negative");
        }
        this.maxIdle = maxIdle;
    }

    /** How many connections this client has opened. */
    public long connectionsOpened() {
        return opened.get();
    }

    /** How many requests went over a connection taken from the pool. */
    public long connectionsReused() {
        return reused.get();
    }

    /** How many idle connections the pool holds now. */
    public synchronized int idleConnections() {
        return idle.size();
    }

    /**
     * Sends the request and reads the response head; the body streams from {@link Response#getBody()}.
     *
     * @throws UncheckedIOException when the connection fails
     * @throws IllegalStateException after {@link #close()}
     */
    @Override
    public Response execute(Request request) {
        boolean replayable = request.bodyBytes() != null || request.body() == null;
        HttpConnection connection = null;
        try {
            connection = take();
            boolean pooled = connection != null;
            if (!pooled) {
                connection = open();
            }
            try {
                return exchange(connection, request);
            } catch (StaleConnectionException e) {
                discard(connection);
                connection = null;
                if (!pooled || !replayable) {
                    throw e.getCause();
                }
                LOG.debug("a pooled connection was closed by the daemon; sending {} {} again on a new one",
                        request.method(), request.path());
                connection = open();
                try {
                    return exchange(connection, request);
                } catch (StaleConnectionException again) {
                    throw again.getCause();
                }
            }
        } catch (IOException e) {
            if (connection != null) {
                discard(connection);
            }
            throw new UncheckedIOException(request.method() + " " + request.path() + " over the tunnel: "
                    + e.getMessage(), e);
        }
    }

    /** Closes every connection, idle or in use; open responses end with an error. Idempotent. */
    @Override
    public void close() {
        closed = true;
        List<HttpConnection> all;
        synchronized (this) {
            all = new ArrayList<>(idle);
            idle.clear();
        }
        all.addAll(inUse);
        inUse.clear();
        all.forEach(HttpConnection::close);
    }

    private synchronized HttpConnection take() {
        checkOpen();
        while (!idle.isEmpty()) {
            HttpConnection c = idle.pop();
            if (c.isOpen()) {
                inUse.add(c);
                reused.incrementAndGet();
                return c;
            }
            c.close();
        }
        return null;
    }

    private HttpConnection open() throws IOException {
        checkOpen();
        HttpConnection c = new HttpConnection(source.open());
        opened.incrementAndGet();
        inUse.add(c);
        if (closed) { // close() ran meanwhile
            discard(c);
            checkOpen();
        }
        return c;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the Docker HTTP client is closed");
        }
    }

    void release(HttpConnection c) {
        inUse.remove(c);
        synchronized (this) {
            if (!closed && c.isOpen() && idle.size() < maxIdle) {
                idle.push(c);
                return;
            }
        }
        c.close();
    }

    void discard(HttpConnection c) {
        inUse.remove(c);
        c.close();
    }

    private Response exchange(HttpConnection c, Request request) throws IOException {
        InputStream hijacked = request.hijackedInput();
        try {
            writeRequest(c, request, hijacked != null);
        } catch (IOException e) {
            throw new StaleConnectionException(e);
        }
        Head head = readHead(c);
        if (hijacked != null && (head.status == 101 || head.status == 200)) {
            Body body = new Body(this, c, Framing.TO_EOF, 0, false);
            Thread pump = new Thread(() -> pump(hijacked, c), "ssh-container-docker-stdin-" + PUMP_IDS.incrementAndGet());
            pump.setDaemon(true);
            pump.start();
            LOG.debug("{} {}: hijacked ({} {})", request.method(), request.path(), head.status, head.reason);
            return new TunnelResponse(200, head.headers, body, pump);
        }
        Body body = bodyOf(c, request, head);
        return new TunnelResponse(head.status, head.headers, body, null);
    }

    private static void writeRequest(HttpConnection c, Request request, boolean hijack) throws IOException {
        byte[] bytes = request.bodyBytes();
        InputStream stream = bytes == null ? request.body() : null;
        StringBuilder head = new StringBuilder(256);
        head.append(request.method()).append(' ').append(request.path()).append(" HTTP/1.1\r\n");
        boolean host = false;
        for (Map.Entry<String, String> header : request.headers().entrySet()) {
            String name = header.getKey().toLowerCase(Locale.ROOT);
            if (name.equals("content-length") || name.equals("transfer-encoding") || name.equals("connection")
                    || name.equals("upgrade")) {
                continue; // this client frames the body and the connection itself
            }
            host |= name.equals("host");
            head.append(header.getKey()).append(": ").append(header.getValue()).append("\r\n");
        }
        if (!host) {
            head.append("Host: docker\r\n");
        }
        if (hijack) {
            head.append("Connection: Upgrade\r\nUpgrade: tcp\r\n");
        }
        if (bytes != null) {
            head.append("Content-Length: ").append(bytes.length).append("\r\n");
        } else if (stream != null) {
            head.append("Transfer-Encoding: chunked\r\n");
        } else if (!request.method().equals("GET") && !request.method().equals("HEAD")) {
            head.append("Content-Length: 0\r\n");
        }
        head.append("\r\n");
        c.writeAscii(head.toString());
        OutputStream out = c.out();
        if (bytes != null) {
            out.write(bytes);
        } else if (stream != null) {
            try (InputStream in = stream) {
                byte[] buf = new byte[32 * 1024];
                int n;
                while ((n = in.read(buf)) >= 0) {
                    if (n > 0) {
                        c.writeAscii(Integer.toHexString(n) + "\r\n");
                        out.write(buf, 0, n);
                        c.writeAscii("\r\n");
                    }
                }
            }
            c.writeAscii("0\r\n\r\n");
        }
        out.flush();
    }

    private static Head readHead(HttpConnection c) throws IOException {
        while (true) {
            String statusLine;
            try {
                statusLine = c.readLine();
            } catch (IOException e) {
                throw new StaleConnectionException(e);
            }
            if (statusLine == null) {
                throw new StaleConnectionException(new EOFException("the daemon closed the connection without an "
                        + "answer"));
            }
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
                throw new IOException("not an HTTP status line: " + statusLine);
            }
            int status;
            try {
                status = Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                throw new IOException("not an HTTP status line: " + statusLine, e);
            }
            Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            String line;
            while ((line = c.readLine()) != null && !line.isEmpty()) {
                int colon = line.indexOf(':');
                if (colon <= 0) {
                    throw new IOException("not an HTTP header: " + line);
                }
                headers.computeIfAbsent(line.substring(0, colon).trim(), k -> new ArrayList<>())
                        .add(line.substring(colon + 1).trim());
            }
            if (line == null) {
                throw new EOFException("the connection ended inside the HTTP response head");
            }
            if (status >= 100 && status < 200 && status != 101) {
                continue; // 100 Continue and other interim answers
            }
            return new Head(parts[0], status, parts.length > 2 ? parts[2] : "", headers);
        }
    }

    private Body bodyOf(HttpConnection c, Request request, Head head) throws IOException {
        boolean keepAlive = head.version.equals("HTTP/1.1") && !head.hasToken("Connection", "close");
        if (request.method().equals("HEAD") || head.status == 204 || head.status == 304
                || (head.status >= 100 && head.status < 200)) {
            return new Body(this, c, Framing.LENGTH, 0, keepAlive && head.status != 101);
        }
        if (head.hasToken("Transfer-Encoding", "chunked")) {
            return new Body(this, c, Framing.CHUNKED, 0, keepAlive);
        }
        List<String> length = head.headers.get("Content-Length");
        if (length != null && !length.isEmpty()) {
            long n;
            try {
                n = Long.parseLong(length.get(0));
            } catch (NumberFormatException e) {
                throw new IOException("bad Content-Length: " + length.get(0), e);
            }
            return new Body(this, c, Framing.LENGTH, n, keepAlive);
        }
        return new Body(this, c, Framing.TO_EOF, 0, false);
    }

    private static void pump(InputStream stdin, HttpConnection c) {
        byte[] buf = new byte[8192];
        try {
            int n;
            while ((n = stdin.read(buf)) >= 0) {
                if (n > 0) {
                    c.out().write(buf, 0, n);
                    c.out().flush();
                }
            }
            c.shutdownOutput();
            LOG.debug("hijacked input ended; half-closed the connection");
        } catch (IOException e) {
            LOG.debug("hijacked input stopped: {}", e.toString());
        }
    }

    private static final class StaleConnectionException extends IOException {
        private static final long serialVersionUID = 1L;

        StaleConnectionException(IOException cause) {
            super(cause.getMessage(), cause);
        }

        @Override
        public synchronized IOException getCause() {
            return (IOException) super.getCause();
        }
    }

    private static final class Head {
        final String version;
        final int status;
        final String reason;
        final Map<String, List<String>> headers;

        Head(String version, int status, String reason, Map<String, List<String>> headers) {
            this.version = version;
            this.status = status;
            this.reason = reason;
            this.headers = headers;
        }

        boolean hasToken(String header, String token) {
            for (String value : headers.getOrDefault(header, List.of())) {
                for (String t : value.split(",")) {
                    if (t.trim().equalsIgnoreCase(token)) {
                        return true;
                    }
                }
            }
            return false;
        }
    }

    enum Framing { LENGTH, CHUNKED, TO_EOF }

    /**
     * A response body. Reaching its end hands the connection back ({@link #release}) or closes it; closing it early
     * drains what is cheap to drain, else closes the connection. Reads hold a lock; a close from another thread while a
     * read blocks closes the connection, which ends the read.
     */
    static final class Body extends InputStream {
        private final TunnelDockerHttpClient client;
        private final HttpConnection c;
        private final Framing framing;
        private final boolean keepAlive;
        private final ReentrantLock lock = new ReentrantLock();
        private long remaining;
        private boolean chunkStarted;
        private volatile boolean done;
        private volatile boolean closed;

        Body(TunnelDockerHttpClient client, HttpConnection c, Framing framing, long length, boolean keepAlive) {
            this.client = client;
            this.c = c;
            this.framing = framing;
            this.keepAlive = keepAlive;
            this.remaining = length;
            if (framing == Framing.LENGTH && length == 0) {
                finish(true);
            }
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n;
            do {
                n = read(one, 0, 1);
            } while (n == 0);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            lock.lock();
            try {
                if (closed) {
                    throw new IOException("the response body is closed");
                }
                return readLocked(b, off, len);
            } finally {
                lock.unlock();
            }
        }

        private int readLocked(byte[] b, int off, int len) throws IOException {
            if (done) {
                return -1;
            }
            if (len == 0) {
                return 0;
            }
            switch (framing) {
                case TO_EOF: {
                    int n = c.read(b, off, len);
                    if (n < 0) {
                        finish(false);
                    }
                    return n;
                }
                case LENGTH: {
                    int n = c.read(b, off, (int) Math.min(len, remaining));
                    if (n < 0) {
                        finish(false);
                        throw new EOFException("the connection ended " + remaining + " bytes before the response "
                                + "body's end");
                    }
                    remaining -= n;
                    if (remaining == 0) {
                        finish(keepAlive);
                    }
                    return n;
                }
                default: {
                    if (remaining == 0 && !nextChunk()) {
                        finish(keepAlive);
                        return -1;
                    }
                    int n = c.read(b, off, (int) Math.min(len, remaining));
                    if (n < 0) {
                        finish(false);
                        throw new EOFException("the connection ended inside a chunk of the response body");
                    }
                    remaining -= n;
                    return n;
                }
            }
        }

        /** Reads the next chunk's size line; false after the last (empty) chunk and its trailers. */
        private boolean nextChunk() throws IOException {
            if (chunkStarted) {
                String crlf = c.readLine();
                if (crlf == null || !crlf.isEmpty()) {
                    finish(false);
                    throw new IOException("bad chunked encoding: no CRLF after a chunk");
                }
            }
            chunkStarted = true;
            String line = c.readLine();
            if (line == null) {
                finish(false);
                throw new EOFException("the connection ended before the last chunk of the response body");
            }
            int semicolon = line.indexOf(';');
            String hex = (semicolon < 0 ? line : line.substring(0, semicolon)).trim();
            long size;
            try {
                size = Long.parseLong(hex, 16);
            } catch (NumberFormatException e) {
                finish(false);
                throw new IOException("bad chunk size: " + line, e);
            }
            if (size == 0) {
                String trailer;
                while ((trailer = c.readLine()) != null && !trailer.isEmpty()) {
                    // trailers are ignored
                }
                return false;
            }
            remaining = size;
            return true;
        }

        @Override
        public int available() throws IOException {
            if (done || closed) {
                return 0;
            }
            int here = c.available();
            return framing == Framing.TO_EOF ? here : (int) Math.min(here, remaining);
        }

        private void finish(boolean reusable) {
            if (done) {
                return;
            }
            done = true;
            if (reusable) {
                client.release(c);
            } else {
                client.discard(c);
            }
        }

        /** Abandons the body: the connection is closed, whoever reads. */
        void abort() {
            closed = true;
            if (!done) {
                done = true;
                client.discard(c);
            }
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            if (!lock.tryLock()) {
                abort(); // a read is blocked in another thread: closing the connection ends it
                return;
            }
            try {
                closed = true;
                if (!done) {
                    drainOrDiscard();
                }
            } finally {
                lock.unlock();
            }
        }

        private void drainOrDiscard() {
            try {
                // Only a Content-Length body with little left is drained: its bytes are on their way. A chunked
                // body is not, even when bytes are here: its next chunk header may be all that is missing, and a
                // followed stream sends one only when it has news (reading it could block for ever).
                if (keepAlive && framing == Framing.LENGTH && remaining <= DRAIN_LIMIT) {
                    byte[] buf = new byte[8192];
                    while (!done) {
                        if (readLocked(buf, 0, buf.length) < 0) {
                            break;
                        }
                    }
                }
            } catch (IOException e) {
                LOG.debug("draining a response body: {}", e.toString());
            }
            if (!done) {
                done = true;
                client.discard(c);
            }
        }
    }

    private static final class TunnelResponse implements Response {
        private final int status;
        private final Map<String, List<String>> headers;
        private final Body body;
        private final Thread pump;

        TunnelResponse(int status, Map<String, List<String>> headers, Body body, Thread pump) {
            this.status = status;
            this.headers = Collections.unmodifiableMap(headers);
            this.body = body;
            this.pump = pump;
        }

        @Override
        public int getStatusCode() {
            return status;
        }

        @Override
        public Map<String, List<String>> getHeaders() {
            return headers;
        }

        @Override
        public InputStream getBody() {
            return body;
        }

        @Override
        public void close() {
            if (pump != null) {
                body.abort();
                pump.interrupt();
            } else {
                body.close();
            }
        }

        @Override
        public String toString() {
            return "HTTP " + status + " " + headers;
        }
    }
}
