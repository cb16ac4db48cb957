package io.github.sshcontainer.testcontainers;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import io.github.sshcontainer.tunnel.RemoteEndpoint;
import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.runtime.RuntimeConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One remote Docker daemon behind {@code DOCKER_HOST=ssh://...}: the tunnel to its socket (a private local unix
 * socket) and the forwards of its containers' ports. One per {@code DOCKER_HOST} value and JVM, opened on first use
 * and kept for the JVM's life, like Testcontainers' own Docker client: Testcontainers removes its containers at JVM
 * exit through it, so it must not close first.
 */
final class SshDockerHost {
    private static final Logger LOG = LoggerFactory.getLogger(SshDockerHost.class);
    private static final Map<String, SshDockerHost> OPEN = new HashMap<>();

    private final RuntimeConnection<Tunnel> connection;
    private final String remoteSocket;
    private final PortForwards forwards;

    private SshDockerHost(RuntimeConnection<Tunnel> connection, String remoteSocket) {
        this.connection = connection;
        this.remoteSocket = remoteSocket;
        this.forwards = new PortForwards(connection.tunnel());
    }

    /**
     * The host for {@code dockerHost} ({@code ssh://user@host[:port][/socket/path]}), connecting on the first call.
     * SSH settings are OpenSSH's: {@code ~/.ssh/config}, {@code ~/.ssh/known_hosts} (unknown host keys refused), the
     * agent and the default keys.
     *
     * @throws IOException when SSH or the remote socket fails; the message says what to fix
     */
    static synchronized SshDockerHost open(String dockerHost) throws IOException {
        SshDockerHost host = OPEN.get(dockerHost);
        if (host == null) {
            host = connect(SshTarget.parse(dockerHost), SshOptions.defaults());
            OPEN.put(dockerHost, host);
        }
        return host;
    }

    /**
     * Connects; the tunnel and its forwards close without a drain: a removed container's forward may still hold an
     * HTTP client's idle keep-alive connection, which would otherwise delay the removal by the drain time.
     */
    static SshDockerHost connect(SshTarget target, SshOptions options) throws IOException {
        AtomicReference<String> refusedSocket = new AtomicReference<>();
        RuntimeConnection<Tunnel> connection = RuntimeConnection.open(new DockerSocketAdapter(), target, options,
                (socket, refused) -> {
                    // like adapter-docker: the server will not forward unix sockets, its docker CLI can
                    LOG.info("streamlocal forwarding refused by {}; using `docker system dial-stdio` over exec channels",
                            target.host());
                    refusedSocket.set(socket);
                    return Tunnel.to(target, RemoteEndpoint.command(dialStdioCommand(socket))).options(options)
                            .drainTimeout(Duration.ZERO);
                }, local -> local.drainTimeout(Duration.ZERO));
        RemoteEndpoint remote = connection.tunnel().remote();
        String socket = remote instanceof RemoteEndpoint.UnixSocket ? ((RemoteEndpoint.UnixSocket) remote).path()
                : refusedSocket.get();
        LOG.info("Docker at {} on {} is {} here", socket, target, connection.tunnel().localUri());
        return new SshDockerHost(connection, socket);
    }

    /** {@code docker -H 'unix://SOCKET' system dial-stdio}, quoted for the remote shell. */
    static String dialStdioCommand(String socket) {
        return "docker -H '" + ("unix://" + socket).replace("'", "'\\''") + "' system dial-stdio";
    }

    /** The tunnel's local unix socket, {@code unix:///.../docker.sock}. */
    URI localUri() {
        return connection.tunnel().localUri();
    }

    /** The daemon's socket on the remote host (what Ryuk mounts there). */
    String remoteSocket() {
        return remoteSocket;
    }

    Tunnel tunnel() {
        return connection.tunnel();
    }

    PortForwards forwards() {
        return forwards;
    }

    /** Closes the forwards and the tunnel (tests; a JVM's host is otherwise kept until exit). */
    void close() {
        synchronized (SshDockerHost.class) {
            OPEN.values().remove(this);
        }
        forwards.close();
        connection.close();
    }
}
