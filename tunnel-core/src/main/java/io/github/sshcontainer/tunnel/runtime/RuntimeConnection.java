package io.github.sshcontainer.tunnel.runtime;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.function.UnaryOperator;

import io.github.sshcontainer.tunnel.RemoteUnavailableException;
import io.github.sshcontainer.tunnel.SshConnector;
import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.TunnelBuilder;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.session.ClientSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A runtime client and the tunnel under it, owned together: closing this closes the client, then the tunnel.
 *
 * <pre>{@code
 * try (RuntimeConnection<DockerClient> docker = RuntimeConnection.open(adapter, SshTarget.parse("deploy@build-1"),
 *         SshOptions.defaults())) {
 *     docker.client().listContainersCmd().exec();
 * }
 * }</pre>
 *
 * @param <C> the client type
 */
public final class RuntimeConnection<C> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RuntimeConnection.class);

    private final RuntimeAdapter<C> adapter;
    private final Tunnel tunnel;
    private final C client;
    /** A connector shared by the discovery attempts, closed after the tunnel; null when the tunnel has its own. */
    private SshConnector connector;
    private boolean closed;

    /** How long {@code id -u} may take during socket discovery. */
    static final Duration UID_TIMEOUT = Duration.ofSeconds(5);

    private RuntimeConnection(RuntimeAdapter<C> adapter, Tunnel tunnel, C client) {
        this.adapter = adapter;
        this.tunnel = tunnel;
        this.client = client;
    }

    /**
     * What to open instead when the SSH server refuses to forward to a socket that exists and is usable
     * ({@link RemoteUnavailableException.Reason#FORWARDING_REFUSED}), e.g. a remote command that speaks to the
     * socket. Return {@code null} to fail with {@code refused}.
     */
    @FunctionalInterface
    public interface RefusedFallback {
        /**
         * @param socket the remote socket that was refused
         * @param refused the refusal
         * @return the tunnel to open instead (with its own SSH options), or {@code null}
         */
        TunnelBuilder instead(String socket, RemoteUnavailableException refused) throws IOException;
    }

    /**
     * Opens a tunnel to the runtime's socket on {@code target} and a ready client over it. The socket is the
     * target's path ({@code ssh://host/run/docker.sock}) when it names one, and only that; otherwise the remote
     * user's uid is asked ({@code id -u}; 0 when that fails) and {@link RuntimeAdapter#socketCandidates(int)} are
     * tried in order over one SSH connector. A candidate that does not exist or is not a socket is skipped; one that
     * exists but may not be used (permission denied, forwarding refused) ends the search with that failure.
     *
     * @throws RemoteUnavailableException no candidate exists (reason {@code MISSING}, every path tried and why in
     *         the message), or the first that exists cannot be used
     */
    public static <C> RuntimeConnection<C> open(RuntimeAdapter<C> adapter, SshTarget target, SshOptions options)
            throws IOException {
        return open(adapter, target, options, null);
    }

    /**
     * Like {@link #open(RuntimeAdapter, SshTarget, SshOptions)}; when the server refuses to forward to a socket that
     * is there, {@code onRefused} (if not null) names a tunnel to open instead.
     */
    public static <C> RuntimeConnection<C> open(RuntimeAdapter<C> adapter, SshTarget target, SshOptions options,
            RefusedFallback onRefused) throws IOException {
        return open(adapter, target, options, onRefused, b -> b);
    }

    /**
     * Like {@link #open(RuntimeAdapter, SshTarget, SshOptions, RefusedFallback)}, with {@code localSide} choosing
     * how the tunnel is offered locally (e.g. {@code TunnelBuilder::inProcessOnly}).
     */
    public static <C> RuntimeConnection<C> open(RuntimeAdapter<C> adapter, SshTarget target, SshOptions options,
            RefusedFallback onRefused, UnaryOperator<TunnelBuilder> localSide) throws IOException {
        Objects.requireNonNull(adapter, "adapter");
        SshConnector shared = SshConnector.create(options);
        try {
            Tunnel tunnel;
            try {
                tunnel = SocketDiscovery.open(adapter, target, shared, localSide);
            } catch (SocketDiscovery.Unusable e) {
                shared.close();
                return fallback(adapter, e.socket(), (RemoteUnavailableException) e.getCause(), onRefused);
            }
            RuntimeConnection<C> connection = over(adapter, tunnel, Readiness.DEFAULT);
            connection.connector = shared;
            return connection;
        } catch (IOException | RuntimeException e) {
            shared.close();
            throw e;
        }
    }

    private static <C> RuntimeConnection<C> fallback(RuntimeAdapter<C> adapter, String socket,
            RemoteUnavailableException e, RefusedFallback onRefused) throws IOException {
        if (onRefused == null || e.reason() != RemoteUnavailableException.Reason.FORWARDING_REFUSED) {
            throw e;
        }
        TunnelBuilder instead = onRefused.instead(socket, e);
        if (instead == null) {
            throw e;
        }
        try {
            return open(adapter, instead, Readiness.DEFAULT);
        } catch (IOException | RuntimeException failed) {
            failed.addSuppressed(e);
            throw failed;
        }
    }

    /** The remote user's uid from {@code id -u} over one session of {@code connector}; 0 when that fails. */
    static int remoteUid(SshConnector connector, SshTarget target) throws IOException {
        ClientSession session = connector.connect(target);
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (ChannelExec exec = session.createExecChannel("id -u")) {
                exec.setOut(out);
                exec.setErr(new ByteArrayOutputStream());
                exec.open().verify(UID_TIMEOUT);
                Set<ClientChannelEvent> events = exec.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), UID_TIMEOUT);
                if (!events.contains(ClientChannelEvent.CLOSED)) {
                    throw new IOException("no answer within " + UID_TIMEOUT.toSeconds() + " s");
                }
                Integer status = exec.getExitStatus();
                String answer = out.toString(StandardCharsets.UTF_8).trim();
                if (status != null && status != 0) {
                    throw new IOException("exit status " + status);
                }
                return Integer.parseInt(answer);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("`id -u` on {} failed ({}); assuming uid 0", target.host(), e.toString());
            return 0;
        } finally {
            session.close(false);
        }
    }

    /** Opens the tunnel {@code tunnelBuilder} describes, then builds the client and waits until it is ready. */
    public static <C> RuntimeConnection<C> open(RuntimeAdapter<C> adapter, TunnelBuilder tunnelBuilder,
            Readiness readiness) throws IOException {
        Objects.requireNonNull(adapter, "adapter");
        Tunnel tunnel = tunnelBuilder.open();
        return over(adapter, tunnel, readiness);
    }

    /** Builds the client over an open tunnel (which this connection then owns) and waits until it is ready. */
    public static <C> RuntimeConnection<C> over(RuntimeAdapter<C> adapter, Tunnel tunnel, Readiness readiness)
            throws IOException {
        C client = null;
        try {
            client = adapter.createClient(tunnel);
            C ready = client;
            readiness.await(adapter.name() + " at " + tunnel.remote() + " on " + tunnel.target(),
                    () -> adapter.checkReady(ready));
            return new RuntimeConnection<>(adapter, tunnel, client);
        } catch (IOException | RuntimeException e) {
            closeQuietly(adapter, client);
            tunnel.close();
            throw e;
        }
    }

    public RuntimeAdapter<C> adapter() {
        return adapter;
    }

    public Tunnel tunnel() {
        return tunnel;
    }

    public C client() {
        return client;
    }

    /** {@code NAME=value} for the runtime's own tools, e.g. {@code DOCKER_HOST=unix:///…}. */
    public String environmentLine() {
        return adapter.environmentVariable() + "=" + adapter.environmentValue(tunnel);
    }

    /** Closes the client, then the tunnel (then the SSH connector, when discovery made one). Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeQuietly(adapter, client);
        tunnel.close();
        if (connector != null) {
            connector.close();
        }
    }

    private static <C> void closeQuietly(RuntimeAdapter<C> adapter, C client) {
        if (client == null) {
            return;
        }
        try {
            adapter.closeClient(client);
        } catch (IOException | RuntimeException e) {
            LOG.debug("closing the {} client: {}", adapter.name(), e.toString());
        }
    }
}
