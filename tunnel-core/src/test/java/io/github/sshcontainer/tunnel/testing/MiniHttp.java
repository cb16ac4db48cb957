package io.github.sshcontainer.tunnel.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A minimal HTTP/1.1 client for tests, over any byte stream pair (a unix socket, a tunnel connection...), so a test
 * can talk to a daemon's REST API without an HTTP library in between. Requests are sent one at a time on the same
 * connection (keep-alive); response bodies are delimited by {@code Content-Length}, {@code chunked} transfer
 * encoding, or the end of the stream.
 *
 * <pre>{@code
 * MiniHttp http = MiniHttp.over(socketChannel, socketChannel);
 * MiniHttp.Response r = http.get("/_ping");       // keep-alive
 * assertEquals(200, r.status());
 * }</pre>
 *
 * <p>Not thread-safe. Not a general client: no redirects, no compression, no {@code Expect: 100-continue} on its
 * own side (interim 1xx responses are skipped), ASCII header values.
 */
public final class MiniHttp {

    /** The {@code Host} header sent with every request; unix-socket daemons ignore it but HTTP/1.1 requires it. */
    public static final String HOST = "docker";

    private static final int MAX_LINE = 64 * 1024;

    private final InputStream in;
    private final OutputStream out;

    private MiniHttp(InputStream in, OutputStream out) {
        this.in = in instanceof BufferedInputStream ? in : new BufferedInputStream(in, 16 * 1024);
        this.out = out;
    }

    /** A client reading responses from {@code in} and writing requests to {@code out}. */
    public static MiniHttp over(InputStream in, OutputStream out) {
        return new MiniHttp(in, out);
    }

    /** A client over channels, e.g. one {@link java.nio.channels.SocketChannel} passed twice. */
    public static MiniHttp over(ReadableByteChannel in, WritableByteChannel out) {
        return new MiniHttp(Channels.newInputStream(in), Channels.newOutputStream(out));
    }

    /** {@code GET path}, keeping the connection open for the next request. */
    public Response get(String path) throws IOException {
        return request("GET", path, Map.of(), null);
    }

    /** {@code GET path} with {@code Connection: close}: the server closes the connection after answering. */
    public Response getAndClose(String path) throws IOException {
        return request("GET", path, Map.of("Connection", "close"), null);
    }

    /**
     * Sends one request and reads its response. {@code Host} is added, and {@code Content-Length} when there is a
     * body; {@code headers} may add others (such as {@code Connection: close}).
     */
    public Response request(String method, String path, Map<String, String> headers, byte[] body) throws IOException {
        StringBuilder head = new StringBuilder();
        head.append(method).append(' ').append(path).append(" HTTP/1.1\r\n");
        head.append("Host: ").append(HOST).append("\r\n");
        for (Map.Entry<String, String> h : headers.entrySet()) {
            head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
        }
        if (body != null) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        head.append("\r\n");
        out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
        if (body != null) {
            out.write(body);
        }
        out.flush();
        return readResponse(in, method.equals("HEAD"));
    }

    /**
     * Reads one response from {@code in}, skipping interim (1xx) responses. {@code in} should be buffered: it is
     * read one byte at a time up to the body. Leaves {@code in} at the start of the next response.
     *
     * @param headRequest whether the request was {@code HEAD}, whose response has headers but no body
     */
    public static Response readResponse(InputStream in, boolean headRequest) throws IOException {
        while (true) {
            String statusLine = readLine(in);
            if (statusLine == null) {
                throw new EOFException("connection closed before a response");
            }
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
                throw new IOException("not an HTTP status line: \"" + statusLine + "\"");
            }
            int status;
            try {
                status = Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                throw new IOException("bad status code in \"" + statusLine + "\"", e);
            }
            String reason = parts.length > 2 ? parts[2] : "";
            Map<String, List<String>> headers = readHeaders(in);
            if (status >= 100 && status < 200) {
                continue; // 100 Continue and friends: the real response follows
            }
            byte[] body;
            if (headRequest || status == 204 || status == 304) {
                body = new byte[0];
            } else if (isChunked(headers)) {
                body = readChunked(in);
            } else if (headers.containsKey("content-length")) {
                long length = parseLength(headers.get("content-length"));
                body = in.readNBytes(Math.toIntExact(length));
                if (body.length != length) {
                    throw new EOFException("body ended after " + body.length + " of " + length + " bytes");
                }
            } else {
                body = in.readAllBytes(); // delimited by the end of the connection
            }
            return new Response(status, reason, headers, body);
        }
    }

    private static boolean isChunked(Map<String, List<String>> headers) {
        for (String value : headers.getOrDefault("transfer-encoding", List.of())) {
            for (String coding : value.split(",")) {
                if (coding.trim().equalsIgnoreCase("chunked")) {
                    return true;
                }
            }
        }
        return false;
    }

    private static long parseLength(List<String> values) throws IOException {
        long length = -1;
        for (String value : values) {
            long v;
            try {
                v = Long.parseLong(value.trim());
            } catch (NumberFormatException e) {
                throw new IOException("bad Content-Length: " + value, e);
            }
            if (v < 0 || (length >= 0 && v != length)) {
                throw new IOException("bad Content-Length: " + values);
            }
            length = v;
        }
        return length;
    }

    private static byte[] readChunked(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = readLine(in);
            if (sizeLine == null) {
                throw new EOFException("chunked body ended without the last chunk");
            }
            int semicolon = sizeLine.indexOf(';'); // chunk extensions are ignored
            String hex = (semicolon >= 0 ? sizeLine.substring(0, semicolon) : sizeLine).trim();
            int size;
            try {
                size = Integer.parseInt(hex, 16);
            } catch (NumberFormatException e) {
                throw new IOException("bad chunk size line \"" + sizeLine + "\"", e);
            }
            if (size < 0) {
                throw new IOException("bad chunk size line \"" + sizeLine + "\"");
            }
            if (size == 0) {
                readHeaders(in); // trailers, up to the empty line
                return body.toByteArray();
            }
            byte[] chunk = in.readNBytes(size);
            if (chunk.length != size) {
                throw new EOFException("chunk ended after " + chunk.length + " of " + size + " bytes");
            }
            body.write(chunk);
            String end = readLine(in);
            if (end == null || !end.isEmpty()) {
                throw new IOException("no CRLF after a chunk of " + size + " bytes");
            }
        }
    }

    /** Header lines up to the empty line; names lower-cased, values trimmed, in order. */
    private static Map<String, List<String>> readHeaders(InputStream in) throws IOException {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        while (true) {
            String line = readLine(in);
            if (line == null) {
                throw new EOFException("connection closed in the headers");
            }
            if (line.isEmpty()) {
                return headers;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IOException("bad header line \"" + line + "\"");
            }
            String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            headers.computeIfAbsent(name, k -> new ArrayList<>()).add(line.substring(colon + 1).trim());
        }
    }

    /** One line without its CRLF (or bare LF); null at the end of the stream before any byte. */
    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, n, StandardCharsets.ISO_8859_1);
            }
            if (line.size() >= MAX_LINE) {
                throw new IOException("line longer than " + MAX_LINE + " bytes");
            }
            line.write(b);
        }
        if (line.size() == 0) {
            return null;
        }
        throw new EOFException("connection closed in the middle of a line");
    }

    /**
     * One HTTP response.
     *
     * @param headers by lower-case name, each with its values in the order received
     */
    public record Response(int status, String reason, Map<String, List<String>> headers, byte[] body) {

        public Response {
            Map<String, List<String>> copy = new LinkedHashMap<>();
            headers.forEach((k, v) -> copy.put(k.toLowerCase(Locale.ROOT), List.copyOf(v)));
            headers = Collections.unmodifiableMap(copy);
        }

        /** The first value of header {@code name} (any case). */
        public Optional<String> header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
        }

        /** The body as UTF-8 text. */
        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return "HTTP " + status + " " + reason + " " + headers + " (" + body.length + " bytes)";
        }
    }
}
