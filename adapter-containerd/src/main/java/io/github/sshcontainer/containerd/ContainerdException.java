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

    ContainerdException(String call, String where, StatusRuntimeException cause) {
        super("containerd " + call + (where == null ? "" : " on " + where) + " failed: " + describe(cause), cause);
        this.code = cause.getStatus().getCode();
    }

    /** A failure this client found itself (not a gRPC answer), given the closest status code. */
    ContainerdException(String message, Status.Code code) {
        super(message);
        this.code = code;
    }

    /** The status code, its description and, for transport failures, the I/O error under it. */
    private static String describe(StatusRuntimeException e) {
        Status s = e.getStatus();
        StringBuilder text = new StringBuilder(s.getCode().toString());
        if (s.getDescription() != null) {
            text.append(" (").append(s.getDescription()).append(')');
        }
        Throwable io = s.getCause();
        if (io != null) {
            text.append(": ").append(io.getClass().getSimpleName());
            if (io.getMessage() != null) {
                text.append(' ').append(io.getMessage());
            }
            if (io instanceof java.io.FileNotFoundException) {
                text.append(" (no socket there)");
            }
        }
        return text.toString();
    }

    /** The gRPC status code of the failure. */
    public Status.Code code() {
        return code;
    }
}
