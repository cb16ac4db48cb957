package io.github.sshcontainer.tunnel.embedded;

import java.net.InetAddress;
import java.net.UnknownHostException;

import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.net.SshdSocketAddress;
import org.apache.sshd.server.forward.ForwardingFilter;
import org.apache.sshd.server.forward.TcpForwardingFilter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Allows {@code direct-tcpip} (local port forwarding, {@code ssh -L port:host:port}) only to destinations whose every
 * address is a loopback address; refuses remote forwarding ({@code tcpip-forward}), agent and X11 forwarding.
 * MINA consults it for {@code direct-tcpip} only — not for our {@code direct-streamlocal@openssh.com} channel.
 */
final class LoopbackOnlyForwardingFilter implements ForwardingFilter {

    private static final Logger LOG = LoggerFactory.getLogger(LoopbackOnlyForwardingFilter.class);

    @Override
    public boolean canForwardAgent(Session session, String requestType) {
        return false;
    }

    @Override
    public boolean canForwardX11(Session session, String requestType) {
        return false;
    }

    @Override
    public boolean canListen(SshdSocketAddress address, Session session) {
        LOG.info("refused remote forwarding request for {}", address);
        return false;
    }

    @Override
    public boolean canConnect(TcpForwardingFilter.Type type, SshdSocketAddress address, Session session) {
        if (type != TcpForwardingFilter.Type.Direct || address == null) {
            return false;
        }
        boolean allowed = resolvesToLoopbackOnly(address.getHostName());
        if (!allowed) {
            LOG.info("refused direct-tcpip to {}: not a loopback destination", address);
        }
        return allowed;
    }

    static boolean resolvesToLoopbackOnly(String host) {
        if (host == null || host.isEmpty()) {
            return false;
        }
        try {
            InetAddress[] addresses = InetAddress.getAllByName(host);
            if (addresses.length == 0) {
                return false;
            }
            for (InetAddress address : addresses) {
                if (!address.isLoopbackAddress()) {
                    return false;
                }
            }
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
