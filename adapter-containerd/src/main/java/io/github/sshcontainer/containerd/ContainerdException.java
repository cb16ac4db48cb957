package io.github.sshcontainer.containerd;

import java.io.IOException;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * A containerd call that failed: the gRPC status containerd (or the transport) answered with, e.g. {@code NOT_FOUND}
 * for a missing namespace, {@code ALREADY_EXISTS}, {@code DEADLINE_EXCEEDED}, {@code UNAVAILABLE}.
 */
public class ContainerdException extends IOException {
    private static final long serialVersionUID = 1L;

    private final Status.Code code;

    ContainerdException(String call, StatusRuntimeException cause) {
        super("containerd " + call + " failed: " + cause.getStatus().getCode()
                + (cause.getStatus().getDescription() == null ? "" : " (" + cause.getStatus().getDescription() + ")"),
                cause);
        this.code = cause.getStatus().getCode();
    }

    /** The gRPC status code of the failure. */
    public Status.Code code() {
        return code;
    }
}
