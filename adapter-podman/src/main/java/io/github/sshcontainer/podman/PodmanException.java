package io.github.sshcontainer.podman;

import java.io.IOException;
import java.util.Locale;

/**
 * Podman answered with an error: the HTTP status and Podman's JSON error body ({@code cause}, {@code message},
 * {@code response}), typed by {@link #kind()}. The exception's message is Podman's {@code message} (or the raw body
 * when it was not JSON).
 */
public class PodmanException extends IOException {
    private static final long serialVersionUID = 1L;

    /** What kind of error Podman reported; from the HTTP status, and from Podman's {@code cause} where it says more. */
    public enum Kind {
        /** 400: Podman refused the request's parameters. */
        BAD_REQUEST,
        /** 404, or a {@code cause} such as {@code no such container} / {@code image not known} under another status
         * (Podman 4 answers a create from an unknown image with 500), or {@code manifest unknown} in a pull. */
        NOT_FOUND,
        /** 409: the object is in the wrong state or in use (removing a running container without force, ...). */
        CONFLICT,
        /** 401 or 403 (a registry's refusal, ...). */
        UNAUTHORIZED,
        /** 500 and any other 5xx without a more telling cause. */
        SERVER_ERROR,
        /** Any other status. */
        OTHER;

        /** The kind for an HTTP {@code status} and Podman's {@code cause} (or message), either may be null. */
        static Kind of(int status, String cause, String message) {
            boolean vague = status < 300 || status >= 500; // an error inside a streamed 200 answer, or a 500
            if (status == 404 || mentionsMissing(cause) || vague && mentionsMissing(message)) {
                return NOT_FOUND;
            }
            switch (status) {
                case 400:
                    return BAD_REQUEST;
                case 401:
                case 403:
                    return UNAUTHORIZED;
                case 409:
                    return CONFLICT;
                default:
                    return status >= 500 ? SERVER_ERROR : OTHER;
            }
        }

        private static boolean mentionsMissing(String text) {
            if (text == null) {
                return false;
            }
            String t = text.toLowerCase(Locale.ROOT);
            return t.contains("no such ") || t.contains("not known") || t.contains("manifest unknown")
                    || t.contains("not found");
        }
    }

    private final int status;
    private final String cause;
    private final String request;
    private final Kind kind;

    /**
     * An error answer of Podman's.
     *
     * @param request the request that failed, {@code METHOD /path}
     * @param status the HTTP status ({@code 200} for an error reported inside a streamed answer)
     * @param message Podman's {@code message}
     * @param cause Podman's {@code cause}, or {@code null}
     */
    public PodmanException(String request, int status, String message, String cause) {
        super(message);
        this.request = request;
        this.status = status;
        this.cause = cause;
        this.kind = Kind.of(status, cause, message);
    }

    /** The HTTP status code ({@code 404} for an unknown container, ...). */
    public int status() {
        return status;
    }

    /** What kind of error this is: {@link Kind#NOT_FOUND}, {@link Kind#CONFLICT}, ... */
    public Kind kind() {
        return kind;
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
        return getClass().getName() + ": " + request + " -> " + status + " " + kind + ": " + getMessage();
    }
}
