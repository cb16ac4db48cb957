package io.github.sshcontainer.tunnel;

/**
 * The kind of a failure, and the CLI exit code that reports it. Lets a caller tell "fix your key" from
 * "the host is down" without parsing messages.
 */
public enum Failure {
    /** Anything not covered below. */
    OTHER(1),
    /** Bad input: a target, option or path that cannot work. */
    USAGE(2),
    /** The server refused every credential we offered. */
    AUTHENTICATION(3),
    /** The server's host key is unknown, changed or revoked. */
    HOST_KEY(4),
    /** The SSH server could not be reached (refused, timed out, name not resolved, connection lost). */
    CONNECT(5),
    /** The remote socket or port is missing, not accessible, or the server refuses to forward to it. */
    REMOTE_UNAVAILABLE(6);

    private final int exitCode;

    Failure(int exitCode) {
        this.exitCode = exitCode;
    }

    /** The exit code the {@code ssh-container} CLI uses for this kind of failure. */
    public int exitCode() {
        return exitCode;
    }
}
