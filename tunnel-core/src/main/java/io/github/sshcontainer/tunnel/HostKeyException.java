package io.github.sshcontainer.tunnel;

/** The server's host key was refused: unknown under {@link HostKeyPolicy#STRICT}, changed, or revoked. */
public class HostKeyException extends SshTunnelException {
    private static final long serialVersionUID = 1L;

    private final String host;
    private final String keyType;
    private final String fingerprint;

    public HostKeyException(String message, String host, String keyType, String fingerprint) {
        super(Failure.HOST_KEY, message);
        this.host = host;
        this.keyType = keyType;
        this.fingerprint = fingerprint;
    }

    /** The host as looked up in {@code known_hosts}: {@code name} or {@code [name]:port}. */
    public String host() {
        return host;
    }

    /** The key type, e.g. {@code ssh-ed25519}. */
    public String keyType() {
        return keyType;
    }

    /** The key's fingerprint as {@code ssh-keygen -l} prints it, e.g. {@code SHA256:…}. */
    public String fingerprint() {
        return fingerprint;
    }
}
