package io.github.sshcontainer.docker;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

import io.github.sshcontainer.tunnel.RemoteEndpoint;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.TunnelConnection;
import io.github.sshcontainer.tunnel.TunnelStats;

/** A "tunnel" that is just a local unix socket path (or none): enough for the adapter, which only reads its address. */
final class FakeTunnel implements Tunnel {
    private final Path socket;

    private FakeTunnel(Path socket) {
        this.socket = socket;
    }

    static FakeTunnel toSocket(Path socket) {
        return new FakeTunnel(socket);
    }

    static FakeTunnel inProcessOnly() {
        return new FakeTunnel(null);
    }

    @Override
    public SshTarget target() {
        return SshTarget.of("test", "fake-host", 22);
    }

    @Override
    public RemoteEndpoint remote() {
        return RemoteEndpoint.unixSocket("/var/run/docker.sock");
    }

    @Override
    public Optional<Path> localSocket() {
        return Optional.ofNullable(socket);
    }

    @Override
    public Optional<InetSocketAddress> localTcpAddress() {
        return Optional.empty();
    }

    @Override
    public URI localUri() {
        if (socket == null) {
            throw new IllegalStateException("an in-process-only tunnel has no local address");
        }
        return URI.create("unix://" + socket);
    }

    @Override
    public TunnelConnection openConnection() {
        throw new UnsupportedOperationException("not a real tunnel");
    }

    @Override
    public TunnelStats stats() {
        throw new UnsupportedOperationException("not a real tunnel");
    }

    @Override
    public void close() {
        // nothing to close
    }
}
