package io.github.sshcontainer.containerd;

import java.util.Objects;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;

/**
 * Puts the {@code containerd-namespace} header on every call, the way containerd's own clients name the namespace a
 * call works in.
 */
final class NamespaceHeader implements ClientInterceptor {
    static final Metadata.Key<String> KEY = Metadata.Key.of(ContainerdClient.NAMESPACE_HEADER,
            Metadata.ASCII_STRING_MARSHALLER);

    private final String namespace;

    NamespaceHeader(String namespace) {
        this.namespace = Objects.requireNonNull(namespace, "namespace");
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
            @Override
            public void start(Listener<R> listener, Metadata headers) {
                headers.discardAll(KEY);
                headers.put(KEY, namespace);
                super.start(listener, headers);
            }
        };
    }
}
