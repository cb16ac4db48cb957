package io.github.sshcontainer.tunnel.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The delaying TCP relay: order and content kept both ways, half-close passed on, failures end in EOF, not a hang. */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DelayRelayTest {

    @Test
    void bytesArriveInOrderBothWaysAndAHalfCloseIsPassedOn() throws Exception {
        try (ServerSocket echo = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> server = CompletableFuture.runAsync(() -> echoOne(echo), ThreadPerTask.EXECUTOR);
            try (DelayRelay relay = DelayRelay.start((InetSocketAddress) echo.getLocalSocketAddress(),
                    Duration.ofMillis(5));
                    Socket client = new Socket(InetAddress.getLoopbackAddress(), relay.port())) {
                byte[] data = new byte[6 * 1024 * 1024 + 17]; // more than one queue's worth: flow control is used
                new SplittableRandom(3).nextBytes(data);
                CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                    try {
                        OutputStream out = client.getOutputStream();
                        SplittableRandom sizes = new SplittableRandom(4);
                        for (int off = 0; off < data.length;) {
                            int n = Math.min(data.length - off, 1 + sizes.nextInt(100_000));
                            out.write(data, off, n);
                            off += n;
                        }
                        client.shutdownOutput();
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                }, ThreadPerTask.EXECUTOR);
                byte[] back = client.getInputStream().readAllBytes(); // to EOF: the echo saw ours and closed
                writer.get(30, TimeUnit.SECONDS);
                server.get(30, TimeUnit.SECONDS);
                assertEquals(data.length, back.length);
                assertArrayEquals(data, back);
                assertEquals(1, relay.accepted());
            }
        }
    }

    @Test
    void aTargetThatIsNotListeningEndsTheClientConnection() throws Exception {
        int free;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            free = s.getLocalPort();
        }
        try (DelayRelay relay = DelayRelay.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), free),
                Duration.ofMillis(5)); Socket client = new Socket(InetAddress.getLoopbackAddress(), relay.port())) {
            InputStream in = client.getInputStream();
            try {
                assertEquals(-1, in.read(), "EOF");
            } catch (IOException reset) {
                // also an end
            }
        }
    }

    @Test
    void closeCutsRelayedConnections() throws Exception {
        try (ServerSocket echo = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            CompletableFuture.runAsync(() -> echoOne(echo), ThreadPerTask.EXECUTOR);
            DelayRelay relay = DelayRelay.start((InetSocketAddress) echo.getLocalSocketAddress(), Duration.ZERO);
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), relay.port())) {
                client.getOutputStream().write(42);
                assertEquals(42, client.getInputStream().read());
                relay.close();
                try {
                    assertEquals(-1, client.getInputStream().read(), "EOF after close()");
                } catch (IOException reset) {
                    // also an end
                }
                // (not asserted: that a new connect to the old port fails — another process may take the port at once)
            }
        }
    }

    @Test
    void aNegativeDelayIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DelayRelay.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 1),
                        Duration.ofMillis(-1)));
        assertTrue(e.getMessage().contains("negative"), e.getMessage());
    }

    /** Echoes one connection until EOF, then closes it. */
    static void echoOne(ServerSocket server) {
        try (Socket s = server.accept()) {
            s.getInputStream().transferTo(s.getOutputStream());
            s.shutdownOutput();
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }
}
