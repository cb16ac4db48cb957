package io.github.sshcontainer.testcontainers;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.InternetProtocol;
import com.github.dockerjava.api.model.NetworkSettings;
import com.github.dockerjava.api.model.Ports;
import io.github.sshcontainer.tunnel.RemoteEndpoint;
import io.github.sshcontainer.tunnel.SshTunnelException;
import io.github.sshcontainer.tunnel.Tunnel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The published ports of the remote daemon's containers, forwarded to ports on this machine's 127.0.0.1 over the
 * tunnel's SSH session ({@link Tunnel#forward(RemoteEndpoint, int)}), and rewritten into the answers to
 * {@code GET /containers/ID/json} so that Testcontainers' {@code getMappedPort} names the local port. A container's
 * forwards live until it is removed through this client, or the JVM ends. UDP ports cannot go through SSH: theirs
 * stay as the Docker host published them.
 */
final class PortForwards implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PortForwards.class);
    /** Where the forwards listen: what Testcontainers' {@code getHost()} answers. */
    static final String LOCAL_HOST = "127.0.0.1";

    private final Tunnel tunnel;
    /** container id -> remote "host:port" -> its forward */
    private final Map<String, Map<String, Tunnel>> byContainer = new HashMap<>();
    private boolean closed;

    PortForwards(Tunnel tunnel) {
        this.tunnel = tunnel;
    }

    /**
     * Forwards every published port of {@code container} that has no forward yet and replaces its bindings in
     * {@code container} by the local ones ({@code 127.0.0.1:LOCALPORT}). A binding on every address
     * ({@code 0.0.0.0}, {@code ::}) is reached at the remote host's 127.0.0.1; one on a given address at that address.
     */
    synchronized void rewrite(InspectContainerResponse container) {
        if (closed || container == null || container.getId() == null) {
            return;
        }
        NetworkSettings network = container.getNetworkSettings();
        if (network == null || network.getPorts() == null) {
            return;
        }
        Map<String, Tunnel> forwards = byContainer.computeIfAbsent(container.getId(), id -> new LinkedHashMap<>());
        for (Map.Entry<ExposedPort, Ports.Binding[]> entry : network.getPorts().getBindings().entrySet()) {
            Ports.Binding[] published = entry.getValue();
            if (published == null || published.length == 0 || entry.getKey().getProtocol() != InternetProtocol.TCP) {
                // UDP (and SCTP) cannot go through SSH: such bindings keep the Docker host's port
                continue;
            }
            Map<Integer, Ports.Binding> local = new LinkedHashMap<>();
            for (Ports.Binding binding : published) {
                Ports.Binding replaced = binding == null ? null : forward(forwards, container.getId(), entry.getKey(), binding);
                if (replaced != null) {
                    local.putIfAbsent(Integer.valueOf(replaced.getHostPortSpec()), replaced);
                }
            }
            if (!local.isEmpty()) {
                entry.setValue(local.values().toArray(new Ports.Binding[0]));
            }
        }
    }

    /** The local binding for one published binding; null (binding left alone) when it has no single port. */
    private Ports.Binding forward(Map<String, Tunnel> forwards, String id, ExposedPort exposed, Ports.Binding binding) {
        int port;
        try {
            port = Integer.parseInt(binding.getHostPortSpec());
        } catch (NumberFormatException e) {
            return null; // not started, or a range: nothing to reach yet
        }
        String host = remoteHost(binding.getHostIp());
        String key = (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        Tunnel forward = forwards.get(key);
        if (forward == null) {
            try {
                forward = tunnel.forward(RemoteEndpoint.tcp(host, port), 0);
            } catch (SshTunnelException | RuntimeException e) {
                LOG.warn("cannot forward {} of container {} ({}): {}", exposed, shortId(id), key, e.getMessage());
                return null;
            }
            forwards.put(key, forward);
            LOG.info("container {} port {}: {} on the Docker host is {}:{} here", shortId(id), exposed, key, LOCAL_HOST,
                    port(forward));
        }
        return Ports.Binding.bindIpAndPort(LOCAL_HOST, port(forward));
    }

    private static int port(Tunnel forward) {
        InetSocketAddress a = forward.localTcpAddress().orElseThrow();
        return a.getPort();
    }

    /** The remote address to dial for a published binding's host IP. */
    static String remoteHost(String hostIp) {
        if (hostIp == null || hostIp.isEmpty() || hostIp.equals("0.0.0.0") || hostIp.equals("::")
                || hostIp.equals("[::]")) {
            return "127.0.0.1";
        }
        return hostIp.startsWith("[") && hostIp.endsWith("]") ? hostIp.substring(1, hostIp.length() - 1) : hostIp;
    }

    /** Closes the forwards of the container named by {@code idOrName} (its id, or a prefix of it). */
    void release(String idOrName) {
        List<Tunnel> dropped = new ArrayList<>();
        synchronized (this) {
            for (Iterator<Map.Entry<String, Map<String, Tunnel>>> it = byContainer.entrySet().iterator(); it.hasNext();) {
                Map.Entry<String, Map<String, Tunnel>> e = it.next();
                if (idOrName != null && !idOrName.isEmpty() && e.getKey().startsWith(idOrName)) {
                    dropped.addAll(e.getValue().values());
                    it.remove();
                }
            }
        }
        dropped.forEach(Tunnel::close);
        if (!dropped.isEmpty()) {
            LOG.debug("closed {} forward(s) of container {}", dropped.size(), shortId(idOrName));
        }
    }

    /** How many forwards are open (for tests and logs). */
    synchronized int size() {
        return byContainer.values().stream().mapToInt(Map::size).sum();
    }

    @Override
    public void close() {
        List<Tunnel> all = new ArrayList<>();
        synchronized (this) {
            closed = true;
            byContainer.values().forEach(m -> all.addAll(m.values()));
            byContainer.clear();
        }
        all.forEach(Tunnel::close);
    }

    private static String shortId(String id) {
        return id != null && id.length() > 12 ? id.substring(0, 12) : String.valueOf(id);
    }
}
