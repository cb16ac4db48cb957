package io.github.sshcontainer.tunnel.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OpenSSH's {@code ProxyCommand}: runs the command ({@code /bin/sh -c "exec COMMAND"}) and carries the SSH
 * connection over its stdin/stdout. MINA 2.20 has no ProxyCommand and connects only to TCP addresses, so the command's
 * stdio is bridged to a one-shot listener on a loopback port: MINA connects there, the first (and only) connection
 * accepted is pumped to and from the process. {@link #checkPeer} makes sure that connection is MINA's own.
 *
 * <pre>{@code
 * try (ProxyCommand proxy = ProxyCommand.start("nc %h %p" expanded)) {
 *     client.connect(user, proxy.address()) ...
 * }
 * }</pre>
 */
public final class ProxyCommand implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ProxyCommand.class);
    private static final int STDERR_LINES = 10;

    private final String command;
    private final ServerSocket listener;
    private final Process process;
    private final Deque<String> stderr = new ArrayDeque<>();
    private volatile Socket accepted;
    private volatile boolean closed;

    private ProxyCommand(String command, ServerSocket listener, Process process) {
        this.command = command;
        this.listener = listener;
        this.process = process;
    }

    /**
     * Starts {@code command} (tokens already expanded) and the loopback listener.
     *
     * @throws IOException when the shell cannot be started or no loopback port can be bound
     */
    public static ProxyCommand start(String command) throws IOException {
        ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Process process;
        try {
            process = new ProcessBuilder("/bin/sh", "-c", "exec " + command).start();
        } catch (IOException e) {
            listener.close();
            throw new IOException("cannot run ProxyCommand '" + command + "': " + e.getMessage(), e);
        }
        ProxyCommand p = new ProxyCommand(command, listener, process);
        p.thread("accept", p::acceptAndPump);
        p.thread("stderr", p::readStderr);
        process.onExit().thenRun(() -> {
            LOG.debug("ProxyCommand '{}' exited with {}", command, process.exitValue());
            p.closeSocket();
        });
        return p;
    }

    /** Where MINA should connect: the loopback listener. */
    public InetSocketAddress address() {
        return new InetSocketAddress(listener.getInetAddress(), listener.getLocalPort());
    }

    /**
     * Checks that the connection the bridge accepted came from {@code sessionLocalAddress} (the SSH session's own
     * local address), so no other local process took the proxied connection.
     *
     * @throws IOException when it came from elsewhere (the bridge is then closed)
     */
    public void checkPeer(SocketAddress sessionLocalAddress) throws IOException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (accepted == null && !closed && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }
        Socket s = accepted;
        if (s == null || !(sessionLocalAddress instanceof InetSocketAddress)
                || ((InetSocketAddress) sessionLocalAddress).getPort() != s.getPort()) {
            close();
            throw new IOException("ProxyCommand bridge: the connection accepted on " + address()
                    + " is not this SSH session's; refusing it");
        }
    }

    /** Whether the command has exited. */
    public boolean exited() {
        return !process.isAlive();
    }

    /** What the command wrote to stderr lately and how it exited, for error messages. */
    public String describe() {
        StringBuilder sb = new StringBuilder("ProxyCommand '").append(command).append('\'');
        if (!process.isAlive()) {
            sb.append(" exited with code ").append(process.exitValue());
        }
        synchronized (stderr) {
            if (!stderr.isEmpty()) {
                sb.append(", stderr: ").append(String.join(" | ", stderr));
            }
        }
        return sb.toString();
    }

    private void acceptAndPump() {
        try (ServerSocket l = listener) {
            Socket s = l.accept();
            s.setTcpNoDelay(true);
            accepted = s;
        } catch (IOException e) {
            if (!closed) {
                LOG.debug("ProxyCommand bridge accept: {}", e.toString());
            }
            return;
        }
        thread("to-command", () -> pump(accepted, process.getOutputStream(), true));
        pump(process.getInputStream(), accepted);
    }

    private void pump(Socket from, OutputStream to, boolean closeTo) {
        try {
            InputStream in = from.getInputStream();
            byte[] buf = new byte[32 * 1024];
            int n;
            while ((n = in.read(buf)) >= 0) {
                to.write(buf, 0, n);
                to.flush();
            }
        } catch (IOException e) {
            LOG.trace("ProxyCommand bridge to command: {}", e.toString());
        } finally {
            if (closeTo) {
                try {
                    to.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
        }
    }

    private void pump(InputStream from, Socket to) {
        try {
            OutputStream out = to.getOutputStream();
            byte[] buf = new byte[32 * 1024];
            int n;
            while ((n = from.read(buf)) >= 0) {
                out.write(buf, 0, n);
                out.flush();
            }
            to.shutdownOutput();
        } catch (IOException e) {
            LOG.trace("ProxyCommand bridge from command: {}", e.toString());
        }
    }

    private void readStderr() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                LOG.info("ProxyCommand: {}", line);
                synchronized (stderr) {
                    stderr.addLast(line);
                    if (stderr.size() > STDERR_LINES) {
                        stderr.removeFirst();
                    }
                }
            }
        } catch (IOException e) {
            LOG.trace("ProxyCommand stderr: {}", e.toString());
        }
    }

    private void thread(String name, Runnable r) {
        Thread t = new Thread(r, "proxy-command-" + name + "-" + listener.getLocalPort());
        t.setDaemon(true);
        t.start();
    }

    private void closeSocket() {
        Socket s = accepted;
        try {
            if (s != null) {
                s.close();
            }
            listener.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    /** Ends the command and the bridge. Idempotent. */
    @Override
    public void close() {
        closed = true;
        closeSocket();
        process.destroy();
    }
}
