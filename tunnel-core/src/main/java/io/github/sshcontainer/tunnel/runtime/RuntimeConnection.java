package io.github.sshcontainer.tunnel.runtime;

import java.io.IOException;
import java.util.Objects;

import io.github.sshcontainer.tunnel.RemoteEndpoint;
import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.TunnelBuilder;
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
    private boolean closed;

    private RuntimeConnection(RuntimeAdapter<C> adapter, Tunnel tunnel, C client) {
        this.adapter = adapter;
        this.tunnel = tunnel;
        this.client = client;
    }

    /** Opens a tunnel to the adapter's first socket candidate (rootful) and a ready client over it. */
    public static <C> RuntimeConnection<C> open(RuntimeAdapter<C> adapter, SshTarget target, SshOptions options)
            throws IOException {
        String socket = target.path().orElse(adapter.socketCandidates(0).get(0));
        return open(adapter, Tunnel.to(target, RemoteEndpoint.unixSocket(socket)).options(options), Readiness.DEFAULT);
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

    /** Closes the client, then the tunnel. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeQuietly(adapter, client);
        tunnel.close();
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
