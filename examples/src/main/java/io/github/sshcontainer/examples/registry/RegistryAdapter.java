package io.github.sshcontainer.examples.registry;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.runtime.RuntimeAdapter;

/**
 * A fourth runtime, plugged in with nothing but the SPI: a Docker registry's HTTP API. Registered in this module's
 * {@code META-INF/services/io.github.sshcontainer.tunnel.runtime.RuntimeAdapter} and found by name:
 *
 * <pre>{@code
 * RuntimeAdapter<RegistryClient> registry = RuntimeAdapters.find("registry", RegistryClient.class);
 * }</pre>
 *
 * <p>A registry listens on TCP, not on a unix socket, so there are no socket candidates: open the tunnel with
 * {@code RemoteEndpoint.tcp(host, port)} and hand it to {@code RuntimeConnection.open(adapter, tunnelBuilder,
 * readiness)}. The client uses in-process connections, so any local side works ({@code inProcessOnly()} is
 * enough). Listing containers is left to the SPI's default: a registry has none.
 */
public final class RegistryAdapter implements RuntimeAdapter<RegistryClient> {
    /** How long one answer may take. */
    static final Duration READ_TIMEOUT = Duration.ofSeconds(10);

    @Override
    public String name() {
        return "registry";
    }

    @Override
    public Class<RegistryClient> clientType() {
        return RegistryClient.class;
    }

    /** None: a registry is reached at a TCP address ({@code RemoteEndpoint.tcp}). */
    @Override
    public List<String> socketCandidates(int remoteUid) {
        return List.of();
    }

    /** {@code REGISTRY_HOST}, e.g. for {@code docker pull $REGISTRY_HOST/busybox}. */
    @Override
    public String environmentVariable() {
        return "REGISTRY_HOST";
    }

    /** {@code 127.0.0.1:PORT} of a {@code localTcp} tunnel: an image reference's registry part. */
    @Override
    public String environmentValue(Tunnel tunnel) {
        InetSocketAddress a = tunnel.localTcpAddress().orElseThrow(() -> new IllegalArgumentException(
                "REGISTRY_HOST needs a tunnel with a local TCP port (TunnelBuilder.localTcp(0))"));
        return a.getHostString() + ":" + a.getPort();
    }

    @Override
    public RegistryClient createClient(Tunnel tunnel) {
        return new RegistryClient(tunnel, READ_TIMEOUT);
    }

    /** {@code GET /v2/} answers 200. */
    @Override
    public void checkReady(RegistryClient client) throws IOException {
        client.apiVersion();
    }

    /** E.g. {@code Docker registry, API registry/2.0}. */
    @Override
    public String describe(RegistryClient client) throws IOException {
        return "Docker registry, API " + client.apiVersion();
    }

    /** Nothing to release: every request had its own connection. */
    @Override
    public void closeClient(RegistryClient client) {
        // nothing held
    }
}
