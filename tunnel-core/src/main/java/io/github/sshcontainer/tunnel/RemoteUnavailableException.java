package io.github.sshcontainer.tunnel;

/**
 * The SSH server would not open a channel to the remote endpoint: the socket is missing or not accessible, or
 * forwarding is administratively prohibited ({@code AllowStreamLocalForwarding no}).
 */
public class RemoteUnavailableException extends SshTunnelException {
    private static final long serialVersionUID = 1L;

    /** What is wrong with the remote endpoint, as far as the client could find out. */
    public enum Reason {
        /** The remote socket does not exist. */
        MISSING,
        /** The remote path exists but is not a socket. */
        NOT_A_SOCKET,
        /** The SSH user may not use the remote socket. */
        PERMISSION_DENIED,
        /**
         * The server refuses to forward there although the endpoint looks usable (for a unix socket: it exists and
         * the user may read and write it — {@code AllowStreamLocalForwarding no}, {@code DisableForwarding},
         * {@code restrict}; OpenSSH answers this exactly like a daemon that does not accept connections).
         */
        FORWARDING_REFUSED,
        /** A remote command ({@link RemoteEndpoint.Command}) failed or could not be run. */
        COMMAND_FAILED,
        /** Not known (no check was run, or it gave no answer). */
        UNKNOWN
    }

    private final Reason reason;

    /** SSH channel-open failure reason (RFC 4254 §5.1): 1 prohibited, 2 connect failed, 3 unknown type, 4 shortage. */
    private final int reasonCode;

    public RemoteUnavailableException(String message, int reasonCode, Throwable cause) {
        this(message, reasonCode, reasonCode == 1 ? Reason.FORWARDING_REFUSED : Reason.UNKNOWN, cause);
    }

    public RemoteUnavailableException(String message, int reasonCode, Reason reason, Throwable cause) {
        super(Failure.REMOTE_UNAVAILABLE, message, cause);
        this.reasonCode = reasonCode;
        this.reason = reason == null ? Reason.UNKNOWN : reason;
    }

    /** What is wrong, as far as the client found out; {@link Reason#UNKNOWN} when it could not tell. */
    public Reason reason() {
        return reason;
    }

    /** The SSH open-failure reason code the server sent, or 0 when the failure was found another way. */
    public int reasonCode() {
        return reasonCode;
    }
}
