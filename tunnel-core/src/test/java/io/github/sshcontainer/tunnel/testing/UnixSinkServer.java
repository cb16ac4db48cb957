package io.github.sshcontainer.tunnel.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.SplittableRandom;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A unix-domain-socket server for bulk-transfer tests, with a one-line protocol. The client's first line
 * (ASCII, ending in {@code \n}) chooses the mode:
 * <ul>
 * <li>{@code SINK\n}: the server reads everything after that line until EOF (the client half-closes), then
 * replies with the 32-byte SHA-256 of what it read and closes. Compare with {@link #sha256(byte[])} or a
 * digest the client computed while sending.</li>
 * <li>{@code SEND <n> <seed>\n}: the server replies with {@code n} pseudo-random bytes, the stream
 * {@link #expectedBytes(int, long)} / {@link #expectedSha256(long, long)} describe, then shuts down its
 * output (the client reads EOF) and closes.</li>
 * </ul>
 * Anything else closes the connection without a reply. See {@link UnixSocketServer} for the socket path,
 * counters and {@link #close()}.
 */
public final class UnixSinkServer extends UnixSocketServer {

    private static final Logger LOG = LoggerFactory.getLogger(UnixSinkServer.class);

    /** Generator chunk size; a multiple of 8 so chunking does not change the bytes of SplittableRandom. */
    private static final int CHUNK = 64 * 1024;
    private static final int MAX_LINE = 256;

    private UnixSinkServer() {
        super("sink");
    }

    /** Starts a sink/source server on a socket in a fresh temp dir. */
    public static UnixSinkServer start() {
        UnixSinkServer server = new UnixSinkServer();
        server.startAccepting();
        return server;
    }

    /** The SHA-256 of the {@code n} bytes that {@code SEND n seed} produces. */
    public static byte[] expectedSha256(long n, long seed) {
        MessageDigest digest = sha256();
        generate(n, seed, chunk -> digest.update(chunk));
        return digest.digest();
    }

    /** The {@code n} bytes that {@code SEND n seed} produces (for small {@code n}). */
    public static byte[] expectedBytes(int n, long seed) {
        ByteBuffer out = ByteBuffer.allocate(n);
        generate(n, seed, out::put);
        return out.array();
    }

    /** The SHA-256 of {@code data}. */
    public static byte[] sha256(byte[] data) {
        return sha256().digest(data);
    }

    /** The line a client sends to ask for {@code n} bytes from {@code seed}. */
    public static byte[] sendRequest(long n, long seed) {
        return ("SEND " + n + " " + seed + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** The line a client sends before the data whose digest it wants. */
    public static byte[] sinkRequest() {
        return "SINK\n".getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * What one transfer through the server came to: the bytes counted and the SHA-256 of what arrived, beside the
     * SHA-256 of what was sent (by this client, or by {@code SEND}'s pattern).
     */
    public record Transfer(long bytes, byte[] sha256, byte[] expected) {
    }

    /** How a client half-closes its side (a socket, a tunnel connection). */
    public interface HalfClose {
        void shutdownOutput() throws IOException;
    }

    /**
     * Sends {@code SINK} and {@code n} pseudo-random bytes from {@code seed} in 256 KiB writes, half-closes, and reads
     * the server's digest of what it got.
     */
    public static Transfer upload(OutputStream out, InputStream in, HalfClose halfClose, long n, long seed)
            throws IOException {
        out.write(sinkRequest());
        MessageDigest sent = sha256();
        SplittableRandom random = new SplittableRandom(seed);
        byte[] chunk = new byte[(int) Math.min(n, 256 * 1024)];
        for (long left = n; left > 0; left -= chunk.length) {
            random.nextBytes(chunk);
            int len = (int) Math.min(left, chunk.length);
            sent.update(chunk, 0, len);
            out.write(chunk, 0, len);
        }
        halfClose.shutdownOutput();
        return new Transfer(n, in.readNBytes(32), sent.digest());
    }

    /** Sends {@code SEND n seed} and reads to EOF, counting and hashing what arrives. */
    public static Transfer download(OutputStream out, InputStream in, long n, long seed) throws IOException {
        out.write(sendRequest(n, seed));
        MessageDigest got = sha256();
        byte[] buf = new byte[128 * 1024];
        long total = 0;
        for (int r; (r = in.read(buf)) > 0;) {
            got.update(buf, 0, r);
            total += r;
        }
        return new Transfer(total, got.digest(), expectedSha256(n, seed));
    }

    @Override
    protected void handle(SocketChannel channel) throws IOException {
        String line = readLine(channel);
        if (line == null) {
            return;
        }
        String[] words = line.trim().split(" +");
        if (words.length == 1 && words[0].equals("SINK")) {
            sink(channel);
        } else if (words.length == 3 && words[0].equals("SEND")) {
            long n;
            long seed;
            try {
                n = Long.parseLong(words[1]);
                seed = Long.parseLong(words[2]);
            } catch (NumberFormatException e) {
                LOG.warn("bad request line: {}", line);
                return;
            }
            if (n < 0) {
                LOG.warn("bad request line: {}", line);
                return;
            }
            send(channel, n, seed);
        } else {
            LOG.warn("bad request line: {}", line);
        }
    }

    private static void sink(SocketChannel channel) throws IOException {
        MessageDigest digest = sha256();
        ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
        while (channel.read(buffer) >= 0) {
            buffer.flip();
            digest.update(buffer);
            buffer.clear();
        }
        writeFully(channel, ByteBuffer.wrap(digest.digest()));
        channel.shutdownOutput();
    }

    private static void send(SocketChannel channel, long n, long seed) throws IOException {
        try {
            generate(n, seed, chunk -> {
                try {
                    writeFully(channel, ByteBuffer.wrap(chunk));
                } catch (IOException e) {
                    throw new UncheckedIOException(e); // stop generating: a 1 TiB stream would go on for hours
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        channel.shutdownOutput();
    }

    /** Reads the request line byte by byte (so nothing after it is consumed); null on EOF or overlong line. */
    private static String readLine(SocketChannel channel) throws IOException {
        ByteBuffer one = ByteBuffer.allocate(1);
        StringBuilder line = new StringBuilder();
        while (line.length() < MAX_LINE) {
            one.clear();
            if (channel.read(one) < 0) {
                return null;
            }
            char c = (char) (one.get(0) & 0xff);
            if (c == '\n') {
                return line.toString();
            }
            line.append(c);
        }
        return null;
    }

    private static void writeFully(SocketChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /**
     * The byte stream of {@code SEND n seed}: {@code new SplittableRandom(seed).nextBytes(...)} called on
     * successive chunks of {@link #CHUNK} bytes (the last one shorter). Because the chunk size is a multiple of
     * 8 the result equals one {@code nextBytes} call on an {@code n}-byte array.
     */
    private static void generate(long n, long seed, Consumer<byte[]> sink) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] chunk = new byte[CHUNK];
        long left = n;
        while (left > 0) {
            if (left < CHUNK) {
                chunk = new byte[(int) left];
            }
            random.nextBytes(chunk);
            sink.accept(chunk);
            left -= chunk.length;
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
