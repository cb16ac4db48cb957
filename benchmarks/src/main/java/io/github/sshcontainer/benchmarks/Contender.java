package io.github.sshcontainer.benchmarks;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.sshcontainer.tunnel.RemoteEndpoint;
import io.github.sshcontainer.tunnel.SshConnector;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.TunnelBuilder;

/**
 * One way to reach the far-end sockets: directly, through OpenSSH {@code ssh -L}, or through ours (local socket,
 * in-process, striped over several SSH sessions).
 */
abstract class Contender implements AutoCloseable {
    /** What is behind the far end. */
    enum Remote { SINK, DOCKER }

    private final String name;
    private final String cipher;

    Contender(String name, String cipher) {
        this.name = name;
        this.cipher = cipher;
    }

    /** E.g. {@code openssh aes128-gcm}. */
    final String label() {
        return cipher == null ? name : name + " " + Ciphers.shortName(cipher);
    }

    final String name() {
        return name;
    }

    /** The cipher, or null for direct. */
    final String cipher() {
        return cipher;
    }

    final boolean isOpenSsh() {
        return name.equals("openssh");
    }

    abstract Conn connect(Remote remote) throws IOException;

    /** The unix socket a client connects to, for socket contenders (null for in-process ones). */
    Path socket(Remote remote) {
        return null;
    }

    /** Waits (up to 5 s) until connections closed by the client are gone on our side too. */
    void quiesce() {
    }

    static void quiesce(Iterable<Tunnel> tunnels) {
        long deadline = System.nanoTime() + 5_000_000_000L;
        boolean waited = false;
        for (Tunnel t : tunnels) {
            while (t.stats().openConnections() > 0 && System.nanoTime() < deadline) {
                waited = true;
                Sshd.sleep(10);
            }
        }
        if (waited) {
            Sshd.sleep(300); // the SSH channels close one round trip after the local side
        }
    }

    @Override
    public void close() {
    }

    /** No SSH: the far-end socket itself. */
    static final class Direct extends Contender {
        private final Map<Remote, Path> paths;

        Direct(Map<Remote, Path> paths) {
            super("direct", null);
            this.paths = paths;
        }

        @Override
        Conn connect(Remote remote) throws IOException {
            return Conn.socket(paths.get(remote));
        }

        @Override
        Path socket(Remote remote) {
            return paths.get(remote);
        }
    }

    /** Ours, local unix socket mode: {@link Tunnel} listening on a private socket. */
    static final class OursSocket extends Contender {
        private final Map<Remote, Tunnel> tunnels = new EnumMap<>(Remote.class);

        OursSocket(SshConnector connector, SshTarget target, Map<Remote, Path> paths, String cipher) throws IOException {
            super("ours-socket", cipher);
            try {
                for (Map.Entry<Remote, Path> e : paths.entrySet()) {
                    tunnels.put(e.getKey(), Tunnel.to(target, RemoteEndpoint.unixSocket(e.getValue().toString()))
                            .connector(connector).privateLocalSocket().open());
                }
            } catch (IOException | RuntimeException e) {
                close();
                throw e;
            }
        }

        @Override
        Conn connect(Remote remote) throws IOException {
            return Conn.socket(socket(remote));
        }

        @Override
        Path socket(Remote remote) {
            return tunnels.get(remote).localSocket().orElseThrow();
        }

        @Override
        void quiesce() {
            quiesce(tunnels.values());
        }

        @Override
        public void close() {
            tunnels.values().forEach(Tunnel::close);
        }
    }

    /** Ours, in-process: {@code tunnel.openConnection()}, no socket; with stripes &gt; 1, round robin over sessions. */
    static final class OursInProcess extends Contender {
        private final Map<Remote, List<Tunnel>> tunnels = new EnumMap<>(Remote.class);
        private final AtomicInteger next = new AtomicInteger();

        OursInProcess(SshConnector connector, SshTarget target, Map<Remote, Path> paths, String cipher, int stripes)
                throws IOException {
            super(stripes > 1 ? "ours-striped-" + stripes : "ours-inproc", cipher);
            try {
                for (Map.Entry<Remote, Path> e : paths.entrySet()) {
                    List<Tunnel> list = new ArrayList<>();
                    tunnels.put(e.getKey(), list);
                    for (int i = 0; i < stripes; i++) {
                        // each tunnel keeps its own SSH session: striping = channels spread over sessions
                        TunnelBuilder b = Tunnel.to(target, RemoteEndpoint.unixSocket(e.getValue().toString()))
                                .connector(connector).inProcessOnly();
                        list.add(b.open());
                    }
                }
            } catch (IOException | RuntimeException e) {
                close();
                throw e;
            }
        }

        @Override
        Conn connect(Remote remote) throws IOException {
            List<Tunnel> list = tunnels.get(remote);
            Tunnel t = list.get(Math.floorMod(next.getAndIncrement(), list.size()));
            return Conn.of(t.openConnection());
        }

        @Override
        void quiesce() {
            tunnels.values().forEach(Contender::quiesce);
        }

        @Override
        public void close() {
            tunnels.values().forEach(l -> l.forEach(Tunnel::close));
        }
    }
}
