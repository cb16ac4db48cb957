package io.github.sshcontainer.tunnel.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * A unix-domain-socket server that echoes every byte back. When a client half-closes (shuts down its output),
 * the server writes whatever is still pending, shuts down its own output and closes the connection, so the
 * client reads EOF. See {@link UnixSocketServer} for the socket path, counters and {@link #close()}.
 */
public final class UnixEchoServer extends UnixSocketServer {

    private UnixEchoServer() {
        super("echo");
    }

    /** Starts an echo server on a socket in a fresh temp dir. */
    public static UnixEchoServer start() {
        UnixEchoServer server = new UnixEchoServer();
        server.startAccepting();
        return server;
    }

    @Override
    protected void handle(SocketChannel channel) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        while (channel.read(buffer) >= 0) {
            buffer.flip();
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            buffer.clear();
        }
        channel.shutdownOutput();
    }
}
