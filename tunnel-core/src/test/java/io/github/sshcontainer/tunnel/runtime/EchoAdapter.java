package io.github.sshcontainer.tunnel.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.TunnelConnection;

/**
 * A runtime for tests: its "daemon" is any unix socket server, its client sends a line and expects it back.
 * Registered in this module's test {@code META-INF/services} (kept out of the test-jar).
 */
public final class EchoAdapter implements RuntimeAdapter<EchoAdapter.Client> {
    /** Closing order, across all clients, for the test that checks client-before-tunnel. */
    static final List<String> EVENTS = new ArrayList<>();
    /**
     * When set, the candidates are {@code BASE/missing.sock}, then {@code BASE/user-UID/echo.sock}, so that a test
     * can make the second exist (for the uid it expects) and see which one discovery picked.
     */
    static volatile String candidateBase;

    /** The client: one ping over an in-process tunnel connection. */
    public static final class Client {
        final Tunnel tunnel;
        boolean closed;

        Client(Tunnel tunnel) {
            this.tunnel = tunnel;
        }

        String ping() throws IOException {
            try (TunnelConnection c = tunnel.openConnection()) {
                c.outputStream().write("ping\n".getBytes(StandardCharsets.US_ASCII));
                c.shutdownOutput();
                return new String(c.inputStream().readAllBytes(), StandardCharsets.US_ASCII);
            }
        }
    }

    @Override
    public String name() {
        return "echo";
    }

    @Override
    public Class<Client> clientType() {
        return Client.class;
    }

    @Override
    public List<String> socketCandidates(int remoteUid) {
        String base = candidateBase;
        if (base != null) {
            return List.of(base + "/missing.sock", base + "/user-" + remoteUid + "/echo.sock");
        }
        return List.of("/run/echo.sock", "/run/user/" + remoteUid + "/echo.sock");
    }

    @Override
    public String environmentVariable() {
        return "ECHO_HOST";
    }

    @Override
    public Client createClient(Tunnel tunnel) {
        return new Client(tunnel);
    }

    @Override
    public void checkReady(Client client) throws IOException {
        String answer = client.ping();
        if (!answer.equals("ping\n")) {
            throw new IOException("the echo daemon answered '" + answer.trim() + "' instead of 'ping'");
        }
    }

    @Override
    public void closeClient(Client client) {
        client.closed = true;
        synchronized (EVENTS) {
            EVENTS.add("client closed; tunnel open: " + client.tunnel.localSocket().map(p -> p.toFile().exists())
                    .orElse(false));
        }
    }
}
