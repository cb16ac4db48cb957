package io.github.sshcontainer.docker;

import java.io.IOException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import io.github.sshcontainer.tunnel.RemoteEndpoint;
import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.runtime.RuntimeConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A ready docker-java {@link DockerClient} for the Docker daemon on another machine, reached through SSH alone.
 * The remote socket is the target's path ({@code ssh://deploy@build-1/run/user/1000/docker.sock}), else the first of
 * {@code /var/run/docker.sock} and {@code /run/user/UID/docker.sock} (UID from {@code id -u} on the remote machine)
 * that exists ({@link RuntimeConnection#open(io.github.sshcontainer.tunnel.runtime.RuntimeAdapter, SshTarget,
 * SshOptions)}); {@link #fromEnvironment(SshOptions)} reads the target from {@code DOCKER_HOST=ssh://...}. Closing the connection closes the client, then the tunnel.
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
        return RuntimeConnection.open(adapter, target, ssh, (socket, refused) -> {
            String host = target.host();
            if (FALLBACK_LOGGED.add(host)) {
                LOG.info("streamlocal forwarding refused by {}; using `docker system dial-stdio` over exec channels",
                        host);
            } else {
                LOG.debug("streamlocal forwarding refused by {}; using `docker system dial-stdio`", host);
            }
            return Tunnel.to(target, RemoteEndpoint.command(dialStdioCommand(socket))).options(ssh);
        });
    }

    /**
     * Connects to the Docker host named by {@code DOCKER_HOST}, like the docker CLI: {@code ssh://user@host[:port]}
     * (the remote socket is found as in {@link #connect(SshTarget, SshOptions)}) or
     * {@code ssh://user@host[:port]/path/to/docker.sock}. The {@code DOCKER_HOST} system property, when set, wins
     * over the environment variable, as in docker-java (which also reads {@code ~/.docker-java.properties}; this
     * method does not).
     *
     * @throws IllegalArgumentException {@code DOCKER_HOST} is unset, or is not an {@code ssh://} URI
     */
    public static RuntimeConnection<DockerClient> fromEnvironment(SshOptions ssh) throws IOException {
        Map<String, String> env = new HashMap<>(System.getenv());
        String property = System.getProperty(DOCKER_HOST);
        if (property != null && !property.isBlank()) {
            env.put(DOCKER_HOST, property);
        }
        return fromEnvironment(env, ssh);
    }

    /** Like {@link #fromEnvironment(SshOptions)}, reading {@code DOCKER_HOST} from {@code env} only. */
    public static RuntimeConnection<DockerClient> fromEnvironment(Map<String, String> env, SshOptions ssh)
            throws IOException {
        return connect(dockerHostTarget(env.get(DOCKER_HOST)), ssh);
    }

    static final String DOCKER_HOST = "DOCKER_HOST";

    /** The SSH target in a {@code DOCKER_HOST} value; explains what is wrong with any other value. */
    static SshTarget dockerHostTarget(String dockerHost) {
        if (dockerHost == null || dockerHost.isBlank()) {
            throw new IllegalArgumentException(DOCKER_HOST + " is not set; set it to ssh://user@host[:port] (optionally"
                    + " followed by the remote socket path)");
        }
        String value = dockerHost.trim();
        String lower = value.toLowerCase(Locale.ROOT);
        if (lower.startsWith("ssh://")) {
            return SshTarget.parse(value);
        }
        if (lower.startsWith("unix://") || lower.startsWith("tcp://") || lower.startsWith("npipe://")
                || lower.startsWith("http://") || lower.startsWith("https://")) {
            throw new IllegalArgumentException(DOCKER_HOST + "=" + value + " is not an ssh:// address: this library"
                    + " reaches Docker through SSH only; for a local socket or TCP use docker-java directly"
                    + " (DefaultDockerClientConfig reads DOCKER_HOST)");
        }
        throw new IllegalArgumentException(DOCKER_HOST + "=" + value + " is not an ssh://user@host[:port] address");
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
