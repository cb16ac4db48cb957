package io.github.sshcontainer.containerd;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.AbstractStub;

/**
 * What every service wrapper shares: the channel carrying the namespace header (and a lease header, for imports),
 * the deadline of each call, and the translation of gRPC failures into {@link ContainerdException}.
 */
final class Calls {
    private final Channel channel;
    private final String namespace;
    private final Duration deadline;
    /** Where the channel goes (a socket path), for messages; null when unknown. */
    private final String where;

    Calls(Channel channel, String namespace, Duration deadline, String where) {
        this.channel = Objects.requireNonNull(channel, "channel");
        this.namespace = Objects.requireNonNull(namespace, "namespace");
        this.deadline = Objects.requireNonNull(deadline, "deadline");
        this.where = where;
    }

    /** These calls with every request also carrying the lease {@code leaseId} (containerd-lease). */
    Calls withLease(String leaseId) {
        return new Calls(ClientInterceptors.intercept(channel, new LeaseHeader(leaseId)), namespace, deadline, where);
    }

    Channel channel() {
        return channel;
    }

    String namespace() {
        return namespace;
    }

    Duration deadline() {
        return deadline;
    }

    String where() {
        return where;
    }

    /** {@code stub} with this client's deadline from now. */
    <S extends AbstractStub<S>> S timed(S stub) {
        return stub.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Runs {@code call}, turning a gRPC failure into a {@link ContainerdException} that names {@code what}. */
    <T> T call(String what, Supplier<T> call) throws ContainerdException {
        try {
            return call.get();
        } catch (StatusRuntimeException e) {
            throw failure(what, e);
        }
    }

    ContainerdException failure(String what, StatusRuntimeException e) {
        return new ContainerdException(what, where, e);
    }
}
