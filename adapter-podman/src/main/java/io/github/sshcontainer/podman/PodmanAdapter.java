package io.github.sshcontainer.podman;

import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;

import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.runtime.ContainerSummary;
import io.github.sshcontainer.tunnel.runtime.RuntimeAdapter;
import okhttp3.OkHttpClient;

/**
 * The {@link RuntimeAdapter} for Podman: a {@link PodmanClient} over the tunnel's in-process connections, or through
 * its local unix socket ({@link #throughLocalSocket(UnaryOperator)}). Found by {@link java.util.ServiceLoader} as
 * {@code "podman"}. Most programs use {@link PodmanOverSsh}.
 *
 * <pre>{@code
 * RuntimeAdapter<PodmanClient> podman = RuntimeAdapters.find("podman", PodmanClient.class);
 * try (RuntimeConnection<PodmanClient> c = RuntimeConnection.open(podman, target, sshOptions)) {
 *     c.client().version();
 * }
 * }</pre>
 */
public final class PodmanAdapter implements RuntimeAdapter<PodmanClient> {
    /** The name users type: {@code podman}. */
    public static final String NAME = "podman";

    private final UnaryOperator<OkHttpClient.Builder> httpCustomizer;
    private final boolean localSocket;

    /** The adapter with OkHttp's defaults (what {@link java.util.ServiceLoader} creates). */
    public PodmanAdapter() {
        this(UnaryOperator.identity());
    }

    /**
     * An adapter whose clients use the tunnel's in-process connections, their OkHttp builder changed by
     * {@code httpCustomizer} (timeouts, interceptors).
     */
    public PodmanAdapter(UnaryOperator<OkHttpClient.Builder> httpCustomizer) {
        this(httpCustomizer, false);
    }

    private PodmanAdapter(UnaryOperator<OkHttpClient.Builder> httpCustomizer, boolean localSocket) {
        this.httpCustomizer = Objects.requireNonNull(httpCustomizer, "httpCustomizer");
        this.localSocket = localSocket;
    }

    /**
     * An adapter whose clients go through the tunnel's local unix socket with junixsocket
     * ({@link PodmanClient#overLocalSocket(Tunnel, UnaryOperator)}), the same socket {@code CONTAINER_HOST} names for
     * podman itself. Its tunnels need a local socket (the default); an in-process-only tunnel fails in
     * {@link #createClient(Tunnel)}.
     */
    public static PodmanAdapter throughLocalSocket(UnaryOperator<OkHttpClient.Builder> httpCustomizer) {
        return new PodmanAdapter(httpCustomizer, true);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Class<PodmanClient> clientType() {
        return PodmanClient.class;
    }

    /** {@code /run/podman/podman.sock} (rootful), then {@code /run/user/UID/podman/podman.sock} (rootless). */
    @Override
    public List<String> socketCandidates(int remoteUid) {
        return List.of("/run/podman/podman.sock", "/run/user/" + remoteUid + "/podman/podman.sock");
    }

    /** {@code CONTAINER_HOST}, which {@code podman --remote} reads; its value is {@code unix://LOCAL-SOCKET}. */
    @Override
    public String environmentVariable() {
        return "CONTAINER_HOST";
    }

    @Override
    public PodmanClient createClient(Tunnel tunnel) {
        return localSocket ? PodmanClient.overLocalSocket(tunnel, httpCustomizer)
                : PodmanClient.over(tunnel, httpCustomizer);
    }

    /** {@code GET /_ping}. */
    @Override
    public void checkReady(PodmanClient client) throws IOException {
        client.ping();
    }

    /** E.g. {@code Podman 4.3.1, API 4.3.1, linux/amd64}. */
    @Override
    public String describe(PodmanClient client) throws IOException {
        PodmanVersion v = client.version();
        return "Podman " + v.version() + ", API " + v.apiVersion() + ", " + v.os() + "/" + v.arch();
    }

    /** {@code GET /libpod/containers/json}: Podman's state word ({@code running}, {@code exited}, ...) and names. */
    @Override
    public List<ContainerSummary> listContainers(PodmanClient client, boolean all) throws IOException {
        return client.containers().list(all);
    }

    @Override
    public void closeClient(PodmanClient client) {
        client.close();
    }
}
