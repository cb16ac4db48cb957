package io.github.sshcontainer.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

import com.github.dockerjava.transport.DockerHttpClient.Request;
import com.github.dockerjava.transport.DockerHttpClient.Response;
import io.github.sshcontainer.tunnel.RemoteEndpoint;
import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.embedded.EmbeddedSshServer;
import io.github.sshcontainer.tunnel.testing.UnixSocketServer;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TunnelDockerHttpClient}'s HTTP framing, keep-alive and upgrade handling, through a real in-process-only
 * tunnel (embedded MINA sshd) to a scripted HTTP server on a unix socket.
 */
class TunnelDockerHttpClientTest {
    @TempDir
    static Path keys;
    static EmbeddedSshServer sshd;
    static SshOptions options;

    private ScriptedServer server;
    private Tunnel tunnel;
    private TunnelDockerHttpClient client;

    @BeforeAll
    static void startSshd() throws Exception {
        KeyPair clientKey = KeyUtils.generateKeyPair("ssh-ed25519", 256);
        sshd = EmbeddedSshServer.builder().authorizedKey(clientKey.getPublic()).start();
        Path knownHosts = keys.resolve("known_hosts");
        Files.writeString(knownHosts, sshd.knownHostsLine() + "\n", StandardCharsets.US_ASCII);
        options = SshOptions.builder().identity(clientKey).knownHosts(knownHosts).sshConfig(null).useAgent(false)
                .build();
    }

    @AfterAll
    static void stopSshd() throws IOException {
        if (sshd != null) {
            sshd.close();
        }
    }

    @AfterEach
    void close() {
        if (client != null) {
            client.close();
        }
        if (tunnel != null) {
            tunnel.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private void serve(Script script) throws IOException {
        server = ScriptedServer.start(script);
        tunnel = Tunnel.to(SshTarget.of("test", sshd.host(), sshd.port()),
                RemoteEndpoint.unixSocket(server.path().toString())).options(options).inProcessOnly()
                .verifyRemote(false).open();
        client = new TunnelDockerHttpClient(tunnel);
    }

    private static Request get(String path) {
        return Request.builder().method(Request.Method.GET).path(path).putHeader("accept", "application/json").build();
    }

    private static String bodyOf(Response r) throws IOException {
        try (r; InputStream in = r.getBody()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void chunkedAndLengthBodiesAreReadAndTheConnectionIsReused() throws Exception {
        serve((req, in, out) -> {
            if (req.path.equals("/chunked")) {
                write(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Test: a\r\nX-Test: b\r\n\r\n"
                        + "5;ext=1\r\nhello\r\n1\r\n \r\nb\r\nchunked wor\r\n2\r\nld\r\n0\r\nTrailer: x\r\n\r\n");
            } else {
                write(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 3\r\n\r\n{}\n");
            }
            return true;
        });
        for (int i = 0; i < 5; i++) {
            Response chunked = client.execute(get("/chunked"));
            assertEquals(200, chunked.getStatusCode());
            assertEquals(List.of("a", "b"), chunked.getHeaders().get("x-test"));
            assertEquals("hello chunked world", bodyOf(chunked));
            Response length = client.execute(get("/length"));
            assertEquals("application/json", length.getHeader("content-type"));
            assertEquals("{}\n", bodyOf(length));
        }
        assertEquals(1, server.accepted(), "one connection for ten requests");
        assertEquals(1, client.connectionsOpened());
        assertEquals(9, client.connectionsReused());
        assertEquals(List.of("accept: application/json", "host: docker"),
                server.requests.get(0).headerLines());
    }

    @Test
    void aBodyClosedBeforeItsEndIsDrainedWhenCheapAndTheConnectionReused() throws Exception {
        serve((req, in, out) -> {
            write(out, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789");
            return true;
        });
        for (int i = 0; i < 3; i++) {
            Response r = client.execute(get("/partial"));
            assertEquals('0', r.getBody().read()); // like Jackson, which stops before a trailing newline
            r.close();
        }
        assertEquals(1, server.accepted());
    }

    @Test
    void streamedRequestBodiesGoChunkedAndByteBodiesWithALength() throws Exception {
        serve((req, in, out) -> {
            String answer = req.method + " " + req.header("transfer-encoding") + " " + req.header("content-length")
                    + " " + new String(req.body, StandardCharsets.UTF_8);
            write(out, "HTTP/1.1 201 Created\r\nContent-Length: " + answer.length() + "\r\n\r\n" + answer);
            return true;
        });
        byte[] big = "x".repeat(100_000).getBytes(StandardCharsets.UTF_8);
        Response streamed = client.execute(Request.builder().method(Request.Method.POST).path("/build")
                .body(new ByteArrayInputStream(big)).build());
        assertEquals(201, streamed.getStatusCode());
        assertEquals("POST chunked null " + "x".repeat(100_000), bodyOf(streamed));

        Response bytes = client.execute(Request.builder().method(Request.Method.POST).path("/containers/create")
                .bodyBytes("{\"Image\":\"x\"}".getBytes(StandardCharsets.UTF_8)).build());
        assertEquals("POST null 13 {\"Image\":\"x\"}", bodyOf(bytes));

        Response empty = client.execute(Request.builder().method(Request.Method.POST).path("/start").build());
        assertEquals("POST null 0 ", bodyOf(empty));
        assertEquals(1, server.accepted());
    }

    @Test
    void aBodyWithoutLengthIsReadToTheEndAndTheConnectionNotReused() throws Exception {
        serve((req, in, out) -> {
            write(out, "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\nall of it");
            return false;
        });
        assertEquals("all of it", bodyOf(client.execute(get("/a"))));
        assertEquals("all of it", bodyOf(client.execute(get("/b"))));
        assertEquals(2, server.accepted());
        assertEquals(0, client.idleConnections());
    }

    @Test
    void aPooledConnectionTheServerClosedIsReplacedTransparently() throws Exception {
        serve((req, in, out) -> {
            write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            return false; // closes after each answer without saying so
        });
        for (int i = 0; i < 3; i++) {
            assertEquals("ok", bodyOf(client.execute(get("/x"))));
            Thread.sleep(100); // let the close arrive, or not: both must work
        }
        assertEquals(3, server.accepted());
    }

    /** The daemon's side of a hijack: upgrade, echo stdin until end-of-file, then say goodbye and close. */
    @Test
    void anUpgradedConnectionPumpsStdinAndHalfClosesWhenItEnds() throws Exception {
        serve((req, in, out) -> {
            if (!"upgrade".equalsIgnoreCase(req.header("connection")) || !"tcp".equals(req.header("upgrade"))) {
                write(out, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
                return true;
            }
            write(out, "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
                    + "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n");
            byte[] buf = new byte[1024];
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                out.flush();
            }
            write(out, "[stdin ended]");
            return false;
        });
        PipedOutputStream stdinWriter = new PipedOutputStream();
        PipedInputStream stdin = new PipedInputStream(stdinWriter);
        Response r = client.execute(Request.builder().method(Request.Method.POST).path("/exec/1/start")
                .bodyBytes("{}".getBytes(StandardCharsets.UTF_8)).hijackedInput(stdin).build());
        assertEquals(200, r.getStatusCode(), "docker-java treats anything outside 2xx as an error");
        stdinWriter.write("one\n".getBytes(StandardCharsets.UTF_8));
        byte[] echoed = r.getBody().readNBytes(4);
        assertEquals("one\n", new String(echoed, StandardCharsets.UTF_8));
        stdinWriter.write("two\n".getBytes(StandardCharsets.UTF_8));
        stdinWriter.close();
        assertEquals("two\n[stdin ended]", bodyOf(r));
    }

    @Test
    void aRefusedUpgradeIsAnOrdinaryResponse() throws Exception {
        serve((req, in, out) -> {
            write(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 22\r\n\r\n{\"message\":\"no such\"}\n");
            return true;
        });
        Response r = client.execute(Request.builder().method(Request.Method.POST).path("/containers/x/attach")
                .hijackedInput(new ByteArrayInputStream(new byte[0])).build());
        assertEquals(404, r.getStatusCode());
        assertEquals("{\"message\":\"no such\"}\n", bodyOf(r));
    }

    @Test
    void aResponseThatEndsEarlyIsAnError() throws Exception {
        serve((req, in, out) -> {
            write(out, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort");
            return false;
        });
        Response r = client.execute(get("/x"));
        assertThrows(EOFException.class, () -> r.getBody().readAllBytes());
        r.close();
        server.close();
        assertThrows(UncheckedIOException.class, () -> client.execute(get("/y")));
    }

    @Test
    void closingTheClientRefusesRequests() throws Exception {
        serve((req, in, out) -> {
            write(out, "HTTP/1.1 204 No Content\r\n\r\n");
            return true;
        });
        try (Response r = client.execute(get("/_ping"))) {
            assertEquals(204, r.getStatusCode());
            assertEquals(-1, r.getBody().read());
        }
        client.close();
        assertThrows(IllegalStateException.class, () -> client.execute(get("/_ping")));
    }

    static void write(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** What the server does with one request: answer on {@code out}; false closes the connection. */
    @FunctionalInterface
    interface Script {
        boolean answer(Received request, InputStream in, OutputStream out) throws IOException;
    }

    static final class Received {
        final String method;
        final String path;
        final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        final List<String> order = new CopyOnWriteArrayList<>();
        byte[] body = new byte[0];

        Received(String method, String path) {
            this.method = method;
            this.path = path;
        }

        String header(String name) {
            return headers.get(name);
        }

        List<String> headerLines() {
            return order;
        }
    }

    /** An HTTP/1.1 server on a unix socket that parses requests (length or chunked bodies) and runs a script. */
    static final class ScriptedServer extends UnixSocketServer {
        final Script script;
        final List<Received> requests = new CopyOnWriteArrayList<>();

        private ScriptedServer(Script script) {
            super("scripted-http");
            this.script = script;
        }

        static ScriptedServer start(Script script) {
            ScriptedServer s = new ScriptedServer(script);
            s.startAccepting();
            return s;
        }

        @Override
        protected void handle(SocketChannel channel) throws IOException {
            InputStream in = Channels.newInputStream(channel);
            OutputStream out = Channels.newOutputStream(channel);
            while (true) {
                String requestLine = line(in);
                if (requestLine == null) {
                    return;
                }
                String[] parts = requestLine.split(" ");
                Received r = new Received(parts[0], parts[1]);
                String h;
                while (!(h = line(in)).isEmpty()) {
                    int colon = h.indexOf(':');
                    String name = h.substring(0, colon).toLowerCase(Locale.ROOT);
                    String value = h.substring(colon + 1).trim();
                    r.headers.put(name, value);
                    r.order.add(name + ": " + value);
                }
                if (r.header("content-length") != null) {
                    r.body = in.readNBytes(Integer.parseInt(r.header("content-length")));
                } else if ("chunked".equals(r.header("transfer-encoding"))) {
                    ByteArrayOutputStream body = new ByteArrayOutputStream();
                    int size;
                    while ((size = Integer.parseInt(line(in), 16)) > 0) {
                        body.write(in.readNBytes(size));
                        line(in);
                    }
                    line(in);
                    r.body = body.toByteArray();
                }
                requests.add(r);
                if (!script.answer(r, in, out)) {
                    return;
                }
            }
        }

        private static String line(InputStream in) throws IOException {
            StringBuilder s = new StringBuilder();
            int b;
            while ((b = in.read()) >= 0 && b != '\n') {
                if (b != '\r') {
                    s.append((char) b);
                }
            }
            return b < 0 && s.length() == 0 ? null : s.toString();
        }
    }
}
