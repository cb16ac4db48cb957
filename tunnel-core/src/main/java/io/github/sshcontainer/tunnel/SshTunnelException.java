package io.github.sshcontainer.tunnel;

import java.io.IOException;
import java.util.Objects;

/**
 * An I/O failure of the SSH connection or tunnel, with its {@link Failure kind}. The message is written for a
 * person: it says what went wrong and, where we know, what to do about it.
 */
public class SshTunnelException extends IOException {
    private static final long serialVersionUID = 1L;

    private final Failure failure;

    public SshTunnelException(Failure failure, String message) {
        this(failure, message, null);
    }

    public SshTunnelException(Failure failure, String message, Throwable cause) {
        super(message, cause);
        this.failure = Objects.requireNonNull(failure, "failure");
    }

    /** The kind of failure; {@link Failure#exitCode()} is what the CLI exits with. */
    public Failure failure() {
        return failure;
    }
}
