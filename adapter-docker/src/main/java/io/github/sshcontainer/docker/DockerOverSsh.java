package io.github.sshcontainer.docker;

import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import io.github.sshcontainer.tunnel.RemoteEndpoint;
import io.github.sshcontainer.tunnel.RemoteUnavailableException;
import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.runtime.Readiness;
import io.github.sshcontainer.tunnel.runtime.RuntimeConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A ready docker-java {@link DockerClient} for the Docker daemon on another machine, reached through SSH alone.
 * The remote socket is the target's path ({@code ssh://deploy@build-1/run/user/1000/docker.sock}), else
 * {@code /var/run/docker.sock}. Closing the connection closes the client, then the tunnel.
 *
 * <pre>{@code
 * try (RuntimeConnection<DockerClient> docker = DockerOverSsh.connect(SshTarget.parse("deploy@build-1"),
 *         SshOptions.defaults())) {
 *     docker.client().listContainersCmd().exec();
 * }
 * }</pre>
 *
 * <p>docker-java's own settings pass through (like the Go original's {@code WithDockerClientOpts}); what they leave
 * unset keeps this library's defaults, and the Docker host is always the tunnel:
 *
 * <pre>{@code
 * DockerOverSsh.connect(target, ssh,
 *         config -> config.withApiVersion("1.41").withRegistryUsername("ci"),
 *         http -> http.maxConnections(20));
 * }</pre>
 *
 * <p>When the server refuses to forward unix sockets ({@code AllowStreamLocalForwarding no}) although the socket is
 * there and usable, each connection runs {@code docker -H unix://SOCKET system dial-stdio} over its own exec channel
 * instead (what {@code docker -H ssh://} does), with more SSH connections when one reaches the server's
 * {@code MaxSessions}. This needs the {@code docker} CLI on the remote machine; it is logged once per host.
 *
 * For another local socket mode or readiness policy, pass a {@link DockerAdapter} and a
 * {@link io.github.sshcontainer.tunnel.TunnelBuilder} to {@code RuntimeConnection.open(adapter, tunnelBuilder,
 * readiness)}.
 */
public final class DockerOverSsh {
    private static final Logger LOG = LoggerFactory.getLogger(DockerOverSsh.class);
    private static final Set<String> FALLBACK_LOGGED = ConcurrentHashMap.newKeySet();

    private DockerOverSsh() {
    }

    /**
     * Opens a tunnel to the Docker socket on {@code target} and returns a client that has answered a ping.
     *
     * @throws io.github.sshcontainer.tunnel.SshTunnelException when SSH fails (host key, authentication, connect) or
     *         the remote socket is unavailable ({@link io.github.sshcontainer.tunnel.RemoteUnavailableException})
     * @throws IOException when the daemon does not answer the ping
     */
    public static RuntimeConnection<DockerClient> connect(SshTarget target, SshOptions ssh) throws IOException {
        return open(new DockerAdapter(), target, ssh);
    }

    /**
     * Like {@link #connect(SshTarget, SshOptions)}, with docker-java's client configuration and HTTP transport
     * changed by the two customizers (see {@link DockerAdapter#DockerAdapter(UnaryOperator, UnaryOperator)}).
     */
    public static RuntimeConnection<DockerClient> connect(SshTarget target, SshOptions ssh,
            UnaryOperator<DefaultDockerClientConfig.Builder> config,
            UnaryOperator<ZerodepDockerHttpClient.Builder> httpClient) throws IOException {
        return open(new DockerAdapter(config, httpClient), target, ssh);
    }

    private static RuntimeConnection<DockerClient> open(DockerAdapter adapter, SshTarget target, SshOptions ssh)
            throws IOException {
        String socket = target.path().orElse(adapter.socketCandidates(0).get(0));
        try {
            return RuntimeConnection.open(adapter, target, ssh);
        } catch (RemoteUnavailableException refused) {
            if (refused.reason() != RemoteUnavailableException.Reason.FORWARDING_REFUSED) {
                throw refused;
            }
            String host = target.host();
            if (FALLBACK_LOGGED.add(host)) {
                LOG.info("streamlocal forwarding refused by {}; using `docker system dial-stdio` over exec channels",
                        host);
            } else {
                LOG.debug("streamlocal forwarding refused by {}; using `docker system dial-stdio`", host);
            }
            try {
                return RuntimeConnection.open(adapter,
                        Tunnel.to(target, RemoteEndpoint.command(dialStdioCommand(socket))).options(ssh),
                        Readiness.DEFAULT);
            } catch (IOException | RuntimeException e) {
                e.addSuppressed(refused);
                throw e;
            }
        }
    }

    /** {@code docker -H 'unix://SOCKET' system dial-stdio}, quoted for the remote shell. */
    static String dialStdioCommand(String socket) {
        return "docker -H '" + ("unix://" + socket).replace("'", "'\\''") + "' system dial-stdio";
    }

    /**
     * Like {@link #connect(SshTarget, SshOptions)} with no socket file or port: docker-java's requests go through the
     * tunnel's in-process connections ({@link InProcessDockerAdapter}, {@link TunnelDockerHttpClient}).
     */
    public static RuntimeConnection<DockerClient> connectInProcess(SshTarget target, SshOptions ssh)
            throws IOException {
        return InProcessDockerAdapter.connect(new InProcessDockerAdapter(), target, ssh);
    }
}
