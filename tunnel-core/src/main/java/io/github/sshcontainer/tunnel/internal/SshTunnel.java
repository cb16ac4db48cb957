package io.github.sshcontainer.tunnel.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.sshcontainer.tunnel.Failure;
import io.github.sshcontainer.tunnel.RemoteEndpoint;
import io.github.sshcontainer.tunnel.RemoteUnavailableException;
import io.github.sshcontainer.tunnel.SshConnector;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.SshTunnelException;
import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.TunnelBuilder;
import io.github.sshcontainer.tunnel.TunnelConnection;
import io.github.sshcontainer.tunnel.TunnelStats;
import org.apache.sshd.client.session.ClientSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Tunnel} implementation: one kept SSH session, one pump loop (on the SSH client's I/O thread), one
 * optional local listener. A forward ({@link #forward(RemoteEndpoint, int)}) is an {@code SshTunnel} too, with its own
 * listener and pump loop, that opens its channels on its parent's session and leaves the session to the parent.
 */
public final class SshTunnel implements Tunnel {
    private static final Logger LOG = LoggerFactory.getLogger(SshTunnel.class);
    private static final AtomicInteger IDS = new AtomicInteger();
    /** How long an extra SSH connection for command channels stays open without channels. */
    static final Duration EXTRA_SESSION_IDLE = Duration.ofSeconds(30);
    /** How long opening a command tunnel waits for a test run of the command (stdin closed) to fail. */
    static final Duration COMMAND_CHECK = Duration.ofSeconds(2);

    private final SshTarget target;
    private final RemoteEndpoint remote;
    private final SshConnector connector;
    private final boolean ownsConnector;
    private final SessionKeeper sessions;
    private final SessionPool pool;
    private final ChannelOpener opener;
    private final StatsCounter stats;
    private final Duration drainTimeout;
    private final Duration replySpin;
    private final Duration openTimeout;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The tunnel whose session this forward uses; null for a tunnel with a session of its own. */
    private final SshTunnel parent;
    private final Set<SshTunnel> forwards = ConcurrentHashMap.newKeySet();
    private PumpLoop loop;
    private LocalSocketFile socketFile;
    private ServerSocketChannel server;
    private InetSocketAddress tcpAddress;

    private SshTunnel(TunnelBuilder b, SshConnector connector, boolean ownsConnector, ClientSession first) {
        this.target = b.target();
        this.remote = b.remote();
        this.connector = connector;
        this.ownsConnector = ownsConnector;
        this.stats = new StatsCounter();
        this.sessions = new SessionKeeper(connector, target, first, stats);
        this.openTimeout = connector.options().connectTimeout();
        this.pool = remote instanceof RemoteEndpoint.Command
                ? new SessionPool(sessions, () -> connectExtra(connector, target), EXTRA_SESSION_IDLE, target.toString())
                : null;
        this.opener = new ChannelOpener(sessions, pool, remote, openTimeout);
        this.drainTimeout = b.drainTimeout();
        this.replySpin = b.replySpin();
        this.parent = null;
    }

    /** A forward to {@code remote} over {@code parent}'s session. */
    private SshTunnel(SshTunnel parent, RemoteEndpoint remote) {
        this.target = parent.target;
        this.remote = remote;
        this.connector = parent.connector;
        this.ownsConnector = false;
        this.stats = new StatsCounter();
        this.sessions = parent.sessions;
        this.openTimeout = parent.openTimeout;
        this.pool = null;
        this.opener = new ChannelOpener(sessions, remote, openTimeout);
        this.drainTimeout = parent.drainTimeout;
        this.replySpin = parent.replySpin;
        this.parent = parent;
    }

    /** Opens a tunnel as the builder says; see {@link TunnelBuilder#open()}. */
    public static Tunnel open(TunnelBuilder b) throws SshTunnelException {
        boolean own = b.sharedConnector() == null;
        SshConnector connector = own ? SshConnector.create(b.options()) : b.sharedConnector();
        SshTunnel tunnel = null;
        try {
            ClientSession first = connector.connect(b.target());
            tunnel = new SshTunnel(b, connector, own, first);
            if (b.verifyRemote()) {
                tunnel.verifyRemote();
            }
            tunnel.listen(b);
            LOG.info("tunnel {} -> {} {} ready", tunnel.describeLocal(), b.target(), b.remote());
            return tunnel;
        } catch (SshTunnelException e) {
            closeQuietly(tunnel, connector, own);
            throw e;
        } catch (IOException | RuntimeException e) {
            closeQuietly(tunnel, connector, own);
            throw new SshTunnelException(Failure.OTHER, "cannot open tunnel to " + b.remote() + " on " + b.target()
                    + ": " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(SshTunnel tunnel, SshConnector connector, boolean own) {
        if (tunnel != null) {
            tunnel.close();
        } else if (own) {
            connector.close();
        }
    }

    private static ClientSession connectExtra(SshConnector connector, SshTarget target) {
        try {
            return connector.connect(target);
        } catch (SshTunnelException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void verifyRemote() throws IOException {
        InProcessConnection probe = new InProcessConnection(new StatsCounter(), Duration.ZERO);
        ForwardingChannel channel = await(opener.open(probe, true));
        if (channel instanceof ExecChannel) {
            // run the command once with stdin closed: one that cannot run at all exits non-zero without output
            channel.shutdownOutput();
            channel.waitFor(java.util.EnumSet.of(org.apache.sshd.client.channel.ClientChannelEvent.CLOSED),
                    COMMAND_CHECK.toMillis());
            IOException failure = channel.failure();
            if (failure != null) {
                channel.close(true);
                throw new RemoteUnavailableException(failure.getMessage() + " (on " + target + ")", 0,
                        RemoteUnavailableException.Reason.COMMAND_FAILED, failure);
            }
        }
        channel.close(false);
    }

    private ForwardingChannel await(CompletableFuture<ForwardingChannel> future) throws IOException {
        try {
            return future.get(openTimeout.toMillis() * 2, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = SessionKeeper.cause(e.getCause());
            if (cause instanceof IOException) {
                throw (IOException) cause;
            }
            throw new IOException(String.valueOf(cause), cause);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new SshTunnelException(Failure.CONNECT, "the SSH server did not answer a channel open to " + remote
                    + " within " + openTimeout.multipliedBy(2).toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while opening a channel to " + remote);
        }
    }

    private void listen(TunnelBuilder b) throws IOException {
        switch (b.mode()) {
            case IN_PROCESS:
                return;
            case PRIVATE_SOCKET:
                socketFile = LocalSocketFile.bindPrivate(socketName(), b.backlog());
                server = socketFile.server();
                break;
            case SOCKET_PATH:
                socketFile = LocalSocketFile.bindAt(b.socketPath(), b.backlog());
                server = socketFile.server();
                break;
            case TCP:
                server = ServerSocketChannel.open();
                try {
                    server.bind(new InetSocketAddress(b.tcpAddress(), b.tcpPort()), b.backlog());
                } catch (IOException e) {
                    server.close();
                    throw new SshTunnelException(Failure.USAGE, "cannot listen on " + b.tcpAddress().getHostAddress()
                            + ":" + b.tcpPort() + ": " + e.getMessage(), e);
                }
                tcpAddress = (InetSocketAddress) server.getLocalAddress();
                break;
            default:
                throw new IllegalStateException(b.mode().toString());
        }
        server.configureBlocking(false);
        loop = PumpLoop.forSession(sessions.current(), "ssh-container-tunnel-" + IDS.incrementAndGet());
        CompletableFuture<Void> registered = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                loop.register(server, SelectionKey.OP_ACCEPT, new Acceptor());
                registered.complete(null);
            } catch (IOException e) {
                registered.completeExceptionally(e);
            }
        });
        try {
            registered.get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("cannot start accepting local connections: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException();
        }
    }

    private String socketName() {
        if (remote instanceof RemoteEndpoint.UnixSocket) {
            Path name = Paths.get(((RemoteEndpoint.UnixSocket) remote).path()).getFileName();
            if (name != null && name.toString().length() <= 40) {
                return name.toString();
            }
        }
        return "tunnel.sock";
    }

    /** Accepts local connections and opens a channel for each, on the loop thread. */
    private final class Acceptor implements PumpLoop.Handler {
        @Override
        public void ready(SelectionKey key) throws IOException {
            ServerSocketChannel listening = (ServerSocketChannel) key.channel();
            for (SocketChannel accepted; (accepted = listening.accept()) != null;) {
                accepted.configureBlocking(false);
                if (tcpAddress != null) {
                    accepted.setOption(StandardSocketOptions.TCP_NODELAY, true);
                }
                stats.opened();
                SocketLink link = new SocketLink(loop, accepted, stats);
                opener.open(link, false).whenComplete((channel, failure) -> loop.execute(() -> {
                    if (failure == null) {
                        link.start();
                    } else {
                        stats.failedOpen();
                        LOG.warn("local connection to {} dropped: {}", remote, SessionKeeper.cause(failure).getMessage());
                        link.closeLocal();
                    }
                }));
            }
        }

        @Override
        public void abort(Throwable cause) {
            LOG.debug("acceptor stopped: {}", cause.toString());
        }
    }

    @Override
    public TunnelConnection openConnection() throws IOException {
        if (closed.get()) {
            throw new IOException("tunnel to " + remote + " is closed");
        }
        stats.opened();
        InProcessConnection connection = new InProcessConnection(stats, replySpin);
        try {
            await(opener.open(connection, true));
            return connection;
        } catch (IOException e) {
            stats.failedOpen();
            // once: the channel's close listener may already have uncounted it
            connection.uncount();
            throw e;
        }
    }

    @Override
    public Tunnel forward(RemoteEndpoint forwarded, int localPort) throws SshTunnelException {
        java.util.Objects.requireNonNull(forwarded, "remote");
        if (parent != null) {
            return parent.forward(forwarded, localPort);
        }
        if (forwarded instanceof RemoteEndpoint.Command) {
            throw new IllegalArgumentException("cannot forward a local port to the command " + forwarded
                    + ": open a tunnel with RemoteEndpoint.command(...) instead");
        }
        TunnelBuilder local = Tunnel.to(target, forwarded).localTcp(localPort);
        if (closed.get()) {
            throw new IllegalStateException("tunnel to " + remote + " on " + target + " is closed");
        }
        SshTunnel forward = new SshTunnel(this, forwarded);
        try {
            forward.listen(local);
        } catch (SshTunnelException e) {
            forward.close();
            throw e;
        } catch (IOException e) {
            forward.close();
            throw new SshTunnelException(Failure.OTHER, "cannot forward 127.0.0.1:" + localPort + " to " + forwarded
                    + ": " + e.getMessage(), e);
        }
        forwards.add(forward);
        if (closed.get()) {
            // this tunnel closed meanwhile and may have missed the new forward
            forward.close();
            throw new IllegalStateException("tunnel to " + remote + " on " + target + " is closed");
        }
        LOG.debug("forward {} -> {} {} over the tunnel's SSH session", forward.describeLocal(), target, forwarded);
        return forward;
    }

    @Override
    public SshTarget target() {
        return target;
    }

    @Override
    public RemoteEndpoint remote() {
        return remote;
    }

    @Override
    public Optional<Path> localSocket() {
        return Optional.ofNullable(socketFile).map(LocalSocketFile::path);
    }

    @Override
    public Optional<InetSocketAddress> localTcpAddress() {
        return Optional.ofNullable(tcpAddress);
    }

    @Override
    public URI localUri() {
        if (socketFile != null) {
            return URI.create("unix://" + socketFile.path().toUri().getRawPath());
        }
        if (tcpAddress != null) {
            String host = tcpAddress.getAddress().getHostAddress();
            return URI.create("tcp://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + tcpAddress.getPort());
        }
        throw new IllegalStateException("an in-process tunnel has no local address; use openConnection()");
    }

    private String describeLocal() {
        return socketFile != null || tcpAddress != null ? localUri().toString() : "in-process";
    }

    @Override
    public TunnelStats stats() {
        return stats.snapshot();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        List<SshTunnel> children = new ArrayList<>(forwards);
        forwards.clear();
        for (SshTunnel forward : children) {
            forward.close();
        }
        if (loop != null) {
            CompletableFuture<Void> stopped = new CompletableFuture<>();
            loop.execute(() -> {
                try {
                    server.close();
                } catch (IOException ignored) {
                    // closing
                }
                stopped.complete(null);
            });
            try {
                stopped.get(2, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // the loop may already be gone
            }
        }
        if (socketFile != null) {
            socketFile.close();
        }
        long deadline = System.nanoTime() + drainTimeout.toNanos();
        while (stats.openNow() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (stats.openNow() > 0) {
            LOG.info("closing {} connection(s) still open after the {} ms drain", stats.openNow(), drainTimeout.toMillis());
        }
        if (pool != null) {
            pool.close();
        }
        if (parent == null) {
            sessions.close();
        } else {
            parent.forwards.remove(this);
        }
        if (loop != null) {
            loop.close();
        }
        if (ownsConnector) {
            connector.close();
        }
        LOG.debug("tunnel to {} {} closed", target, remote);
    }
}
