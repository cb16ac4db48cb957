package io.github.sshcontainer.tunnel;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A remote unix socket (or TCP address) carried to this process over SSH — what
 * {@code ssh -L local.sock:/var/run/docker.sock host} does, in-process. Exposed as a private local unix socket
 * (default), a loopback TCP port (opt-in), and always as in-process connections ({@link #openConnection()}).
 * Every local connection is one SSH channel; all share one SSH session, which is re-established when lost.
 *
 * <pre>{@code
 * try (Tunnel tunnel = Tunnel.to(SshTarget.parse("deploy@build-1"), RemoteEndpoint.unixSocket("/var/run/docker.sock"))
 *         .open()) {
 *     System.out.println("DOCKER_HOST=" + tunnel.localUri());
 * }
 * }</pre>
 */
public interface Tunnel extends AutoCloseable {

    /** Starts building a tunnel to {@code remote} on {@code target}. */
    static TunnelBuilder to(SshTarget target, RemoteEndpoint remote) {
        return new TunnelBuilder(target, remote);
    }

    /** The SSH server this tunnel goes through. */
    SshTarget target();

    /** What the tunnel reaches on the remote side. */
    RemoteEndpoint remote();

    /** The local unix socket, if the tunnel has one. */
    Optional<Path> localSocket();

    /** The loopback TCP address, if the tunnel has one. */
    Optional<InetSocketAddress> localTcpAddress();

    /**
     * Where local clients connect: {@code unix:///path/to.sock} or {@code tcp://127.0.0.1:PORT}.
     *
     * @throws IllegalStateException for an in-process-only tunnel, which has no local address
     */
    URI localUri();

    /** Opens one in-process connection (one SSH channel) to the remote endpoint. */
    TunnelConnection openConnection() throws IOException;

    /**
     * Forwards {@code remote} to a new port on 127.0.0.1 over this tunnel's SSH session, like adding
     * {@code -L PORT:HOST:HOSTPORT} to the {@code ssh} command that holds this tunnel: no second login, and the
     * forward follows this tunnel's reconnects. Typical use: a container's published port on the remote host's
     * loopback, {@code tunnel.forward(RemoteEndpoint.tcp("127.0.0.1", 32768), 0)}.
     *
     * <p>The forward is a {@link Tunnel} of its own (its {@link #localTcpAddress()}, {@link #openConnection()},
     * {@link #stats()}): closing it stops its listener and the local connections it accepted; closing this tunnel closes its
     * forwards too. Like {@code ssh -L}, the remote end is not checked when the forward opens: each local
     * connection opens one {@code direct-tcpip} (or {@code direct-streamlocal}) channel, and one the server
     * refuses (nothing listening there) is closed and logged.
     *
     * @param remote a TCP address as the SSH server resolves it, or a remote unix socket (not a command)
     * @param localPort the port on 127.0.0.1; {@code 0} picks a free one
     * @throws SshTunnelException {@link Failure#USAGE} when the local port cannot be bound (its number and why in
     *         the message)
     * @throws IllegalArgumentException for a {@link RemoteEndpoint.Command} endpoint or a port outside 0-65535
     * @throws IllegalStateException when this tunnel is closed
     * @throws UnsupportedOperationException for a {@code Tunnel} implementation without forwards
     */
    default Tunnel forward(RemoteEndpoint remote, int localPort) throws SshTunnelException {
        throw new UnsupportedOperationException(getClass().getName() + " cannot add forwards");
    }

    /** Counters: connections, bytes, reconnects, failed opens. */
    TunnelStats stats();

    /**
     * Stops accepting, lets live connections finish for the drain time, closes the rest, removes the socket file.
     * Idempotent.
     */
    @Override
    void close();
}
