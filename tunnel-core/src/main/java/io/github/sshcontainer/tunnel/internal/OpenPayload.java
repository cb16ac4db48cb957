package io.github.sshcontainer.tunnel.internal;

import io.github.sshcontainer.tunnel.RemoteEndpoint;
import org.apache.sshd.common.util.buffer.Buffer;

/** The type-specific part of SSH_MSG_CHANNEL_OPEN for a {@link RemoteEndpoint}. */
public final class OpenPayload {
    /** The originator reported in {@code direct-tcpip}: our side of the tunnel is in-process. */
    static final String ORIGINATOR_HOST = "127.0.0.1";

    private OpenPayload() {
    }

    /**
     * Appends the payload: for {@code direct-streamlocal@openssh.com} (OpenSSH PROTOCOL §2.4) string socket path,
     * string reserved, uint32 reserved; for {@code direct-tcpip} (RFC 4254 §7.2) string host, uint32 port,
     * string originator address, uint32 originator port; for a {@code session} channel
     * (a {@link RemoteEndpoint.Command}) nothing.
     */
    public static void write(RemoteEndpoint endpoint, Buffer buffer) {
        if (endpoint instanceof RemoteEndpoint.UnixSocket) {
            buffer.putString(((RemoteEndpoint.UnixSocket) endpoint).path());
            buffer.putString("");
            buffer.putUInt(0);
        } else if (endpoint instanceof RemoteEndpoint.TcpAddress) {
            RemoteEndpoint.TcpAddress tcp = (RemoteEndpoint.TcpAddress) endpoint;
            buffer.putString(tcp.host());
            buffer.putUInt(tcp.port());
            buffer.putString(ORIGINATOR_HOST);
            buffer.putUInt(0);
        } else if (endpoint instanceof RemoteEndpoint.Command) {
            // a "session" channel has no type-specific open data; the command goes in an exec request once open
            return;
        } else {
            throw new IllegalArgumentException("unsupported endpoint " + endpoint.getClass().getName());
        }
    }
}
