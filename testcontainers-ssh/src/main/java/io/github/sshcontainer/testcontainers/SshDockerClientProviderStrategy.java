package io.github.sshcontainer.testcontainers;

import java.io.IOException;
import java.util.Locale;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.tunnel.SshTarget;
import org.testcontainers.dockerclient.DockerClientProviderStrategy;
import org.testcontainers.dockerclient.InvalidConfigurationException;
import org.testcontainers.dockerclient.TransportConfig;
import org.testcontainers.utility.TestcontainersConfiguration;

/**
 * Testcontainers on the Docker daemon of another machine, reached through SSH alone: set
 * {@code DOCKER_HOST=ssh://user@host[:port]} (the environment variable, or {@code docker.host} in
 * {@code ~/.testcontainers.properties}) and put this module on the test classpath. Testcontainers finds this strategy
 * with its own {@link java.util.ServiceLoader} ({@code META-INF/services}).
 *
 * <ul>
 * <li>Transport: an SSH tunnel to the remote daemon's socket ({@code /var/run/docker.sock}, else
 * {@code /run/user/UID/docker.sock}, or the path in {@code DOCKER_HOST}), offered here as a private unix socket that
 * Testcontainers' own docker-java transport uses ({@code unix://} {@link TransportConfig}). When sshd refuses socket
 * forwarding, {@code docker system dial-stdio} runs over exec channels instead.
 * <li>Ports: inspecting a container forwards each published port (on the remote host's loopback) to a free port on
 * this machine's 127.0.0.1 over the same SSH session, and answers with those ports, so {@code getHost()} (127.0.0.1)
 * and {@code getMappedPort(n)} reach the container from the test, wait strategies included. Removing the container
 * closes its forwards.
 * <li>Ryuk: its container mounts the remote daemon's socket path ({@link #getRemoteDockerUnixSocketPath()}) and the
 * JVM's connection to it goes through a forward like any mapped port, so it reaps when the SSH session ends.
 * <li>SSH settings are OpenSSH's: {@code ~/.ssh/config} (user, port, IdentityFile, ProxyJump...),
 * {@code ~/.ssh/known_hosts} (an unknown host key is refused), the agent, the default keys.
 * </ul>
 *
 * <p>Testcontainers tries a strategy named in {@code ~/.testcontainers.properties} ({@code docker.client.strategy})
 * before this one: if that names another strategy that works on this machine, remove the line, or name this class.
 */
public final class SshDockerClientProviderStrategy extends DockerClientProviderStrategy {
    /** Above Testcontainers' own strategies: an {@code ssh://} DOCKER_HOST is an explicit choice. */
    public static final int PRIORITY = 200;

    private SshDockerHost host;
    private IOException failure;
    private DockerClient client;

    /** The instance Testcontainers' {@link java.util.ServiceLoader} creates. */
    public SshDockerClientProviderStrategy() {
    }

    /** {@code DOCKER_HOST} from the environment, else {@code docker.host} from {@code ~/.testcontainers.properties}. */
    static String dockerHost() {
        return TestcontainersConfiguration.getInstance().getEnvVarOrUserProperty("docker.host", null);
    }

    static boolean isSsh(String dockerHost) {
        return dockerHost != null && dockerHost.trim().toLowerCase(Locale.ROOT).startsWith("ssh://");
    }

    /** Only for an {@code ssh://} Docker host. */
    @Override
    protected boolean isApplicable() {
        return isSsh(dockerHost());
    }

    @Override
    protected int getPriority() {
        return PRIORITY;
    }

    /** Remembered in {@code ~/.testcontainers.properties}; it stands aside whenever DOCKER_HOST is not ssh://. */
    @Override
    protected boolean isPersistable() {
        return true;
    }

    @Override
    public String getDescription() {
        SshDockerHost open = host;
        return "DOCKER_HOST=" + dockerHost() + " through an SSH tunnel (ssh-container)"
                + (open == null ? "" : ": " + open.remoteSocket() + " there is " + open.localUri() + " here");
    }

    /** The tunnel's local socket as {@code unix://...}; connects on the first call. */
    @Override
    public TransportConfig getTransportConfig() throws InvalidConfigurationException {
        return TransportConfig.builder().dockerHost(host().localUri()).build();
    }

    /** Testcontainers' client for the transport, with published ports forwarded (see the class comment). */
    @Override
    public synchronized DockerClient getDockerClient() {
        if (client == null) {
            client = new ForwardingDockerClient(super.getDockerClient(), host().forwards());
        }
        return client;
    }

    /** Where the forwarded ports listen. */
    @Override
    public String getDockerHostIpAddress() {
        return PortForwards.LOCAL_HOST;
    }

    /** The daemon's socket on the remote host, e.g. for Ryuk's bind mount. */
    @Override
    public String getRemoteDockerUnixSocketPath() {
        return host().remoteSocket();
    }

    private synchronized SshDockerHost host() {
        if (host != null) {
            return host;
        }
        String dockerHost = dockerHost();
        if (!isSsh(dockerHost)) {
            throw new InvalidConfigurationException("DOCKER_HOST is " + (dockerHost == null ? "not set" : dockerHost)
                    + "; this strategy needs ssh://user@host[:port]");
        }
        if (failure == null) {
            try {
                SshTarget.parse(dockerHost.trim());
                host = SshDockerHost.open(dockerHost.trim());
                return host;
            } catch (IOException e) {
                failure = e;
            } catch (IllegalArgumentException e) {
                failure = new IOException("DOCKER_HOST=" + dockerHost + " is not a valid ssh:// address: " + e.getMessage(),
                        e);
            }
        }
        throw new InvalidConfigurationException("cannot reach Docker at DOCKER_HOST=" + dockerHost + " through SSH: "
                + failure.getMessage(), failure);
    }
}
