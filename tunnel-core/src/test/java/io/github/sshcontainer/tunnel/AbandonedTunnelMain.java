package io.github.sshcontainer.tunnel;

import java.nio.file.Path;

/**
 * Opens a tunnel, prints its socket path, and exits without closing it — for {@link ShutdownCleanupIT}.
 * Arguments: user host port key known_hosts remote-socket.
 */
public final class AbandonedTunnelMain {
    private AbandonedTunnelMain() {
    }

    public static void main(String[] args) throws Exception {
        SshOptions options = SshOptions.builder().identity(Path.of(args[3])).knownHosts(Path.of(args[4]))
                .sshConfig(null).useAgent(false).build();
        Tunnel tunnel = Tunnel.to(SshTarget.of(args[0], args[1], Integer.parseInt(args[2])),
                RemoteEndpoint.unixSocket(args[5])).options(options).open();
        System.out.println(tunnel.localSocket().orElseThrow());
        System.out.flush();
        System.exit(0); // never closed: the shutdown hook must remove the socket file
    }
}
