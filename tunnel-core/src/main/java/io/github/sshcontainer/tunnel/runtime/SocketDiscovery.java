package io.github.sshcontainer.tunnel.runtime;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.UnaryOperator;

import io.github.sshcontainer.tunnel.RemoteEndpoint;
import io.github.sshcontainer.tunnel.RemoteUnavailableException;
import io.github.sshcontainer.tunnel.SshConnector;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.TunnelBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds a runtime's socket on a remote host: the target's own path if it names one, else the adapter's candidates
 * for the remote user's uid ({@code id -u}), in order. A candidate that does not exist or is not a socket is
 * skipped; one that exists but may not be used (permission denied, forwarding refused) ends the search with that
 * failure — trying others would hide the real problem.
 *
 * <pre>{@code
 * Tunnel t = SocketDiscovery.open(dockerAdapter, target, connector, b -> b.localTcp(0));
 * }</pre>
 */
public final class SocketDiscovery {
    private static final Logger LOG = LoggerFactory.getLogger(SocketDiscovery.class);

    private SocketDiscovery() {
    }

    /**
     * Opens a tunnel to the first usable socket of {@code adapter} on {@code target}, over {@code connector} (which
     * the caller keeps and closes after the tunnel). {@code customize} sets the local side (socket path, TCP,
     * in-process) of every attempt.
     *
     * @throws RemoteUnavailableException no candidate exists (reason {@code MISSING}; every path tried and why in
     *         the message), or the first that exists cannot be used (its own reason)
     */
    public static Tunnel open(RuntimeAdapter<?> adapter, SshTarget target, SshConnector connector,
            UnaryOperator<TunnelBuilder> customize) throws IOException {
        if (target.path().isPresent()) {
            String socket = target.path().get();
            try {
                return customize.apply(Tunnel.to(target, RemoteEndpoint.unixSocket(socket)).connector(connector))
                        .open();
            } catch (RemoteUnavailableException e) {
                throw new Unusable(socket, e);
            }
        }
        int uid = RuntimeConnection.remoteUid(connector, target);
        Set<String> candidates = new LinkedHashSet<>(adapter.socketCandidates(uid));
        List<String> tried = new ArrayList<>();
        for (String socket : candidates) {
            try {
                Tunnel tunnel = customize.apply(Tunnel.to(target, RemoteEndpoint.unixSocket(socket))
                        .connector(connector).verifyRemote(true)).open();
                LOG.debug("{} socket on {}: {}", adapter.name(), target.host(), socket);
                return tunnel;
            } catch (RemoteUnavailableException e) {
                if (e.reason() == RemoteUnavailableException.Reason.PERMISSION_DENIED
                        || e.reason() == RemoteUnavailableException.Reason.FORWARDING_REFUSED) {
                    throw new Unusable(socket, e);
                }
                LOG.debug("{} socket candidate {} on {}: {}", adapter.name(), socket, target.host(), e.getMessage());
                tried.add(socket + " (" + describe(e) + ")");
            }
        }
        throw new RemoteUnavailableException("no " + adapter.name() + " socket on " + target.host() + ": "
                + String.join(", ", tried), 0, RemoteUnavailableException.Reason.MISSING, null);
    }

    /** The socket at {@link #socket()} exists but cannot be used; same message and reason as the server's answer. */
    public static final class Unusable extends RemoteUnavailableException {
        private static final long serialVersionUID = 1L;
        private final String socket;

        Unusable(String socket, RemoteUnavailableException cause) {
            super(cause.getMessage(), cause.reasonCode(), cause.reason(), cause);
            this.socket = socket;
        }

        /** The remote socket path that was found but could not be used. */
        public String socket() {
            return socket;
        }
    }

    private static String describe(RemoteUnavailableException e) {
        switch (e.reason()) {
            case MISSING:
                return "does not exist";
            case NOT_A_SOCKET:
                return "not a socket";
            default:
                return e.reason().name().toLowerCase(Locale.ROOT).replace('_', ' ') + ": " + e.getMessage();
        }
    }
}
