package io.github.sshcontainer.containerd;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;

import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.runtime.ContainerSummary;
import io.github.sshcontainer.tunnel.runtime.RuntimeAdapter;
import io.grpc.ManagedChannelBuilder;

/**
 * The {@link RuntimeAdapter} for containerd: a {@link ContainerdClient} (gRPC) on the tunnel's private local unix
 * socket. Found by {@link java.util.ServiceLoader} as {@code "containerd"}.
 *
 * <pre>{@code
 * RuntimeAdapter<ContainerdClient> ctrd = new ContainerdAdapter().withNamespace("k8s.io");
 * try (RuntimeConnection<ContainerdClient> c = RuntimeConnection.open(ctrd, target, sshOptions)) {
 *     System.out.println(c.client().version());
 * }
 * }</pre>
 */
public final class ContainerdAdapter implements RuntimeAdapter<ContainerdClient> {
    /** The name users type: {@code containerd}. */
    public static final String NAME = "containerd";

    private final String namespace;
    private final Duration deadline;
    private final UnaryOperator<ManagedChannelBuilder<?>> channelCustomizer;

    /** Namespace {@value ContainerdClient#DEFAULT_NAMESPACE}, 10 s deadlines, the default channel. */
    public ContainerdAdapter() {
        this(ContainerdClient.DEFAULT_NAMESPACE, ContainerdClient.DEFAULT_DEADLINE, UnaryOperator.identity());
    }

    private ContainerdAdapter(String namespace, Duration deadline,
            UnaryOperator<ManagedChannelBuilder<?>> channelCustomizer) {
        this.namespace = Objects.requireNonNull(namespace, "namespace");
        if (namespace.isBlank()) {
            throw new IllegalArgumentException("the containerd namespace must not be empty");
        }
        this.deadline = Objects.requireNonNull(deadline, "deadline");
        if (deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException("the deadline must be positive");
        }
        this.channelCustomizer = Objects.requireNonNull(channelCustomizer, "channelCustomizer");
    }

    /** This adapter with clients working in {@code namespace} (e.g. {@code k8s.io}). */
    public ContainerdAdapter withNamespace(String namespace) {
        return new ContainerdAdapter(namespace, deadline, channelCustomizer);
    }

    /** This adapter with another deadline for every call. */
    public ContainerdAdapter withDeadline(Duration deadline) {
        return new ContainerdAdapter(namespace, deadline, channelCustomizer);
    }

    /** This adapter with {@code customizer} changing the gRPC channel builder before it is built. */
    public ContainerdAdapter withChannel(UnaryOperator<ManagedChannelBuilder<?>> customizer) {
        return new ContainerdAdapter(namespace, deadline, customizer);
    }

    public String namespace() {
        return namespace;
    }

    public Duration deadline() {
        return deadline;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Class<ContainerdClient> clientType() {
        return ContainerdClient.class;
    }

    /**
     * {@code /run/containerd/containerd.sock} (rootful), {@code /run/k3s/containerd/containerd.sock} (k3s's embedded
     * containerd), then {@code /run/user/UID/containerd/containerd.sock} (rootless).
     */
    @Override
    public List<String> socketCandidates(int remoteUid) {
        return List.of("/run/containerd/containerd.sock", "/run/k3s/containerd/containerd.sock",
                "/run/user/" + remoteUid + "/containerd/containerd.sock");
    }

    @Override
    public String environmentVariable() {
        return "CONTAINERD_ADDRESS";
    }

    /** The bare path of the tunnel's local socket: containerd's tools take a path, not a URI. */
    @Override
    public String environmentValue(Tunnel tunnel) {
        return localSocket(tunnel).toString();
    }

    /**
     * A client on the tunnel's local unix socket; does not connect yet.
     *
     * @throws IllegalArgumentException for a tunnel without a local unix socket
     */
    @Override
    public ContainerdClient createClient(Tunnel tunnel) {
        return ContainerdClient.connect(localSocket(tunnel), namespace, deadline, channelCustomizer);
    }

    private static Path localSocket(Tunnel tunnel) {
        return tunnel.localSocket().orElseThrow(() -> new IllegalArgumentException("the containerd adapter needs a "
                + "tunnel with a local unix socket (TunnelBuilder.privateLocalSocket(), the default)"));
    }

    /** Asks containerd's gRPC health service, then for its version. */
    @Override
    public void checkReady(ContainerdClient client) throws IOException {
        if (!client.serving()) {
            throw new IOException("containerd answers its gRPC health check with NOT_SERVING: it is starting or "
                    + "shutting down");
        }
        client.version();
    }

    /** {@code containerd VERSION (REVISION)}. */
    @Override
    public String describe(ContainerdClient client) throws IOException {
        ContainerdClient.Version v = client.version();
        return "containerd " + v.version() + " (" + v.revision() + ")";
    }

    /**
     * The containers of the client's namespace with the status of their task: {@code running}, {@code stopped},
     * {@code paused}, {@code created} (a task created but not started, or no task at all); only running ones unless
     * {@code all}. containerd has no names: {@link ContainerSummary#names()} is empty.
     */
    @Override
    public List<ContainerSummary> listContainers(ContainerdClient client, boolean all) throws IOException {
        Map<String, Tasks.Info> tasks = new HashMap<>();
        for (Tasks.Info t : client.tasks().list()) {
            tasks.put(t.containerId(), t);
        }
        List<ContainerSummary> result = new ArrayList<>();
        for (Containers.Info c : client.containers().list()) {
            Tasks.Info task = tasks.get(c.id());
            String state = task == null ? "created" : task.status();
            if (!all && !"running".equals(state)) {
                continue;
            }
            String status = task == null ? "created (no task)"
                    : "stopped".equals(state) ? "stopped (exit " + task.exitStatus() + ")"
                    : state + (task.pid() > 0 ? " (pid " + task.pid() + ")" : "");
            result.add(new ContainerSummary(c.id(), c.image(), state, status, List.of()));
        }
        return List.copyOf(result);
    }

    @Override
    public void closeClient(ContainerdClient client) {
        client.close();
    }
}
