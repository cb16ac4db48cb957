package io.github.sshcontainer.tunnel;

/** The server refused every credential offered (keys, agent, password), or a key could not be decrypted. */
public class AuthenticationException extends SshTunnelException {
    private static final long serialVersionUID = 1L;

    public AuthenticationException(String message) {
        super(Failure.AUTHENTICATION, message);
    }

    public AuthenticationException(String message, Throwable cause) {
        super(Failure.AUTHENTICATION, message, cause);
    }
}
