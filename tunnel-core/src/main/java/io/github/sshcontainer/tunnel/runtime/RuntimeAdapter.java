package io.github.sshcontainer.tunnel.runtime;

import java.io.IOException;
import java.util.List;

import io.github.sshcontainer.tunnel.Tunnel;

/**
 * The SPI a container runtime implements to be reached through a {@link Tunnel}: where its socket usually is,
 * which variable its own tools read, and how to build its client over the tunnel. Implementations are found with
 * {@link java.util.ServiceLoader} (a {@code META-INF/services/io.github.sshcontainer.tunnel.runtime.RuntimeAdapter}
 * entry); a new runtime is one class and one services file.
 *
 * <pre>{@code
 * RuntimeAdapter<DockerClient> docker = RuntimeAdapters.find("docker", DockerClient.class);
 * try (RuntimeConnection<DockerClient> c = RuntimeConnection.open(docker, target, sshOptions)) {
 *     c.client().pingCmd().exec();
 * }
 * }</pre>
 *
 * @param <C> the runtime's client type (docker-java's {@code DockerClient}, a containerd client, ...)
 */
public interface RuntimeAdapter<C> {

    /** The runtime's name as users type it: {@code docker}, {@code podman}, {@code containerd}. Lower case. */
    String name();

    /** The client type this adapter builds. */
    Class<C> clientType();

    /**
     * Remote socket paths to try, most likely first: rootful, then rootless for {@code remoteUid} (e.g.
     * {@code /var/run/docker.sock}, {@code /run/user/1000/docker.sock}).
     */
    List<String> socketCandidates(int remoteUid);

    /** The environment variable the runtime's own tools read: {@code DOCKER_HOST}, {@code CONTAINER_HOST}, ... */
    String environmentVariable();

    /** The value of {@link #environmentVariable()} that points the runtime's tools at {@code tunnel}. */
    default String environmentValue(Tunnel tunnel) {
        return tunnel.localUri().toString();
    }

    /** Builds the client over {@code tunnel}; must not talk to the daemon yet. The caller owns the result. */
    C createClient(Tunnel tunnel) throws IOException;

    /**
     * Asks the daemon whether it is ready (a ping, a version call).
     *
     * @throws IOException saying what the daemon answered, or that it did not answer
     */
    void checkReady(C client) throws IOException;

    /**
     * One line naming the daemon and its version, for status displays (e.g. {@code Docker Engine 20.10.24, API
     * 1.41}). Default: the runtime's name.
     */
    default String describe(C client) throws IOException {
        return name();
    }

    /**
     * Lists the runtime's containers, for {@code ssh-container ps}: running ones, or all of them with {@code all}.
     * Default: not supported.
     *
     * @throws UnsupportedOperationException if this adapter cannot list containers (the default)
     * @throws IOException saying what the daemon answered, or that it did not answer
     */
    default List<ContainerSummary> listContainers(C client, boolean all) throws IOException {
        throw new UnsupportedOperationException("the " + name() + " adapter cannot list containers");
    }

    /** Releases the client (connection pools, threads). Called before the tunnel closes. */
    void closeClient(C client) throws IOException;
}
