package io.github.sshcontainer.tunnel.testing;

import static io.github.sshcontainer.tunnel.testing.UnixEchoServerTest.eventually;
import static io.github.sshcontainer.tunnel.testing.UnixEchoServerTest.readExactly;
import static io.github.sshcontainer.tunnel.testing.UnixEchoServerTest.readToEof;
import static io.github.sshcontainer.tunnel.testing.UnixEchoServerTest.writeFully;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The unix socket sink/source server, without any SSH. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UnixSinkServerTest {

    @Test
    void sinkRepliesWithTheSha256OfEverythingAfterTheRequestLine() throws Exception {
        byte[] data = new byte[8 * 1024 * 1024 + 3];
        new SplittableRandom(7).nextBytes(data);
        try (UnixSinkServer sink = UnixSinkServer.start();
                SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(sink.path()))) {
            writeFully(client, UnixSinkServer.sinkRequest());
            writeFully(client, data);
            client.shutdownOutput();
            byte[] reply = readToEof(client);
            assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(data), reply);
            assertArrayEquals(UnixSinkServer.sha256(data), reply);
            assertEquals(1, sink.accepted());
            eventually(() -> sink.active() == 0);
        }
    }

    @Test
    void sinkOfNothing() throws Exception {
        try (UnixSinkServer sink = UnixSinkServer.start();
                SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(sink.path()))) {
            writeFully(client, UnixSinkServer.sinkRequest());
            client.shutdownOutput();
            assertArrayEquals(UnixSinkServer.sha256(new byte[0]), readToEof(client));
        }
    }

    @Test
    void sendRepliesWithTheDeterministicStreamThenEof() throws Exception {
        long n = 5L * 1024 * 1024 + 5; // not a multiple of the generator's chunk nor of 8
        try (UnixSinkServer source = UnixSinkServer.start();
                SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(source.path()))) {
            writeFully(client, UnixSinkServer.sendRequest(n, 42));
            byte[] reply = readToEof(client); // the server shuts down its output after n bytes
            assertEquals(n, reply.length);
            assertArrayEquals(UnixSinkServer.expectedSha256(n, 42), UnixSinkServer.sha256(reply));
        }
    }

    @Test
    void sendStreamIsOneSplittableRandomNextBytesCall() throws Exception {
        int n = 200_001;
        byte[] expected = new byte[n];
        new SplittableRandom(99).nextBytes(expected);
        assertArrayEquals(expected, UnixSinkServer.expectedBytes(n, 99));
        assertArrayEquals(UnixSinkServer.sha256(expected), UnixSinkServer.expectedSha256(n, 99));

        try (UnixSinkServer source = UnixSinkServer.start();
                SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(source.path()))) {
            writeFully(client, "SEND 10 99\n".getBytes(StandardCharsets.US_ASCII));
            assertArrayEquals(UnixSinkServer.expectedBytes(10, 99), readExactly(client, 10));
            assertEquals(-1, client.read(ByteBuffer.allocate(1)));
        }
    }

    @Test
    void anUnknownRequestClosesWithoutReply() throws Exception {
        try (UnixSinkServer sink = UnixSinkServer.start();
                SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(sink.path()))) {
            writeFully(client, "HELLO\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals(0, readToEof(client).length);
        }
    }

    @Test
    void aClientLeavingAnEndlessSendEndsTheServersWork() throws Exception {
        try (UnixSinkServer source = UnixSinkServer.start()) {
            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(source.path()))) {
                writeFully(client, UnixSinkServer.sendRequest(1L << 40, 9));
                readExactly(client, 1 << 20);
            }
            // the handler stops at the failed write instead of generating the rest of 1 TiB with nobody reading
            eventually(() -> source.active() == 0);
        }
    }
}
