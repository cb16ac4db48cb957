package io.github.sshcontainer.tunnel.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The unix socket echo server, without any SSH. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UnixEchoServerTest {

    @Test
    void echoesAndEndsWithEofAfterHalfClose() throws Exception {
        try (UnixEchoServer echo = UnixEchoServer.start();
                SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(echo.path()))) {
            client.write(ByteBuffer.wrap("hello\n".getBytes(StandardCharsets.US_ASCII)));
            assertEquals("hello\n", new String(readExactly(client, 6), StandardCharsets.US_ASCII));
            eventually(() -> echo.active() == 1);

            client.write(ByteBuffer.wrap("bye".getBytes(StandardCharsets.US_ASCII)));
            client.shutdownOutput();
            assertEquals("bye", new String(readToEof(client), StandardCharsets.US_ASCII));

            assertEquals(1, echo.accepted());
            eventually(() -> echo.active() == 0);
        }
    }

    @Test
    void echoesConcurrentBulkConnections() throws Exception {
        try (UnixEchoServer echo = UnixEchoServer.start()) {
            List<CompletableFuture<Void>> clients = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                byte[] data = new byte[3 * 1024 * 1024 + i];
                new SplittableRandom(i).nextBytes(data);
                clients.add(CompletableFuture.runAsync(() -> {
                    try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(echo.path()))) {
                        // write on another thread: the echo would block once the socket buffers are full
                        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                            try {
                                writeFully(client, data);
                                client.shutdownOutput();
                            } catch (IOException e) {
                                throw new RuntimeException(e);
                            }
                        }, ThreadPerTask.EXECUTOR);
                        byte[] back = readToEof(client);
                        writer.get();
                        assertArrayEquals(data, back);
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }, ThreadPerTask.EXECUTOR));
            }
            CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get(50, TimeUnit.SECONDS);
            assertEquals(4, echo.accepted());
            eventually(() -> echo.active() == 0);
        }
    }

    @Test
    void closeDropsConnectionsAndDeletesTheSocket() throws Exception {
        UnixEchoServer echo = UnixEchoServer.start();
        Requirements.requireUnixSocket(echo.path()); // one connection, closed at once
        try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(echo.path()))) {
            eventually(() -> echo.accepted() == 2 && echo.active() == 1);
            echo.close();
            assertEquals(0, echo.active());
            assertFalse(Files.exists(echo.path()));
            assertFalse(Files.exists(echo.path().getParent()));
            ByteBuffer buffer = ByteBuffer.allocate(16);
            int read;
            try {
                read = client.read(buffer);
            } catch (IOException e) { // connection reset is fine as well
                read = -1;
            }
            assertEquals(-1, read);
        }
        echo.close(); // idempotent
    }

    static byte[] readExactly(SocketChannel channel, int n) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(n);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                throw new IOException("EOF after " + buffer.position() + " of " + n + " bytes");
            }
        }
        return buffer.array();
    }

    static byte[] readToEof(SocketChannel channel) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        while (channel.read(buffer) >= 0) {
            out.write(buffer.array(), 0, buffer.position());
            buffer.clear();
        }
        return out.toByteArray();
    }

    static void writeFully(SocketChannel channel, byte[] data) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(data);
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    static void eventually(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                assertTrue(condition.getAsBoolean(), "condition not met within 10 s");
            }
            Thread.sleep(10);
        }
    }
}
