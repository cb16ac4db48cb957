package io.github.sshcontainer.tunnel.ssh;

import java.io.IOException;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.apache.sshd.agent.SshAgent;
import org.apache.sshd.agent.SshAgentFactory;
import org.apache.sshd.agent.SshAgentKeyConstraint;
import org.apache.sshd.agent.SshAgentServer;
import org.apache.sshd.client.auth.pubkey.UserAuthPublicKey;
import org.apache.sshd.common.FactoryManager;
import org.apache.sshd.common.channel.ChannelFactory;
import org.apache.sshd.common.session.ConnectionService;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionContext;

/**
 * An ssh-agent per session, as OpenSSH's {@code IdentityAgent} chooses it: MINA copies the host's
 * {@code IdentityAgent} from ssh_config into the session attribute {@link UserAuthPublicKey#IDENTITY_AGENT};
 * {@code none} means no agent, {@code SSH_AUTH_SOCK} (or nothing) the default socket, anything else is the socket's
 * path ({@code ~} and {@code %} tokens already expanded). The agent is used whether or not identity files are named,
 * as OpenSSH does.
 *
 * <pre>{@code
 * client.setAgentFactory(new IdentityAgentFactory(Path.of(System.getenv("SSH_AUTH_SOCK"))));
 * }</pre>
 */
public final class IdentityAgentFactory implements SshAgentFactory {
    private final Path defaultSocket;

    /** @param defaultSocket the agent used when ssh_config names none ({@code SSH_AUTH_SOCK}); may be null */
    public IdentityAgentFactory(Path defaultSocket) {
        this.defaultSocket = defaultSocket;
    }

    @Override
    public List<ChannelFactory> getChannelForwardingFactories(FactoryManager manager) {
        return Collections.emptyList();
    }

    @Override
    public SshAgent createClient(Session session, FactoryManager manager) throws IOException {
        String configured = session == null ? null : session.getAttribute(UserAuthPublicKey.IDENTITY_AGENT);
        String value = configured == null ? "" : configured.trim();
        if (value.equalsIgnoreCase("none")) {
            return new NoAgent();
        }
        if (value.isEmpty() || value.equals(SshAgent.SSH_AUTHSOCKET_ENV_NAME)) {
            return defaultSocket == null ? new NoAgent()
                    : new UnixSocketAgent(defaultSocket, SshAgent.SSH_AUTHSOCKET_ENV_NAME, UnixSocketAgent.DEFAULT_TIMEOUT);
        }
        if (value.startsWith("$")) {
            String env = System.getenv(value.substring(1).replace("{", "").replace("}", ""));
            return env == null || env.isBlank() ? new NoAgent()
                    : new UnixSocketAgent(Path.of(env), "IdentityAgent " + value, UnixSocketAgent.DEFAULT_TIMEOUT);
        }
        return new UnixSocketAgent(Path.of(value), "IdentityAgent", UnixSocketAgent.DEFAULT_TIMEOUT);
    }

    @Override
    public SshAgentServer createServer(ConnectionService service) {
        throw new UnsupportedOperationException("client only: agent forwarding is not offered");
    }

    /** {@code IdentityAgent none}: an agent without keys. */
    private static final class NoAgent implements SshAgent {
        private boolean open = true;

        @Override
        public Iterable<? extends Map.Entry<PublicKey, String>> getIdentities() {
            return List.of();
        }

        @Override
        public Map.Entry<String, byte[]> sign(SessionContext session, PublicKey key, String algo, byte[] data)
                throws IOException {
            throw new IOException("no ssh-agent (IdentityAgent none)");
        }

        @Override
        public void addIdentity(KeyPair key, String comment, SshAgentKeyConstraint... constraints) throws IOException {
            throw new IOException("no ssh-agent");
        }

        @Override
        public void removeIdentity(PublicKey key) throws IOException {
            throw new IOException("no ssh-agent");
        }

        @Override
        public void removeAllIdentities() throws IOException {
            throw new IOException("no ssh-agent");
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }
    }
}
