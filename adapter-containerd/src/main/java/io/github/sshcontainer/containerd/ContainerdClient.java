package io.github.sshcontainer.containerd;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

import com.google.protobuf.Empty;
import io.github.sshcontainer.containerd.api.health.v1.HealthCheckRequest;
import io.github.sshcontainer.containerd.api.health.v1.HealthCheckResponse;
import io.github.sshcontainer.containerd.api.health.v1.HealthGrpc;
import io.github.sshcontainer.containerd.api.namespaces.v1.CreateNamespaceRequest;
import io.github.sshcontainer.containerd.api.namespaces.v1.DeleteNamespaceRequest;
import io.github.sshcontainer.containerd.api.namespaces.v1.GetNamespaceRequest;
import io.github.sshcontainer.containerd.api.namespaces.v1.ListNamespacesRequest;
import io.github.sshcontainer.containerd.api.namespaces.v1.NamespacesGrpc;
import io.github.sshcontainer.containerd.api.version.v1.VersionGrpc;
import io.github.sshcontainer.containerd.api.version.v1.VersionResponse;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;

/**
 * A small, typed client for containerd's gRPC API. Every call carries the {@code containerd-namespace} header
 * ({@link #namespace()}, default {@value #DEFAULT_NAMESPACE}) and a deadline ({@link #deadline()}, default
 * {@link #DEFAULT_DEADLINE}). Closing the client shuts its channel down.
 *
 * <pre>{@code
 * try (ContainerdClient c = ContainerdClient.connect(Path.of("/run/containerd/containerd.sock"))) {
 *     System.out.println(c.version().version());
 * }
 * }</pre>
 *
 * The services are small wrappers obtained from the client: {@link #images()}, {@link #cri()} (server-side pulls),
 * {@link #importer()} (image archives from this machine), {@link #content()}, {@link #snapshots()},
 * {@link #containers()}, {@link #tasks()}, {@link #events()}, {@link #leases()}, {@link #introspection()}, and
 * {@link #runner()}, which does what {@code ctr run} does:
 *
 * <pre>{@code
 * client.runner().create("hello", "127.0.0.1:5000/busybox:latest", RuntimeSpec.of("echo", "hello"));
 * Tasks.Exit exit = client.runner().run("hello", "/tmp/hello.log", Duration.ofSeconds(30));
 * byte[] output = new RemoteFiles(target, sshOptions).read("/tmp/hello.log", 1 << 20);
 * client.runner().remove("hello");
 * }</pre>
 *
 * Over SSH, {@link ContainerdAdapter} builds it on the tunnel's private local socket.
 */
public final class ContainerdClient implements AutoCloseable {
    /** The metadata header containerd reads the namespace from. */
    public static final String NAMESPACE_HEADER = "containerd-namespace";
    /** The namespace used unless another is configured. */
    public static final String DEFAULT_NAMESPACE = "default";
    /** How long one call may take unless another deadline is configured. */
    public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(10);

    /** What containerd says it is. */
    public record Version(String version, String revision) {
    }

    /** A containerd namespace and its labels. */
    public record Namespace(String name, Map<String, String> labels) {
        public Namespace {
            Objects.requireNonNull(name, "name");
            labels = Map.copyOf(labels);
        }
    }

    private final ManagedChannel channel;
    private final EventLoopGroup eventLoop;
    private final String namespace;
    private final Duration deadline;
    /** Where the channel goes (a socket path), for messages; null when unknown. */
    private final String where;
    private final VersionGrpc.VersionBlockingStub version;
    private final NamespacesGrpc.NamespacesBlockingStub namespaces;
    private final Calls calls;

    ContainerdClient(ManagedChannel channel, EventLoopGroup eventLoop, String namespace, Duration deadline,
            String where) {
        this.where = where;
        this.channel = Objects.requireNonNull(channel, "channel");
        this.eventLoop = eventLoop;
        this.namespace = checkNamespace(namespace);
        this.deadline = checkDeadline(deadline);
        Channel withHeader = ClientInterceptors.intercept(channel, new NamespaceHeader(namespace));
        this.version = VersionGrpc.newBlockingStub(withHeader);
        this.namespaces = NamespacesGrpc.newBlockingStub(withHeader);
        this.calls = new Calls(withHeader, namespace, deadline, where);
    }

    /** A client on containerd's socket {@code socket}, with the default namespace, deadline and channel. */
    public static ContainerdClient connect(Path socket) {
        return connect(socket, DEFAULT_NAMESPACE, DEFAULT_DEADLINE, UnaryOperator.identity());
    }

    /**
     * A client on the unix socket {@code socket} (gRPC over Netty's epoll transport; does not connect yet).
     *
     * @param namespace sent as {@value #NAMESPACE_HEADER} on every call
     * @param deadline the limit of every call
     * @param channelCustomizer changes the channel builder (message size, keepalive, interceptors...) before it is
     *        built
     * @throws IllegalStateException when Netty's epoll transport is not available on this machine
     */
    @SuppressWarnings("deprecation") // EpollEventLoopGroup: its replacement (Netty 4.2 IoHandler) is not in all grpc builds
    public static ContainerdClient connect(Path socket, String namespace, Duration deadline,
            UnaryOperator<ManagedChannelBuilder<?>> channelCustomizer) {
        Objects.requireNonNull(socket, "socket");
        checkNamespace(namespace);
        checkDeadline(deadline);
        Objects.requireNonNull(channelCustomizer, "channelCustomizer");
        if (!Epoll.isAvailable()) {
            throw new IllegalStateException("gRPC over a unix socket needs Netty's epoll transport, which is not "
                    + "available here: " + Epoll.unavailabilityCause(), Epoll.unavailabilityCause());
        }
        EventLoopGroup group = new EpollEventLoopGroup(1, daemonThreads());
        try {
            ManagedChannelBuilder<?> builder = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                    .channelType(EpollDomainSocketChannel.class)
                    .eventLoopGroup(group)
                    // grpc sets SO_KEEPALIVE on every channel; a unix socket has none, and Netty warns about it on
                    // each connect. A null value removes the option again (grpc applies ours after its own).
                    .withOption(ChannelOption.SO_KEEPALIVE, null)
                    .overrideAuthority("localhost")
                    .usePlaintext()
                    // containerd sends large answers (image indexes, content reads); 16 MiB like its Go client
                    .maxInboundMessageSize(16 << 20);
            builder = Objects.requireNonNull(channelCustomizer.apply(builder),
                    "the channel customizer returned null");
            return new ContainerdClient(builder.build(), group, namespace, deadline, socket.toString());
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw e;
        }
    }

    /**
     * A client over a channel the caller built (e.g. in-process); closing the client shuts that channel down.
     */
    public static ContainerdClient over(ManagedChannel channel, String namespace, Duration deadline) {
        return new ContainerdClient(channel, null, namespace, deadline, null);
    }

    private static java.util.concurrent.ThreadFactory daemonThreads() {
        return r -> {
            Thread t = new Thread(r, "ssh-container-containerd-io");
            t.setDaemon(true);
            return t;
        };
    }

    private static String checkNamespace(String namespace) {
        Objects.requireNonNull(namespace, "namespace");
        if (namespace.isBlank()) {
            throw new IllegalArgumentException("the containerd namespace must not be empty");
        }
        return namespace;
    }

    private static Duration checkDeadline(Duration deadline) {
        Objects.requireNonNull(deadline, "deadline");
        if (deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException("the deadline must be positive");
        }
        return deadline;
    }

    /** The namespace every call is sent in. */
    public String namespace() {
        return namespace;
    }

    /** The deadline of every call. */
    public Duration deadline() {
        return deadline;
    }

    /** The underlying channel, for stubs this client does not wrap yet; it carries no namespace header by itself. */
    public ManagedChannel channel() {
        return channel;
    }

    /** containerd's version and revision ({@code containerd.services.version.v1.Version/Version}). */
    public Version version() throws ContainerdException {
        VersionResponse r = call("Version", () -> version.withDeadlineAfter(millis(), TimeUnit.MILLISECONDS)
                .version(Empty.getDefaultInstance()));
        return new Version(r.getVersion(), r.getRevision());
    }

    /**
     * Whether containerd's gRPC server says it is serving ({@code grpc.health.v1.Health/Check}).
     *
     * @throws ContainerdException when it does not answer
     */
    public boolean serving() throws ContainerdException {
        var r = calls.call("Health/Check", () -> calls.timed(HealthGrpc.newBlockingStub(calls.channel()))
                .check(HealthCheckRequest.getDefaultInstance()));
        return r.getStatus() == HealthCheckResponse.ServingStatus.SERVING;
    }

    /** Every namespace, in containerd's order. */
    public List<Namespace> namespaces() throws ContainerdException {
        var r = call("Namespaces/List", () -> namespaces.withDeadlineAfter(millis(), TimeUnit.MILLISECONDS)
                .list(ListNamespacesRequest.getDefaultInstance()));
        List<Namespace> result = new ArrayList<>(r.getNamespacesCount());
        for (var n : r.getNamespacesList()) {
            result.add(toNamespace(n));
        }
        return List.copyOf(result);
    }

    /**
     * The namespace {@code name} and its labels. containerd 1.6 does not check that the namespace exists: for a
     * missing one it answers with the name and no labels ({@link #namespaces()} tells whether it exists).
     */
    public Namespace namespace(String name) throws ContainerdException {
        var r = call("Namespaces/Get", () -> namespaces.withDeadlineAfter(millis(), TimeUnit.MILLISECONDS)
                .get(GetNamespaceRequest.newBuilder().setName(name).build()));
        return toNamespace(r.getNamespace());
    }

    /**
     * Creates the namespace {@code name} with {@code labels}.
     *
     * @throws ContainerdException with code {@code ALREADY_EXISTS} when it exists
     */
    public Namespace createNamespace(String name, Map<String, String> labels) throws ContainerdException {
        var n = io.github.sshcontainer.containerd.api.namespaces.v1.Namespace.newBuilder().setName(name)
                .putAllLabels(labels).build();
        var r = call("Namespaces/Create", () -> namespaces.withDeadlineAfter(millis(), TimeUnit.MILLISECONDS)
                .create(CreateNamespaceRequest.newBuilder().setNamespace(n).build()));
        return toNamespace(r.getNamespace());
    }

    /**
     * Deletes the namespace {@code name}; containerd refuses ({@code FAILED_PRECONDITION}) while it holds anything.
     */
    public void deleteNamespace(String name) throws ContainerdException {
        call("Namespaces/Delete", () -> namespaces.withDeadlineAfter(millis(), TimeUnit.MILLISECONDS)
                .delete(DeleteNamespaceRequest.newBuilder().setName(name).build()));
    }

    /** Image records of this namespace: list, get, create, delete. */
    public ContainerdImages images() {
        return new ContainerdImages(calls);
    }

    /**
     * Images through the CRI plugin (server-side pulls); they land in namespace {@value CriImages#NAMESPACE}.
     */
    public CriImages cri() {
        return new CriImages(calls);
    }

    /** Imports image archives (OCI layout, {@code docker save}) and unpacks them into the default snapshotter. */
    public ImageImporter importer() {
        return new ImageImporter(calls, Snapshots.DEFAULT_SNAPSHOTTER);
    }

    /** The content store: blobs by digest. */
    public ContentStore content() {
        return new ContentStore(calls);
    }

    /** The default snapshotter ({@value Snapshots#DEFAULT_SNAPSHOTTER}). */
    public Snapshots snapshots() {
        return snapshots(Snapshots.DEFAULT_SNAPSHOTTER);
    }

    /** The snapshotter {@code snapshotter} (e.g. {@code native}). */
    public Snapshots snapshots(String snapshotter) {
        return new Snapshots(calls, snapshotter);
    }

    /** Container records of this namespace. */
    public Containers containers() {
        return new Containers(calls);
    }

    /** Tasks (running processes) of this namespace's containers. */
    public Tasks tasks() {
        return new Tasks(calls);
    }

    /** The event stream. */
    public Events events() {
        return new Events(calls);
    }

    /** Leases, which keep content and snapshots from the garbage collector. */
    public Leases leases() {
        return new Leases(calls);
    }

    /** The daemon's plugins (is CRI loaded?) and UUID. */
    public Introspection introspection() {
        return new Introspection(calls);
    }

    /** {@code ctr run} as steps: snapshot, container, task with its output in a remote file; and clean-up. */
    public ContainerRunner runner() {
        return new ContainerRunner(calls, Snapshots.DEFAULT_SNAPSHOTTER);
    }

    private static Namespace toNamespace(io.github.sshcontainer.containerd.api.namespaces.v1.Namespace n) {
        return new Namespace(n.getName(), n.getLabelsMap());
    }

    private long millis() {
        return deadline.toMillis();
    }

    private <T> T call(String what, Supplier<T> call) throws ContainerdException {
        try {
            return call.get();
        } catch (StatusRuntimeException e) {
            throw new ContainerdException(what, where, e);
        }
    }

    /** Shuts the channel down (waiting up to 5 s for calls in flight), then its I/O thread. Idempotent. */
    @Override
    public void close() {
        channel.shutdown();
        try {
            if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
                channel.shutdownNow();
            }
        } catch (InterruptedException e) {
            channel.shutdownNow();
            Thread.currentThread().interrupt();
        } finally {
            if (eventLoop != null) {
                eventLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            }
        }
    }

    @Override
    public String toString() {
        return "ContainerdClient[" + channel.authority() + ", namespace " + namespace + "]";
    }
}
