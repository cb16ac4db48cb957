package io.github.sshcontainer.tunnel;

/**
 * The SSH server would not open a channel to the remote endpoint: the socket is missing or not accessible, or
 * forwarding is administratively prohibited ({@code AllowStreamLocalForwarding no}).
 */
public class RemoteUnavailableException extends SshTunnelException {
    private static final long serialVersionUID = 1L;

    /** SSH channel-open failure reason (RFC 4254 §5.1): 1 prohibited, 2 connect failed, 3 unknown type, 4 shortage. */
    private final int reasonCode;

    public RemoteUnavailableException(String message, int reasonCode, Throwable cause) {
        super(Failure.REMOTE_UNAVAILABLE, message, cause);
        this.reasonCode = reasonCode;
    }

    /** The SSH open-failure reason code the server sent, or 0 when the failure was found another way. */
    public int reasonCode() {
        return reasonCode;
    }
}
