package io.github.sshcontainer.containerd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

import com.google.protobuf.Empty;
import io.github.sshcontainer.containerd.api.namespaces.v1.CreateNamespaceRequest;
import io.github.sshcontainer.containerd.api.namespaces.v1.CreateNamespaceResponse;
import io.github.sshcontainer.containerd.api.namespaces.v1.ListNamespacesRequest;
import io.github.sshcontainer.containerd.api.namespaces.v1.ListNamespacesResponse;
import io.github.sshcontainer.containerd.api.namespaces.v1.Namespace;
import io.github.sshcontainer.containerd.api.namespaces.v1.NamespacesGrpc;
import io.github.sshcontainer.containerd.api.version.v1.VersionGrpc;
import io.github.sshcontainer.containerd.api.version.v1.VersionResponse;
import io.github.sshcontainer.tunnel.runtime.RuntimeAdapter;
import io.github.sshcontainer.tunnel.runtime.RuntimeAdapters;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generated stubs, the SPI facts and the client's header and deadlines against an in-process gRPC server. */
class ContainerdAdapterTest {
    /** The {@code containerd-namespace} header of every call the fake server saw. */
    final ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
    Server server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.shutdownNow();
        }
    }

    @Test
    void generatedStubsCarryContainerdsServiceNames() {
        assertEquals("containerd.services.version.v1.Version", VersionGrpc.SERVICE_NAME);
        assertEquals("containerd.services.version.v1.Version/Version", VersionGrpc.getVersionMethod()
                .getFullMethodName());
        assertEquals("containerd.services.namespaces.v1.Namespaces", NamespacesGrpc.SERVICE_NAME);
        assertEquals("containerd.services.namespaces.v1.Namespaces/List", NamespacesGrpc.getListMethod()
                .getFullMethodName());
        assertEquals("containerd.services.namespaces.v1.Namespace", Namespace.getDescriptor().getFullName());
        assertEquals(2, Namespace.getDescriptor().findFieldByName("labels").getNumber());
        assertEquals(2, VersionResponse.getDescriptor().findFieldByName("revision").getNumber());
    }

    @Test
    void foundByNameWithItsSocketsAndVariable() {
        RuntimeAdapter<ContainerdClient> adapter = RuntimeAdapters.find("containerd", ContainerdClient.class);
        assertInstanceOf(ContainerdAdapter.class, adapter);
        assertEquals(List.of("/run/containerd/containerd.sock", "/run/k3s/containerd/containerd.sock",
                "/run/user/1000/containerd/containerd.sock"),
                adapter.socketCandidates(1000));
        assertEquals("CONTAINERD_ADDRESS", adapter.environmentVariable());
        ContainerdAdapter a = (ContainerdAdapter) adapter;
        assertEquals("default", a.namespace());
        assertEquals(Duration.ofSeconds(10), a.deadline());
        assertEquals("k8s.io", a.withNamespace("k8s.io").namespace());
        assertThrows(IllegalArgumentException.class, () -> a.withNamespace(" "));
        assertThrows(IllegalArgumentException.class, () -> a.withDeadline(Duration.ZERO));
    }

    @Test
    void everyCallCarriesTheConfiguredNamespace() throws Exception {
        String name = start(new FakeVersion(Duration.ZERO), new FakeNamespaces());
        try (ContainerdClient client = ContainerdClient.over(InProcessChannelBuilder.forName(name).build(), "k8s.io",
                Duration.ofSeconds(5))) {
            assertEquals(new ContainerdClient.Version("9.9.9", "abc"), client.version());
            assertEquals(List.of(new ContainerdClient.Namespace("default", Map.of("a", "b"))), client.namespaces());
            assertEquals(new ContainerdClient.Namespace("x", Map.of("k", "v")), client.createNamespace("x",
                    Map.of("k", "v")));
        }
        assertEquals(List.of("k8s.io", "k8s.io", "k8s.io"), List.copyOf(seen));
        try (ContainerdClient client = ContainerdClient.over(InProcessChannelBuilder.forName(name).build(), "default",
                Duration.ofSeconds(5))) {
            client.version();
        }
        assertEquals("default", List.copyOf(seen).get(3));
    }

    @Test
    void aSlowAnswerEndsAtTheDeadline() throws Exception {
        String name = start(new FakeVersion(Duration.ofSeconds(5)), new FakeNamespaces());
        try (ContainerdClient client = ContainerdClient.over(InProcessChannelBuilder.forName(name).build(), "default",
                Duration.ofMillis(200))) {
            long t0 = System.nanoTime();
            ContainerdException e = assertThrows(ContainerdException.class, client::version);
            assertEquals(Status.Code.DEADLINE_EXCEEDED, e.code());
            assertTrue(System.nanoTime() - t0 < 3_000_000_000L, "the deadline did not end the call");
            assertTrue(e.getMessage().contains("Version"), e.getMessage());
        }
    }

    @Test
    void aMissingSocketIsNamedInTheError(@TempDir Path dir) {
        Path missing = dir.resolve("containerd.sock");
        try (ContainerdClient client = ContainerdClient.connect(missing)) {
            ContainerdException e = assertThrows(ContainerdException.class, client::version);
            assertEquals(Status.Code.UNAVAILABLE, e.code());
            assertTrue(e.getMessage().startsWith("containerd Version on " + missing + " failed: UNAVAILABLE"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("no socket there"), e.getMessage());
        }
    }

    String start(VersionGrpc.VersionImplBase version, NamespacesGrpc.NamespacesImplBase namespaces)
            throws Exception {
        String name = InProcessServerBuilder.generateName();
        ServerInterceptor record = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                    ServerCallHandler<Q, R> next) {
                seen.add(String.valueOf(headers.get(NamespaceHeader.KEY)));
                return Contexts.interceptCall(io.grpc.Context.current(), call, headers, next);
            }
        };
        server = InProcessServerBuilder.forName(name).directExecutor()
                .addService(ServerInterceptors.intercept(version, record))
                .addService(ServerInterceptors.intercept(namespaces, record)).build().start();
        return name;
    }

    static final class FakeVersion extends VersionGrpc.VersionImplBase {
        final Duration delay;

        FakeVersion(Duration delay) {
            this.delay = delay;
        }

        @Override
        public void version(Empty request, StreamObserver<VersionResponse> answer) {
            if (!delay.isZero()) {
                new Thread(() -> {
                    try {
                        Thread.sleep(delay.toMillis());
                    } catch (InterruptedException ignored) {
                        return;
                    }
                    try {
                        answer.onNext(VersionResponse.newBuilder().setVersion("late").build());
                        answer.onCompleted();
                    } catch (RuntimeException cancelled) {
                        // the client gave up
                    }
                }).start();
                return;
            }
            answer.onNext(VersionResponse.newBuilder().setVersion("9.9.9").setRevision("abc").build());
            answer.onCompleted();
        }
    }

    static final class FakeNamespaces extends NamespacesGrpc.NamespacesImplBase {
        @Override
        public void list(ListNamespacesRequest request, StreamObserver<ListNamespacesResponse> answer) {
            answer.onNext(ListNamespacesResponse.newBuilder().addNamespaces(Namespace.newBuilder().setName("default")
                    .putLabels("a", "b")).build());
            answer.onCompleted();
        }

        @Override
        public void create(CreateNamespaceRequest request, StreamObserver<CreateNamespaceResponse> answer) {
            answer.onNext(CreateNamespaceResponse.newBuilder().setNamespace(request.getNamespace()).build());
            answer.onCompleted();
        }
    }
}
