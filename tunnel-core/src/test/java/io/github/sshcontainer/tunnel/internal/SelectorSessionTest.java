package io.github.sshcontainer.tunnel.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.sshd.client.SshClient;
import org.apache.sshd.common.io.IoConnectFuture;
import org.apache.sshd.common.io.IoHandler;
import org.apache.sshd.common.io.IoSession;
import org.apache.sshd.common.util.Readable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The selector transport's session, against a plain loopback socket (no SSH server needed). */
@Timeout(30)
class SelectorSessionTest {

    @Test
    void aSessionClosedBeforeItsConnectListenerRanStillHasItsAttributes() throws Exception {
        // MINA's connect listener may run on the caller's thread after the loop already closed the session (the
        // server hung up at once); it looks the SSH session up in the attributes and must still find it there
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
                SelectorLoop loop = new SelectorLoop()) {
            Thread hangUp = new Thread(() -> {
                try (Socket s = server.accept()) {
                    s.getOutputStream().write("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes());
                } catch (IOException ignored) {
                    // the test failed elsewhere
                }
            });
            hangUp.start();
            CountDownLatch closed = new CountDownLatch(1);
            IoHandler handler = new IoHandler() {
                @Override
                public void sessionCreated(IoSession session) {
                    session.setAttribute("ssh-session", "attached");
                }

                @Override
                public void sessionClosed(IoSession session) {
                    closed.countDown();
                }

                @Override
                public void exceptionCaught(IoSession session, Throwable cause) {
                    // the close follows
                }

                @Override
                public void messageReceived(IoSession session, Readable message) {
                    // ignored
                }
            };
            SelectorConnector connector = new SelectorConnector(SshClient.setUpDefaultClient(), handler, loop);
            IoConnectFuture f = connector.connect(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()), null, null);
            assertTrue(f.await(10, TimeUnit.SECONDS));
            IoSession session = f.getSession();
            assertTrue(closed.await(10, TimeUnit.SECONDS), "the server's hang-up should close the session");
            assertTrue(session.isClosed());
            assertEquals("attached", session.getAttribute("ssh-session"));
            hangUp.join(5_000);
            connector.close(true);
        }
    }
}
