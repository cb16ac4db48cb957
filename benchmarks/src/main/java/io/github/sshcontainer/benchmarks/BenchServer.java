package io.github.sshcontainer.benchmarks;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * The far end of every benchmark: a unix-socket server, run as its own process ({@link ServerProcess}) so that its
 * threads, CPU and heap are not counted against the tunnel. One thread per connection (it plays the remote daemon,
 * not the thing measured). The client's first line picks the mode:
 * <ul>
 * <li>{@code SINK n}: reads exactly {@code n} bytes, replies 16 bytes: their CRC32C and the count (two longs);</li>
 * <li>{@code SEND n}: writes the first {@code n} bytes of {@link Pattern}, then half-closes;</li>
 * <li>{@code ECHO}: echoes everything until EOF, then half-closes.</li>
 * </ul>
 * Usage: {@code java -cp benchmarks.jar io.github.sshcontainer.benchmarks.BenchServer SOCKET_PATH}; prints
 * {@code READY} once it accepts connections.
 */
public final class BenchServer {
    private static final int BUFFER = 64 * 1024;

    private BenchServer() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: BenchServer SOCKET_PATH");
            System.exit(2);
        }
        Path path = Path.of(args[0]);
        Files.deleteIfExists(path);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path), 4096);
        System.out.println("READY");
        System.out.flush();
        Thread watchdog = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // the parent holds our stdin open; EOF means it is gone
                }
            } catch (IOException ignored) {
                // parent gone
            }
            System.exit(0);
        }, "parent-watch");
        watchdog.setDaemon(true);
        watchdog.start();
        while (true) {
            SocketChannel c = server.accept();
            Thread t = new Thread(() -> serve(c), "conn");
            t.setDaemon(true);
            t.start();
        }
    }

    private static void serve(SocketChannel c) {
        try (c) {
            String line = readLine(c);
            if (line == null) {
                return;
            }
            String[] w = line.trim().split(" +");
            switch (w[0]) {
                case "SINK":
                    sink(c, Long.parseLong(w[1]));
                    break;
                case "SEND":
                    send(c, Long.parseLong(w[1]));
                    break;
                case "ECHO":
                    echo(c);
                    break;
                default:
                    return;
            }
            drain(c);
        } catch (IOException | RuntimeException e) {
            // the client went away; nothing to report from here
        }
    }

    private static void sink(SocketChannel c, long n) throws IOException {
        ByteBuffer b = ByteBuffer.allocateDirect(BUFFER);
        CRC32C crc = new CRC32C();
        long got = 0;
        while (got < n) {
            b.clear();
            b.limit((int) Math.min(BUFFER, n - got));
            int r = c.read(b);
            if (r < 0) {
                break;
            }
            b.flip();
            crc.update(b);
            got += r;
        }
        ByteBuffer reply = ByteBuffer.allocate(16).putLong(crc.getValue()).putLong(got);
        reply.flip();
        writeFully(c, reply);
        c.shutdownOutput();
    }

    private static void send(SocketChannel c, long n) throws IOException {
        ByteBuffer block = ByteBuffer.allocateDirect(Pattern.BLOCK).put(Pattern.block());
        long left = n;
        while (left > 0) {
            block.clear();
            block.limit((int) Math.min(Pattern.BLOCK, left));
            left -= block.remaining();
            writeFully(c, block);
        }
        c.shutdownOutput();
    }

    private static void echo(SocketChannel c) throws IOException {
        ByteBuffer b = ByteBuffer.allocateDirect(BUFFER);
        while (c.read(b) >= 0) {
            b.flip();
            writeFully(c, b);
            b.clear();
        }
        c.shutdownOutput();
    }

    /** Waits for the client to close, so our close never resets a connection with data in flight. */
    private static void drain(SocketChannel c) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4096);
        while (c.read(b) >= 0) {
            b.clear();
        }
    }

    static void writeFully(SocketChannel c, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            c.write(b);
        }
    }

    private static String readLine(SocketChannel c) throws IOException {
        ByteBuffer one = ByteBuffer.allocate(1);
        StringBuilder s = new StringBuilder();
        while (s.length() < 256) {
            one.clear();
            if (c.read(one) < 0) {
                return null;
            }
            byte ch = one.get(0);
            if (ch == '\n') {
                return s.toString();
            }
            s.append((char) (ch & 0xff));
        }
        return null;
    }

    /** The request line for a mode. */
    static byte[] request(String line) {
        return (line + "\n").getBytes(StandardCharsets.US_ASCII);
    }
}
