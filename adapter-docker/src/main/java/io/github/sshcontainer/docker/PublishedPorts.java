package io.github.sshcontainer.docker;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.InternetProtocol;
import com.github.dockerjava.api.model.NetworkSettings;
import com.github.dockerjava.api.model.Ports;
import io.github.sshcontainer.tunnel.RemoteEndpoint;
import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.runtime.RuntimeConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A container's published TCP ports on the remote Docker host, each forwarded to a port on this machine's
 * 127.0.0.1 over the SSH session of the connection's tunnel ({@link Tunnel#forward(RemoteEndpoint, int)}): no second
 * login, no port opened on the remote host beyond what Docker published.
 *
 * <pre>{@code
 * try (RuntimeConnection<DockerClient> docker = DockerOverSsh.connect(target, ssh);
 *         PublishedPorts ports = PublishedPorts.forward(docker, containerId)) {
 *     InetSocketAddress web = ports.address(8080);   // 127.0.0.1:41234 here -> the container's 8080
 * }
 * }</pre>
 *
 * <p>A port published on every address ({@code 0.0.0.0}, {@code ::}) is reached at the remote host's 127.0.0.1, one
 * published on a given address at that address. UDP ports cannot go through SSH and are left out. The ports are
 * read once, when this is made: a container must be running to have published ports. Closing this closes the
 * forwards; closing the connection's tunnel does too.
 */
public final class PublishedPorts implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PublishedPorts.class);

    private final String containerId;
    private final Map<ExposedPort, Tunnel> forwards;

    private PublishedPorts(String containerId, Map<ExposedPort, Tunnel> forwards) {
        this.containerId = containerId;
        this.forwards = forwards;
    }

    /**
     * Inspects the container and forwards each of its published TCP ports to a free port on 127.0.0.1.
     *
     * @param containerId the container's id (or a unique prefix) or name
     * @throws IOException when there is no such container, or a forward cannot be opened (the ones already opened
     *         are closed again)
     */
    public static PublishedPorts forward(RuntimeConnection<DockerClient> docker, String containerId)
            throws IOException {
        Objects.requireNonNull(docker, "docker");
        Objects.requireNonNull(containerId, "containerId");
        NetworkSettings network;
        try {
            network = docker.client().inspectContainerCmd(containerId).exec().getNetworkSettings();
        } catch (NotFoundException e) {
            throw new IOException("no container " + containerId + " on " + docker.tunnel().target(), e);
        }
        Map<ExposedPort, Tunnel> forwards = new LinkedHashMap<>();
        try {
            Map<ExposedPort, Ports.Binding[]> bindings = network == null || network.getPorts() == null ? Map.of()
                    : network.getPorts().getBindings();
            for (Map.Entry<ExposedPort, Ports.Binding[]> e : bindings.entrySet()) {
                RemoteEndpoint remote = remoteOf(e.getKey(), e.getValue());
                if (remote != null) {
                    Tunnel forward = docker.tunnel().forward(remote, 0);
                    forwards.put(e.getKey(), forward);
                    LOG.debug("container {} port {}: {} on {} is {} here", containerId, e.getKey(), remote,
                            docker.tunnel().target(), forward.localUri());
                }
            }
        } catch (IOException | RuntimeException e) {
            forwards.values().forEach(Tunnel::close);
            throw e;
        }
        return new PublishedPorts(containerId, forwards);
    }

    /** The remote address of a published TCP port (its first binding with one port), or null. */
    static RemoteEndpoint remoteOf(ExposedPort exposed, Ports.Binding[] published) {
        if (published == null || exposed.getProtocol() != InternetProtocol.TCP) {
            return null;
        }
        for (Ports.Binding binding : published) {
            if (binding == null || binding.getHostPortSpec() == null) {
                continue;
            }
            try {
                return RemoteEndpoint.tcp(remoteHost(binding.getHostIp()), Integer.parseInt(binding.getHostPortSpec()));
            } catch (NumberFormatException e) {
                // a range: not started yet
            }
        }
        return null;
    }

    /** The remote address to dial for a binding's host IP: the loopback for every-address bindings. */
    static String remoteHost(String hostIp) {
        if (hostIp == null || hostIp.isEmpty() || hostIp.equals("0.0.0.0") || hostIp.equals("::")
                || hostIp.equals("[::]")) {
            return "127.0.0.1";
        }
        return hostIp.startsWith("[") && hostIp.endsWith("]") ? hostIp.substring(1, hostIp.length() - 1) : hostIp;
    }

    /** The container this was made for, as given. */
    public String containerId() {
        return containerId;
    }

    /** The local address of each forwarded port, in the order Docker listed them. */
    public Map<ExposedPort, InetSocketAddress> addresses() {
        Map<ExposedPort, InetSocketAddress> out = new LinkedHashMap<>();
        forwards.forEach((port, forward) -> out.put(port, forward.localTcpAddress().orElseThrow()));
        return Collections.unmodifiableMap(out);
    }

    /** The local address of the container's TCP port {@code containerPort}. */
    public InetSocketAddress address(int containerPort) {
        return address(ExposedPort.tcp(containerPort));
    }

    /**
     * The local address of {@code port}.
     *
     * @throws IllegalArgumentException when that port was not published (the published ones are named)
     */
    public InetSocketAddress address(ExposedPort port) {
        Tunnel forward = forwards.get(port);
        if (forward == null) {
            List<String> published = new ArrayList<>();
            forwards.keySet().forEach(p -> published.add(p.toString()));
            throw new IllegalArgumentException("port " + port + " of container " + containerId
                    + " is not published on the Docker host (published TCP ports: "
                    + (published.isEmpty() ? "none" : String.join(", ", published)) + ")");
        }
        return forward.localTcpAddress().orElseThrow();
    }

    /** Closes the forwards. Idempotent. */
    @Override
    public void close() {
        forwards.values().forEach(Tunnel::close);
    }
}
