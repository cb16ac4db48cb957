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

    /** Counters: connections, bytes, reconnects, failed opens. */
    TunnelStats stats();

    /**
     * Stops accepting, lets live connections finish for the drain time, closes the rest, removes the socket file.
     * Idempotent.
     */
    @Override
    void close();
}
