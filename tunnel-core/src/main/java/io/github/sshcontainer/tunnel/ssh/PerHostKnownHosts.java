package io.github.sshcontainer.tunnel.ssh;

import java.net.SocketAddress;
import java.security.PublicKey;
import java.util.Objects;

import org.apache.sshd.client.keyverifier.ServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.AttributeRepository.AttributeKey;

/**
 * A {@link ServerKeyVerifier} for a whole client that lets one connection check its target against other
 * {@code known_hosts} files or another policy (ssh_config's {@code UserKnownHostsFile}, {@code GlobalKnownHostsFile},
 * {@code StrictHostKeyChecking} for that host): put an {@link Override} under {@link #OVERRIDE} in the connect
 * context. It applies only to the session whose checked name is the override's target, so ProxyJump hops (which get
 * the same connect context) are checked with the default verifier under their own names.
 *
 * <pre>{@code
 * client.setServerKeyVerifier(new PerHostKnownHosts(KnownHostsVerifier.forUser(HostKeyPolicy.STRICT)));
 * client.connect(entry, AttributeRepository.ofKeyValuePair(PerHostKnownHosts.OVERRIDE, override), null);
 * }</pre>
 */
public final class PerHostKnownHosts implements ServerKeyVerifier {
    /** The verifier for one target host. */
    public record Override(HostAndPort target, KnownHostsVerifier verifier) {
        public Override {
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(verifier, "verifier");
        }
    }

    /** Connect-context attribute holding an {@link Override}. */
    public static final AttributeKey<Override> OVERRIDE = new AttributeKey<>();

    private final KnownHostsVerifier defaults;

    public PerHostKnownHosts(KnownHostsVerifier defaults) {
        this.defaults = Objects.requireNonNull(defaults, "defaults");
    }

    /** The verifier used when no override applies. */
    public KnownHostsVerifier defaults() {
        return defaults;
    }

    /** The verifier that checks {@code session}: its override if it is the override's target, else the default. */
    public KnownHostsVerifier verifierFor(ClientSession session, SocketAddress remoteAddress) {
        AttributeRepository context = session == null ? null : session.getConnectionContext();
        Override o = context == null ? null : context.getAttribute(OVERRIDE);
        if (o != null) {
            try {
                if (KnownHostsVerifier.targetOf(session, remoteAddress).lookupName().equals(o.target().lookupName())) {
                    return o.verifier();
                }
            } catch (IllegalArgumentException e) {
                return o.verifier(); // no name to compare: the stricter reading is the target's own settings
            }
        }
        return defaults;
    }

    @java.lang.Override
    public boolean verifyServerKey(ClientSession session, SocketAddress remoteAddress, PublicKey serverKey) {
        return verifierFor(session, remoteAddress).verifyServerKey(session, remoteAddress, serverKey);
    }
}
