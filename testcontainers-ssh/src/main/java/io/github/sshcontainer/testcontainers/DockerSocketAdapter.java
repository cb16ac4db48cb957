package io.github.sshcontainer.testcontainers;

import java.util.List;

import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.runtime.RuntimeAdapter;

/**
 * Docker's socket candidates for {@link io.github.sshcontainer.tunnel.runtime.RuntimeConnection}'s discovery, with the
 * tunnel itself as the "client": Testcontainers brings its own docker-java client and pings the daemon itself.
 * (Not adapter-docker's {@code DockerAdapter}: that one needs a docker-java of its own beside Testcontainers'.)
 */
final class DockerSocketAdapter implements RuntimeAdapter<Tunnel> {

    @Override
    public String name() {
        return "docker";
    }

    @Override
    public Class<Tunnel> clientType() {
        return Tunnel.class;
    }

    /** The same as adapter-docker's: rootful, then rootless. */
    @Override
    public List<String> socketCandidates(int remoteUid) {
        return List.of("/var/run/docker.sock", "/run/user/" + remoteUid + "/docker.sock");
    }

    @Override
    public String environmentVariable() {
        return "DOCKER_HOST";
    }

    @Override
    public Tunnel createClient(Tunnel tunnel) {
        return tunnel;
    }

    /** Nothing to check here: Testcontainers pings the daemon through the tunnel when it tries the strategy. */
    @Override
    public void checkReady(Tunnel client) {
        // Testcontainers' own ping follows
    }

    /** The tunnel is closed by its connection. */
    @Override
    public void closeClient(Tunnel client) {
        // nothing of its own
    }
}
