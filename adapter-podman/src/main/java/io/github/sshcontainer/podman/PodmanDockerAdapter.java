package io.github.sshcontainer.podman;

import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import io.github.sshcontainer.docker.InProcessDockerAdapter;
import io.github.sshcontainer.docker.TunnelDockerHttpClient;
import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.runtime.ContainerSummary;
import io.github.sshcontainer.tunnel.runtime.RuntimeAdapter;

/**
 * Podman's Docker-compatible API as a docker-java {@link DockerClient}: the Podman socket candidates
 * ({@code /run/podman/podman.sock}, then rootless), and a client whose requests go through the tunnel's in-process
 * connections ({@link TunnelDockerHttpClient}, from adapter-docker). Programs written against docker-java run
 * unchanged against Podman; Podman answers what its compat API supports (no Swarm, BuildKit or plugins).
 *
 * <p><b>Needs {@code ssh-container-docker} on the class path.</b> adapter-podman depends on it only optionally:
 * docker-java and its Jackson, Apache HttpClient and BouncyCastle stay out of programs that use only the libpod
 * {@link PodmanClient}. Rather than a second docker-java transport here (on OkHttp, without the hijacked streams of
 * attach and exec-with-stdin), this reuses adapter-docker's tested {@link TunnelDockerHttpClient}, which needs nothing
 * but tunnel-core's {@link Tunnel#openConnection()}: both adapters stay independent of each other at run time. For
 * the same reason this adapter is not registered with {@link java.util.ServiceLoader} (a registration would break
 * {@code RuntimeAdapters} lookups where docker-java is absent): create it directly, or use
 * {@link PodmanOverSsh#connectDockerCompatible}.
 *
 * <p>{@link #environmentVariable()} is {@code DOCKER_HOST}: the {@code docker} CLI, too, can use the tunnel's local
 * socket to reach Podman.
 */
public final class PodmanDockerAdapter implements RuntimeAdapter<DockerClient> {
    /** The name of this adapter: {@code podman-docker}. */
    public static final String NAME = "podman-docker";

    private final InProcessDockerAdapter docker;
    private final PodmanAdapter podman = new PodmanAdapter();

    /** docker-java's default configuration (no API version: Podman's compat API answers unversioned paths). */
    public PodmanDockerAdapter() {
        this(UnaryOperator.identity());
    }

    /** An adapter whose clients' docker-java configuration is changed by {@code config} (API version, auth...). */
    public PodmanDockerAdapter(UnaryOperator<DefaultDockerClientConfig.Builder> config) {
        this.docker = new InProcessDockerAdapter(Objects.requireNonNull(config, "config"),
                TunnelDockerHttpClient.DEFAULT_MAX_IDLE, java.time.Duration.ofSeconds(10));
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Class<DockerClient> clientType() {
        return DockerClient.class;
    }

    /** Podman's: {@code /run/podman/podman.sock}, then {@code /run/user/UID/podman/podman.sock}. */
    @Override
    public List<String> socketCandidates(int remoteUid) {
        return podman.socketCandidates(remoteUid);
    }

    /** {@code DOCKER_HOST}: the docker CLI reads it. */
    @Override
    public String environmentVariable() {
        return "DOCKER_HOST";
    }

    @Override
    public DockerClient createClient(Tunnel tunnel) {
        return docker.createClient(tunnel);
    }

    /** {@code GET /_ping} on the compat API. */
    @Override
    public void checkReady(DockerClient client) throws IOException {
        docker.checkReady(client);
    }

    /** What the compat API's {@code /version} says, e.g. {@code Docker Engine 4.3.1, API 1.41}. */
    @Override
    public String describe(DockerClient client) throws IOException {
        return docker.describe(client);
    }

    /** The compat API's {@code GET /containers/json}. */
    @Override
    public List<ContainerSummary> listContainers(DockerClient client, boolean all) throws IOException {
        return docker.listContainers(client, all);
    }

    @Override
    public void closeClient(DockerClient client) throws IOException {
        docker.closeClient(client);
    }
}
