package io.github.sshcontainer.tunnel.ssh;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import org.apache.sshd.agent.SshAgent;
import org.apache.sshd.agent.SshAgentFactory;
import org.apache.sshd.agent.SshAgentServer;
import org.apache.sshd.common.FactoryManager;
import org.apache.sshd.common.channel.ChannelFactory;
import org.apache.sshd.common.session.ConnectionService;
import org.apache.sshd.common.session.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets MINA SSHD's client authenticate with the keys of a running ssh-agent, reached over its unix socket in pure Java
 * (see {@link UnixSocketAgent}). Client side only: agent forwarding is not offered.
 *
 * <pre>{@code
 * SshClient client = SshClient.setUpDefaultClient();
 * UnixSocketAgentFactory.fromEnvironment().ifPresent(client::setAgentFactory); // uses SSH_AUTH_SOCK
 * // or, for an explicit IdentityAgent:
 * client.setAgentFactory(new UnixSocketAgentFactory(Path.of("/run/user/1000/ssh-agent.socket")));
 * client.start();
 * }</pre>
 *
 * MINA calls {@link #createClient} at the start of each public key authentication and closes the agent when that
 * authentication is over. The agent's keys are tried before the client's own key identities. If the agent cannot be
 * reached, {@code session.auth()} fails with an {@link IOException} naming the socket; deciding not to use an agent at
 * all (OpenSSH's {@code IdentityAgent none}) is up to the caller, by not setting this factory.
 */
public final class UnixSocketAgentFactory implements SshAgentFactory {
    private static final Logger LOG = LoggerFactory.getLogger(UnixSocketAgentFactory.class);

    private final Path socketPath;
    private final String source;
    private final Duration timeout;

    /**
     * An agent at {@code socketPath}, named {@code SSH_AUTH_SOCK} in error messages, with a 30 s answer timeout.
     *
     * @param socketPath the agent's unix socket
     */
    public UnixSocketAgentFactory(Path socketPath) {
        this(socketPath, SshAgent.SSH_AUTHSOCKET_ENV_NAME, UnixSocketAgent.DEFAULT_TIMEOUT);
    }

    /**
     * @param socketPath the agent's unix socket
     * @param source     where the path came from, for error messages: {@code SSH_AUTH_SOCK}, {@code IdentityAgent}, …
     * @param timeout    how long the agent may take to answer one request
     */
    public UnixSocketAgentFactory(Path socketPath, String source, Duration timeout) {
        this.socketPath = Objects.requireNonNull(socketPath, "socketPath");
        this.source = Objects.requireNonNull(source, "source");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        if (timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
    }

    /**
     * The agent named by the {@code SSH_AUTH_SOCK} environment variable, if it is set and the path exists.
     *
     * @return empty when there is no usable {@code SSH_AUTH_SOCK}
     */
    public static Optional<UnixSocketAgentFactory> fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /** {@link #fromEnvironment()} with the given environment instead of the process's. */
    static Optional<UnixSocketAgentFactory> fromEnvironment(Map<String, String> environment) {
        String value = environment.get(SshAgent.SSH_AUTHSOCKET_ENV_NAME);
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        Path path;
        try {
            path = Path.of(value.trim());
        } catch (InvalidPathException e) {
            LOG.debug("{} is not a valid path ({}); not using an ssh-agent", SshAgent.SSH_AUTHSOCKET_ENV_NAME,
                    e.getMessage());
            return Optional.empty();
        }
        if (!Files.exists(path)) {
            LOG.debug("{}={} does not exist; not using an ssh-agent", SshAgent.SSH_AUTHSOCKET_ENV_NAME, path);
            return Optional.empty();
        }
        return Optional.of(new UnixSocketAgentFactory(path));
    }

    /** @return the agent's unix socket */
    public Path socketPath() {
        return socketPath;
    }

    /** None: this factory does not offer agent forwarding. */
    @Override
    public List<ChannelFactory> getChannelForwardingFactories(FactoryManager manager) {
        return Collections.emptyList();
    }

    /** A new, not yet connected agent client; it connects on its first request. */
    @Override
    public SshAgent createClient(Session session, FactoryManager manager) throws IOException {
        return new UnixSocketAgent(socketPath, source, timeout);
    }

    /**
     * Not supported: this factory serves only the client side.
     *
     * @throws UnsupportedOperationException always
     */
    @Override
    public SshAgentServer createServer(ConnectionService service) throws IOException {
        throw new UnsupportedOperationException(
                "UnixSocketAgentFactory is client-only: it does not serve agent forwarding");
    }

    @Override
    public String toString() {
        return "UnixSocketAgentFactory[" + socketPath + " (" + source + ")]";
    }
}
