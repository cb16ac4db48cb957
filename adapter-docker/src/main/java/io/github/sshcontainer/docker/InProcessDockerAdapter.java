package io.github.sshcontainer.docker;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.TunnelBuilder;
import io.github.sshcontainer.tunnel.runtime.ContainerSummary;
import io.github.sshcontainer.tunnel.runtime.RuntimeAdapter;
import io.github.sshcontainer.tunnel.runtime.RuntimeConnection;

/**
 * A {@link RuntimeAdapter} for Docker whose clients talk to the daemon through {@link Tunnel#openConnection()}
 * ({@link TunnelDockerHttpClient}): works with {@link io.github.sshcontainer.tunnel.TunnelBuilder#inProcessOnly()}
 * tunnels, which create no socket file and no port. Hijacked streams (attach, exec with stdin) half-close when their
 * input ends. Most programs use {@link DockerOverSsh#connectInProcess(SshTarget, SshOptions)}.
 *
 * <p>The client configuration starts from docker-java's defaults with TLS verification off, like
 * {@link DockerAdapter}; its Docker host is nominal ({@code unix:///var/run/docker.sock}) — every request goes through
 * the tunnel. Such a tunnel has no {@code DOCKER_HOST} for other tools: {@link RuntimeConnection#environmentLine()}
 * throws {@link IllegalStateException} for it.
 */
public final class InProcessDockerAdapter implements RuntimeAdapter<DockerClient> {
    /** The name of this adapter: {@code docker-inprocess}. */
    public static final String NAME = "docker-inprocess";

    private final UnaryOperator<DefaultDockerClientConfig.Builder> configCustomizer;
    private final int maxIdleConnections;
    private final DockerAdapter pinger;

    /** docker-java's default configuration, {@link TunnelDockerHttpClient#DEFAULT_MAX_IDLE} idle connections. */
    public InProcessDockerAdapter() {
        this(UnaryOperator.identity(), TunnelDockerHttpClient.DEFAULT_MAX_IDLE, DockerAdapter.DEFAULT_PING_TIMEOUT);
    }

    /**
     * @param configCustomizer changes docker-java's client configuration (API version, registry credentials...)
     * @param maxIdleConnections how many idle connections (SSH channels) each client keeps for reuse
     * @param pingTimeout how long one readiness ping may take
     */
    public InProcessDockerAdapter(UnaryOperator<DefaultDockerClientConfig.Builder> configCustomizer,
            int maxIdleConnections, Duration pingTimeout) {
        this.configCustomizer = Objects.requireNonNull(configCustomizer, "configCustomizer");
        if (maxIdleConnections < 0) {
            throw new IllegalArgumentException("maxIdleConnections must not be negative");
        }
        this.maxIdleConnections = maxIdleConnections;
        this.pinger = new DockerAdapter().withPingTimeout(pingTimeout);
    }

    /**
     * Opens an in-process-only tunnel to the Docker socket on {@code target} (its path, else the first candidate
     * that exists: rootful, then rootless for the remote uid) and returns a client that has answered a ping.
     */
    public static RuntimeConnection<DockerClient> connect(InProcessDockerAdapter adapter, SshTarget target,
            SshOptions ssh) throws IOException {
        return RuntimeConnection.open(adapter, target, ssh, null, TunnelBuilder::inProcessOnly);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Class<DockerClient> clientType() {
        return DockerClient.class;
    }

    @Override
    public List<String> socketCandidates(int remoteUid) {
        return pinger.socketCandidates(remoteUid);
    }

    @Override
    public String environmentVariable() {
        return pinger.environmentVariable();
    }

    /** Builds a client over the tunnel's in-process connections; opens none yet. */
    @Override
    public DockerClient createClient(Tunnel tunnel) {
        DefaultDockerClientConfig.Builder builder = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerTlsVerify(false);
        builder = Objects.requireNonNull(configCustomizer.apply(builder), "the Docker config customizer returned null");
        DockerClientConfig config = builder.withDockerHost("unix:///var/run/docker.sock").build();
        return DockerClientImpl.getInstance(config, new TunnelDockerHttpClient(tunnel::openConnection,
                maxIdleConnections));
    }

    /** {@code GET /_ping} within the ping timeout, as {@link DockerAdapter#checkReady(DockerClient)}. */
    @Override
    public void checkReady(DockerClient client) throws IOException {
        pinger.checkReady(client);
    }

    /** As {@link DockerAdapter#describe(DockerClient)}. */
    @Override
    public String describe(DockerClient client) throws IOException {
        return pinger.describe(client);
    }

    /** As {@link DockerAdapter#listContainers(DockerClient, boolean)}. */
    @Override
    public List<ContainerSummary> listContainers(DockerClient client, boolean all) throws IOException {
        return pinger.listContainers(client, all);
    }

    /** Closes the client and its connections. */
    @Override
    public void closeClient(DockerClient client) throws IOException {
        client.close();
    }
}
