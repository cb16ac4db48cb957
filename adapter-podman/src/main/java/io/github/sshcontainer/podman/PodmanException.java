package io.github.sshcontainer.podman;

import java.io.IOException;

/**
 * Podman answered with an error: the HTTP status and Podman's JSON error body ({@code cause}, {@code message},
 * {@code response}). The exception's message is Podman's {@code message} (or the raw body when it was not JSON).
 */
public class PodmanException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String cause;
    private final String request;

    public PodmanException(String request, int status, String message, String cause) {
        super(message);
        this.request = request;
        this.status = status;
        this.cause = cause;
    }

    /** The HTTP status code ({@code 404} for an unknown container, ...). */
    public int status() {
        return status;
    }

    /** Podman's short {@code cause} ({@code no such container}), or {@code null}. */
    public String podmanCause() {
        return cause;
    }

    /** The request that failed, {@code METHOD /path}. */
    public String request() {
        return request;
    }

    @Override
    public String toString() {
        return getClass().getName() + ": " + request + " -> " + status + ": " + getMessage();
    }
}
