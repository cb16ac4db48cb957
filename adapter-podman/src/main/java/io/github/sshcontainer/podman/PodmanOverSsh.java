package io.github.sshcontainer.podman;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;

import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.TunnelBuilder;
import io.github.sshcontainer.tunnel.runtime.RuntimeConnection;
import okhttp3.OkHttpClient;

/**
 * A ready {@link PodmanClient} for the Podman API service on another machine, reached through SSH alone. The remote
 * socket is the target's path ({@code ssh://deploy@build-1/run/user/1000/podman/podman.sock}), else the first of
 * {@code /run/podman/podman.sock} and {@code /run/user/UID/podman/podman.sock} (UID from {@code id -u} on the remote
 * machine) that exists; {@link #fromEnvironment(SshOptions)} reads the target from {@code CONTAINER_HOST=ssh://...},
 * as podman does. Closing the connection closes the client, then the tunnel.
 *
 * <pre>{@code
 * try (RuntimeConnection<PodmanClient> podman = PodmanOverSsh.connect(SshTarget.parse("deploy@build-1"),
 *         SshOptions.defaults())) {
 *     podman.client().containers().list(true);
 *     System.out.println(podman.environmentLine()); // CONTAINER_HOST=unix:///…/podman.sock, for podman --url
 * }
 * }</pre>
 *
 * <p>Three ways to carry the HTTP connections: {@link #connect(SshTarget, SshOptions)} opens a tunnel with a private
 * local socket (for {@code podman --url}) and sends the client's requests in-process; {@link #connectInProcess}
 * opens no socket file at all; {@link #connectThroughLocalSocket} sends the requests through the local socket with
 * junixsocket, as any other local program would.
 */
public final class PodmanOverSsh {
    /** The variable podman reads for its service's address: {@code ssh://user@host[:port]/path/to/podman.sock}. */
    public static final String CONTAINER_HOST = "CONTAINER_HOST";

    /** The variable podman reads for the SSH private key to use with {@link #CONTAINER_HOST}. */
    public static final String CONTAINER_SSHKEY = "CONTAINER_SSHKEY";

    private PodmanOverSsh() {
    }

    /**
     * Opens a tunnel (with a private local socket) to the Podman socket on {@code target} and returns a client over
     * its in-process connections that has answered a ping.
     *
     * @throws io.github.sshcontainer.tunnel.SshTunnelException when SSH fails (host key, authentication, connect) or
     *         the remote socket is unavailable ({@link io.github.sshcontainer.tunnel.RemoteUnavailableException})
     * @throws IOException when the service does not answer the ping
     */
    public static RuntimeConnection<PodmanClient> connect(SshTarget target, SshOptions ssh) throws IOException {
        return RuntimeConnection.open(new PodmanAdapter(), target, ssh);
    }

    /** Like {@link #connect(SshTarget, SshOptions)}, the OkHttp builder changed by {@code http} first. */
    public static RuntimeConnection<PodmanClient> connect(SshTarget target, SshOptions ssh,
            UnaryOperator<OkHttpClient.Builder> http) throws IOException {
        return RuntimeConnection.open(new PodmanAdapter(http), target, ssh);
    }

    /** Like {@link #connect(SshTarget, SshOptions)} with no socket file and no port: in-process connections only. */
    public static RuntimeConnection<PodmanClient> connectInProcess(SshTarget target, SshOptions ssh)
            throws IOException {
        return RuntimeConnection.open(new PodmanAdapter(), target, ssh, null, TunnelBuilder::inProcessOnly);
    }

    /**
     * Like {@link #connect(SshTarget, SshOptions, UnaryOperator)}, the requests going through the tunnel's private
     * local unix socket with junixsocket ({@link PodmanAdapter#throughLocalSocket(UnaryOperator)}).
     */
    public static RuntimeConnection<PodmanClient> connectThroughLocalSocket(SshTarget target, SshOptions ssh,
            UnaryOperator<OkHttpClient.Builder> http) throws IOException {
        return RuntimeConnection.open(PodmanAdapter.throughLocalSocket(http), target, ssh);
    }

    /**
     * Like {@link #connect(SshTarget, SshOptions)}, but the client is a docker-java {@code DockerClient} for Podman's
     * Docker-compatible API ({@link PodmanDockerAdapter}), over the tunnel's in-process connections. Its
     * {@link RuntimeConnection#environmentLine()} is {@code DOCKER_HOST=unix:///…}, for the docker CLI.
     *
     * @throws IllegalStateException when {@code ssh-container-docker} (and so docker-java) is not on the class path
     */
    public static RuntimeConnection<com.github.dockerjava.api.DockerClient> connectDockerCompatible(SshTarget target,
            SshOptions ssh) throws IOException {
        DockerCompatCheck.require();
        return DockerCompat.connect(target, ssh);
    }

    /** Refers to the Docker classes, so that {@link PodmanOverSsh} loads without them. */
    private static final class DockerCompat {
        static RuntimeConnection<com.github.dockerjava.api.DockerClient> connect(SshTarget target, SshOptions ssh)
                throws IOException {
            return RuntimeConnection.open(new PodmanDockerAdapter(), target, ssh);
        }
    }

    /**
     * Connects to the Podman service named by {@code CONTAINER_HOST}, like podman:
     * {@code ssh://user@host[:port]/run/podman/podman.sock}, or {@code ssh://user@host[:port]} (the socket is then
     * found as in {@link #connect(SshTarget, SshOptions)}). {@code CONTAINER_SSHKEY}, when set, is a private key
     * file added to those of {@code ssh} (like {@code ssh -i}: offered after the ones {@code ssh} names, instead of
     * the default keys when it names none).
     *
     * @throws IllegalArgumentException {@code CONTAINER_HOST} is unset, or is not an {@code ssh://} URI
     */
    public static RuntimeConnection<PodmanClient> fromEnvironment(SshOptions ssh) throws IOException {
        return fromEnvironment(System.getenv(), ssh);
    }

    /** Like {@link #fromEnvironment(SshOptions)}, reading the variables from {@code env} only. */
    public static RuntimeConnection<PodmanClient> fromEnvironment(Map<String, String> env, SshOptions ssh)
            throws IOException {
        SshTarget target = containerHostTarget(env.get(CONTAINER_HOST));
        return connect(target, withKey(ssh, env.get(CONTAINER_SSHKEY)));
    }

    /** {@code ssh} with {@code key} added to its identity files (like {@code ssh -i}), when it is set. */
    static SshOptions withKey(SshOptions ssh, String key) {
        if (key == null || key.isBlank()) {
            return ssh;
        }
        return ssh.toBuilder().identity(Path.of(key.trim())).build();
    }

    /** The SSH target in a {@code CONTAINER_HOST} value; explains what is wrong with any other value. */
    static SshTarget containerHostTarget(String containerHost) {
        if (containerHost == null || containerHost.isBlank()) {
            throw new IllegalArgumentException(CONTAINER_HOST + " is not set; set it to ssh://user@host[:port]"
                    + "/run/podman/podman.sock (or without the path, to find the socket)");
        }
        String value = containerHost.trim();
        String lower = value.toLowerCase(Locale.ROOT);
        if (lower.startsWith("ssh://")) {
            return SshTarget.parse(value);
        }
        if (lower.startsWith("unix://") || lower.startsWith("tcp://")) {
            throw new IllegalArgumentException(CONTAINER_HOST + "=" + value + " is not an ssh:// address: this library"
                    + " reaches Podman through SSH only; for a local socket use PodmanClient.overLocalSocket(path, ...)");
        }
        throw new IllegalArgumentException(CONTAINER_HOST + "=" + value + " is not an ssh://user@host[:port][/socket]"
                + " address");
    }
}
