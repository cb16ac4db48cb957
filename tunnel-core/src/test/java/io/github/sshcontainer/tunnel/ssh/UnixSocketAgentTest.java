package io.github.sshcontainer.tunnel.ssh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.sshd.agent.SshAgent;
import org.apache.sshd.agent.SshAgentConstants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link UnixSocketAgent} against a scripted fake agent: framing, timeouts, reconnects, errors. */
class UnixSocketAgentTest {
    /** An empty SSH2_AGENT_IDENTITIES_ANSWER, framed. */
    private static final byte[] NO_IDENTITIES = {0, 0, 0, 5, SshAgentConstants.SSH2_AGENT_IDENTITIES_ANSWER, 0, 0, 0, 0};

    @TempDir
    Path dir;

    private FakeAgent fake;

    @AfterEach
    void stopFake() throws Exception {
        if (fake != null) {
            fake.close();
        }
    }

    @Test
    void sendsTheRequestFramedOnceAndReadsTheAnswer() throws Exception {
        List<byte[]> received = new CopyOnWriteArrayList<>();
        fake = new FakeAgent(dir.resolve("a.sock"), (ch, index) -> {
            received.add(readMessage(ch));
            ch.write(ByteBuffer.wrap(NO_IDENTITIES));
        });
        try (UnixSocketAgent agent = new UnixSocketAgent(fake.path)) {
            assertFalse(agent.getIdentities().iterator().hasNext());
        }
        // AbstractAgentProxy already puts the uint32 length in front; it must go out exactly once
        assertArrayEquals(new byte[] {0, 0, 0, 1, SshAgentConstants.SSH2_AGENTC_REQUEST_IDENTITIES}, received.get(0));
    }

    @Test
    void reusesOneConnectionForSeveralRequests() throws Exception {
        fake = new FakeAgent(dir.resolve("a.sock"), (ch, index) -> {
            for (int i = 0; i < 3; i++) {
                readMessage(ch);
                ch.write(ByteBuffer.wrap(NO_IDENTITIES));
            }
        });
        try (UnixSocketAgent agent = new UnixSocketAgent(fake.path)) {
            for (int i = 0; i < 3; i++) {
                agent.getIdentities();
            }
        }
        assertEquals(1, fake.connections.get());
    }

    @Test
    void reconnectsWhenTheAgentDroppedAnIdleConnection() throws Exception {
        fake = new FakeAgent(dir.resolve("a.sock"), (ch, index) -> {
            readMessage(ch);
            ch.write(ByteBuffer.wrap(NO_IDENTITIES));
            // then close: the next request on this connection finds it gone
        });
        try (UnixSocketAgent agent = new UnixSocketAgent(fake.path)) {
            agent.getIdentities();
            fake.awaitHandled(1);
            agent.getIdentities();
            agent.getIdentities();
        }
        assertEquals(3, fake.connections.get());
    }

    @Test
    void anAgentThatDoesNotAnswerTimesOutNamingTheSocket() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        fake = new FakeAgent(dir.resolve("a.sock"), (ch, index) -> {
            readMessage(ch);
            release.await(); // never answers
        });
        try (UnixSocketAgent agent = new UnixSocketAgent(fake.path, "SSH_AUTH_SOCK", Duration.ofMillis(300))) {
            long start = System.nanoTime();
            SocketTimeoutException e = assertThrows(SocketTimeoutException.class, agent::getIdentities);
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals("ssh-agent at " + fake.path + " (SSH_AUTH_SOCK) did not answer within 300 ms", e.getMessage());
            assertTrue(tookMillis >= 250 && tookMillis < 5000, "took " + tookMillis + " ms");
        } finally {
            release.countDown();
        }
    }

    @Test
    void anAnswerLongerThanTheProtocolAllowsIsRefused() throws Exception {
        fake = new FakeAgent(dir.resolve("a.sock"), (ch, index) -> {
            readMessage(ch);
            ch.write(ByteBuffer.wrap(new byte[] {0x7f, 0, 0, 0, 12}));
        });
        try (UnixSocketAgent agent = new UnixSocketAgent(fake.path)) {
            IOException e = assertThrows(IOException.class, agent::getIdentities);
            assertTrue(e.getMessage().contains("sent an answer of 2130706432 bytes"), e.getMessage());
        }
    }

    @Test
    void anAnswerCutShortIsAnError() throws Exception {
        fake = new FakeAgent(dir.resolve("a.sock"), (ch, index) -> {
            readMessage(ch);
            ch.write(ByteBuffer.wrap(new byte[] {0, 0, 0, 9, 12, 0}));
        });
        try (UnixSocketAgent agent = new UnixSocketAgent(fake.path)) {
            IOException e = assertThrows(IOException.class, agent::getIdentities);
            assertEquals("ssh-agent at " + fake.path + " (SSH_AUTH_SOCK) closed the connection in the middle of an answer",
                    e.getMessage());
        }
    }

    @Test
    void aMissingSocketIsReportedWithItsPath() {
        Path missing = dir.resolve("nope.sock");
        UnixSocketAgent agent = new UnixSocketAgent(missing, "IdentityAgent", Duration.ofSeconds(1));
        IOException e = assertThrows(IOException.class, agent::getIdentities);
        assertTrue(e.getMessage().startsWith("cannot reach ssh-agent at " + missing + " (IdentityAgent): "),
                e.getMessage());
    }

    @Test
    void closeFailsAPendingRequestAtOnceAndLaterOnes() throws Exception {
        CountDownLatch requested = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        fake = new FakeAgent(dir.resolve("a.sock"), (ch, index) -> {
            readMessage(ch);
            requested.countDown();
            release.await();
        });
        UnixSocketAgent agent = new UnixSocketAgent(fake.path);
        try {
            Thread closer = new Thread(() -> {
                try {
                    requested.await();
                    Thread.sleep(100);
                    agent.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            closer.start();
            IOException e = assertTimeoutPreemptively(Duration.ofSeconds(5),
                    () -> assertThrows(IOException.class, agent::getIdentities));
            assertTrue(e.getMessage().contains("closed by this client"), e.getMessage());
            closer.join();
            assertFalse(agent.isOpen());
            assertThrows(IOException.class, agent::getIdentities);
        } finally {
            release.countDown();
        }
    }

    @Test
    void fromEnvironmentNeedsAnExistingPath() throws Exception {
        Path sock = Files.createFile(dir.resolve("agent.sock"));
        String var = SshAgent.SSH_AUTHSOCKET_ENV_NAME;
        assertTrue(UnixSocketAgentFactory.fromEnvironment(Map.of()).isEmpty());
        assertTrue(UnixSocketAgentFactory.fromEnvironment(Map.of(var, " ")).isEmpty());
        assertTrue(UnixSocketAgentFactory.fromEnvironment(Map.of(var, dir.resolve("gone").toString())).isEmpty());
        assertTrue(UnixSocketAgentFactory.fromEnvironment(Map.of(var, "bad\0path")).isEmpty());
        assertEquals(sock, UnixSocketAgentFactory.fromEnvironment(Map.of(var, sock.toString())).orElseThrow().socketPath());
    }

    @Test
    void theFactoryIsClientOnly() throws Exception {
        UnixSocketAgentFactory factory = new UnixSocketAgentFactory(dir.resolve("a.sock"));
        assertTrue(factory.getChannelForwardingFactories(null).isEmpty());
        assertThrows(UnsupportedOperationException.class, () -> factory.createServer(null));
        try (SshAgent agent = factory.createClient(null, null)) {
            assertInstanceOf(UnixSocketAgent.class, agent);
            assertEquals(dir.resolve("a.sock"), ((UnixSocketAgent) agent).socketPath());
        }
    }

    /** Reads one framed agent message, returning it with its length prefix. */
    private static byte[] readMessage(SocketChannel ch) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(4);
        readFully(ch, header);
        ByteBuffer body = ByteBuffer.allocate(header.getInt(0));
        readFully(ch, body);
        return ByteBuffer.allocate(4 + body.capacity()).put(header.flip()).put(body.flip()).array();
    }

    private static void readFully(SocketChannel ch, ByteBuffer into) throws IOException {
        while (into.hasRemaining()) {
            if (ch.read(into) < 0) {
                throw new EOFException();
            }
        }
    }

    private interface Script {
        void run(SocketChannel connection, int index) throws Exception;
    }

    /** A unix socket server that runs {@code script} on each connection (blocking, thread per connection). */
    private static final class FakeAgent implements AutoCloseable {
        final Path path;
        final AtomicInteger connections = new AtomicInteger();
        final AtomicInteger handled = new AtomicInteger();
        private final ServerSocketChannel server;
        private final Thread acceptor;

        FakeAgent(Path path, Script script) throws IOException {
            this.path = path;
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path));
            acceptor = new Thread(() -> {
                while (server.isOpen()) {
                    try {
                        SocketChannel ch = server.accept();
                        int index = connections.incrementAndGet();
                        Thread t = new Thread(() -> {
                            try (ch) {
                                script.run(ch, index);
                            } catch (Exception e) {
                                // the client went away; fine for these tests
                            } finally {
                                synchronized (handled) {
                                    handled.incrementAndGet();
                                    handled.notifyAll();
                                }
                            }
                        }, "fake-agent-" + index);
                        t.setDaemon(true);
                        t.start();
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "fake-agent-acceptor");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        void awaitHandled(int count) throws InterruptedException {
            long deadline = System.currentTimeMillis() + 5000;
            synchronized (handled) {
                while (handled.get() < count && System.currentTimeMillis() < deadline) {
                    handled.wait(100);
                }
            }
            assertTrue(handled.get() >= count, "fake agent handled " + handled.get() + " connections");
        }

        @Override
        public void close() throws IOException {
            server.close();
            try {
                acceptor.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Files.deleteIfExists(path);
        }
    }
}
