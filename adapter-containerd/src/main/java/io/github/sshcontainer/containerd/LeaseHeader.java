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
 * Puts the {@code containerd-lease} header on every call: what containerd's clients do so that content and
 * snapshots created by the calls belong to a lease, safe from the garbage collector until the lease is deleted.
 */
final class LeaseHeader implements ClientInterceptor {
    static final Metadata.Key<String> KEY = Metadata.Key.of("containerd-lease", Metadata.ASCII_STRING_MARSHALLER);

    private final String leaseId;

    LeaseHeader(String leaseId) {
        this.leaseId = Objects.requireNonNull(leaseId, "leaseId");
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
            @Override
            public void start(Listener<R> listener, Metadata headers) {
                headers.discardAll(KEY);
                headers.put(KEY, leaseId);
                super.start(listener, headers);
            }
        };
    }
}
