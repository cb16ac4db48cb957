package io.github.sshcontainer.docker;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.github.sshcontainer.tunnel.testing.UnixSocketServer;

/**
 * A stand-in for a Docker daemon on a unix socket: reads each request's head, records its request line, and
 * answers every request with one fixed HTTP response and closes, or (when {@link #silent()}) never answers.
 */
final class FakeDaemon extends UnixSocketServer {
    private final String response;
    private final List<String> requestLines = new CopyOnWriteArrayList<>();

    private FakeDaemon(String response) {
        super("fake-dockerd");
        this.response = response;
    }

    /** Answers every request with {@code status} and {@code body} (text/plain). */
    static FakeDaemon answering(int status, String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        return start(new FakeDaemon("HTTP/1.1 " + status + " Status " + status + "\r\nContent-Type: text/plain\r\n"
                + "Content-Length: " + b.length + "\r\nConnection: close\r\n\r\n" + body));
    }

    /** Reads requests and never answers. */
    static FakeDaemon silent() {
        return start(new FakeDaemon(null));
    }

    private static FakeDaemon start(FakeDaemon daemon) {
        daemon.startAccepting();
        return daemon;
    }

    /** The request lines received so far, e.g. {@code GET /_ping HTTP/1.1}. */
    List<String> requestLines() {
        return requestLines;
    }

    @Override
    protected void handle(SocketChannel channel) throws IOException {
        StringBuilder head = new StringBuilder();
        ByteBuffer buf = ByteBuffer.allocate(4096);
        while (head.indexOf("\r\n\r\n") < 0) {
            buf.clear();
            if (channel.read(buf) < 0) {
                return;
            }
            head.append(new String(buf.array(), 0, buf.position(), StandardCharsets.ISO_8859_1));
        }
        requestLines.add(head.substring(0, head.indexOf("\r\n")));
        if (response == null) {
            while (channel.read(buf.clear()) >= 0) {
                // say nothing until the client gives up
            }
            return;
        }
        ByteBuffer out = ByteBuffer.wrap(response.getBytes(StandardCharsets.UTF_8));
        while (out.hasRemaining()) {
            channel.write(out);
        }
    }
}
