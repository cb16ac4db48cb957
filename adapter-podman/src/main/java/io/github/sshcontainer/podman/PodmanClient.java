package io.github.sshcontainer.podman;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.Proxy;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

import io.github.sshcontainer.tunnel.Tunnel;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * A typed client for Podman's libpod REST API ({@code /v4.0.0/libpod/...}) over OkHttp, through a {@link Tunnel}'s
 * in-process connections ({@link TunnelSocketFactory}: one SSH channel per HTTP connection, no local socket file,
 * no port). Podman's error answers become {@link PodmanException}s.
 *
 * <pre>{@code
 * try (PodmanClient podman = PodmanClient.over(tunnel)) {
 *     podman.pull("127.0.0.1:5000/busybox:latest", false, System.out::println);
 *     String id = podman.containers().create("127.0.0.1:5000/busybox:latest", "echo", "hello");
 *     podman.containers().start(id);
 *     podman.containers().waitFor(id);
 * }
 * }</pre>
 */
public final class PodmanClient implements AutoCloseable {
    /** The libpod API path prefix this client speaks: Podman 4.0 and later answer it. */
    public static final String API_PREFIX = "v4.0.0/libpod";

    /** The host name in request URLs; it is never resolved — every connection goes through the tunnel. */
    static final String HOST = "podman";

    private static final MediaType JSON = MediaType.get("application/json");

    private final OkHttpClient http;
    private final HttpUrl base;
    private final Containers containers = new Containers();

    private PodmanClient(OkHttpClient http) {
        this.http = http;
        this.base = new HttpUrl.Builder().scheme("http").host(HOST).addPathSegments(API_PREFIX).build();
    }

    /** A client over {@code tunnel}'s in-process connections with OkHttp's defaults. */
    public static PodmanClient over(Tunnel tunnel) {
        return over(tunnel, UnaryOperator.identity());
    }

    /**
     * A client over {@code tunnel}'s in-process connections; {@code customizer} may change the OkHttp builder
     * (timeouts, interceptors, connection pool) before it is built. The socket factory, DNS and proxy are set after
     * it runs: they are what makes the client reach the tunnel.
     */
    public static PodmanClient over(Tunnel tunnel, UnaryOperator<OkHttpClient.Builder> customizer) {
        Objects.requireNonNull(tunnel, "tunnel");
        OkHttpClient.Builder builder = Objects.requireNonNull(customizer.apply(new OkHttpClient.Builder()),
                "the OkHttp builder customizer returned null");
        InetAddress placeholder;
        try {
            placeholder = InetAddress.getByAddress(HOST, new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
        builder.socketFactory(new TunnelSocketFactory(tunnel)).proxy(Proxy.NO_PROXY).dns(host -> {
            if (!HOST.equals(host)) {
                throw new UnknownHostException(host + ": this client only reaches " + HOST + " through its tunnel");
            }
            return List.of(placeholder);
        });
        return new PodmanClient(builder.build());
    }

    /** The OkHttp client (its pool and dispatcher are this client's; {@link #close()} shuts them down). */
    public OkHttpClient httpClient() {
        return http;
    }

    /** {@code GET /_ping}: returns when Podman answers {@code OK}. */
    public void ping() throws IOException {
        String body = text(call("GET", "_ping", null, null));
        if (!"OK".equals(body.trim())) {
            throw new IOException("Podman answered GET /_ping with " + body);
        }
    }

    /** {@code GET /version}. */
    public PodmanVersion version() throws IOException {
        Map<String, Object> v = Json.object(text(call("GET", "version", null, null)));
        String apiVersion = null;
        if (v.get("Components") instanceof List) {
            for (Object c : (List<?>) v.get("Components")) {
                if (c instanceof Map && "Podman Engine".equals(((Map<?, ?>) c).get("Name"))
                        && ((Map<?, ?>) c).get("Details") instanceof Map) {
                    apiVersion = Json.string((Map<?, ?>) ((Map<?, ?>) c).get("Details"), "APIVersion");
                }
            }
        }
        return new PodmanVersion(Json.string(v, "Version"), apiVersion, Json.string(v, "ApiVersion"),
                Json.string(v, "Os"), Json.string(v, "Arch"));
    }

    /**
     * {@code POST /images/pull}: pulls {@code reference}, handing each progress line to {@code progress} as it
     * arrives. {@code tlsVerify=false} allows a plain-HTTP or self-signed registry.
     *
     * @return the pulled image's ID
     * @throws PodmanException when Podman refuses the pull, or reports an error in the stream (then with the HTTP
     *         status of the stream, 200, and Podman's error text)
     */
    public String pull(String reference, boolean tlsVerify, Consumer<String> progress) throws IOException {
        Map<String, String> query = new LinkedHashMap<>();
        query.put("reference", reference);
        query.put("tlsVerify", Boolean.toString(tlsVerify));
        String request = "POST /images/pull?reference=" + reference;
        try (Response r = call("POST", "images/pull", query, ""); BufferedReader lines = new BufferedReader(
                new InputStreamReader(r.body().byteStream(), StandardCharsets.UTF_8))) {
            String id = null;
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (line.isBlank()) {
                    continue;
                }
                Map<String, Object> event = Json.object(line);
                String error = Json.string(event, "error");
                if (error != null) {
                    throw new PodmanException(request, r.code(), error, null);
                }
                String stream = Json.string(event, "stream");
                if (stream != null && progress != null) {
                    progress.accept(stream.endsWith("\n") ? stream.substring(0, stream.length() - 1) : stream);
                }
                if (Json.string(event, "id") != null) {
                    id = Json.string(event, "id");
                }
            }
            if (id == null) {
                throw new IOException(request + ": the pull stream ended without an image ID");
            }
            return id;
        }
    }

    /** Container operations. */
    public Containers containers() {
        return containers;
    }

    /** The libpod container endpoints. */
    public final class Containers {
        private Containers() {
        }

        /** {@code POST /containers/create} from {@code image} running {@code command} (the image's own if empty). */
        public String create(String image, String... command) throws IOException {
            Map<String, Object> spec = new LinkedHashMap<>();
            spec.put("image", Objects.requireNonNull(image, "image"));
            if (command.length > 0) {
                spec.put("command", List.of(command));
            }
            String id = Json.string(Json.object(text(call("POST", "containers/create", null, Json.write(spec)))),
                    "Id");
            if (id == null) {
                throw new IOException("POST /containers/create: no Id in Podman's answer");
            }
            return id;
        }

        /** {@code POST /containers/{id}/start}. */
        public void start(String id) throws IOException {
            call("POST", "containers/" + id + "/start", null, "").close();
        }

        /** {@code POST /containers/{id}/wait}: waits (without a read timeout) until it exits; its exit code. */
        public int waitFor(String id) throws IOException {
            String body = text(call(withoutReadTimeout(), "POST", "containers/" + id + "/wait", null, ""));
            try {
                return Integer.parseInt(body.trim());
            } catch (NumberFormatException e) {
                throw new IOException("POST /containers/" + id + "/wait: not an exit code: " + body, e);
            }
        }

        /** {@code GET /containers/{id}/logs?stdout=true}: everything the container wrote to stdout so far. */
        public String logs(String id) throws IOException {
            Map<String, String> query = Map.of("stdout", "true", "stderr", "false");
            try (Response r = call("GET", "containers/" + id + "/logs", query, null)) {
                return new String(demultiplex(r.body().byteStream()), StandardCharsets.UTF_8);
            }
        }

        /** {@code DELETE /containers/{id}?force=true}: removes it, running or not. */
        public void remove(String id) throws IOException {
            call("DELETE", "containers/" + id, Map.of("force", "true"), null).close();
        }
    }

    /**
     * The payloads of a multiplexed stream (8-byte frame headers: stream, 3 zero bytes, big-endian length), or the
     * bytes as they are when they do not start with a frame header (a tty container's raw stream).
     */
    static byte[] demultiplex(InputStream in) throws IOException {
        byte[] all = in.readAllBytes();
        if (all.length < 8 || all[0] > 2 || all[1] != 0 || all[2] != 0 || all[3] != 0) {
            return all;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DataInputStream frames = new DataInputStream(new java.io.ByteArrayInputStream(all));
        while (true) {
            byte[] header = new byte[8];
            int n = frames.read(header);
            if (n <= 0) {
                return out.toByteArray();
            }
            try {
                frames.readFully(header, n, 8 - n);
                int size = ((header[4] & 0xff) << 24) | ((header[5] & 0xff) << 16) | ((header[6] & 0xff) << 8)
                        | (header[7] & 0xff);
                byte[] payload = new byte[size];
                frames.readFully(payload);
                out.writeBytes(payload);
            } catch (EOFException e) {
                throw new IOException("the log stream ended inside a frame", e);
            }
        }
    }

    private OkHttpClient withoutReadTimeout() {
        return http.newBuilder().readTimeout(java.time.Duration.ZERO).build();
    }

    private Response call(String method, String path, Map<String, String> query, String jsonBody) throws IOException {
        return call(http, method, path, query, jsonBody);
    }

    /** Sends one request; an answer of 400 or more becomes a {@link PodmanException}. The caller closes it. */
    private Response call(OkHttpClient client, String method, String path, Map<String, String> query,
            String jsonBody) throws IOException {
        HttpUrl.Builder url = base.newBuilder().addPathSegments(path);
        if (query != null) {
            query.forEach(url::addQueryParameter);
        }
        RequestBody body = jsonBody == null ? null : RequestBody.create(jsonBody, JSON);
        Request request = new Request.Builder().url(url.build()).method(method, body).build();
        Response response = client.newCall(request).execute();
        if (response.code() >= 400) {
            try (response) {
                String text = response.body().string();
                Map<String, Object> error = Json.object(text);
                String message = Json.string(error, "message");
                throw new PodmanException(method + " /" + path, response.code(),
                        message != null ? message : text.isBlank() ? "HTTP " + response.code() : text.trim(),
                        Json.string(error, "cause"));
            }
        }
        return response;
    }

    private static String text(Response response) throws IOException {
        try (response) {
            return response.body().string();
        }
    }

    /** Shuts down the OkHttp dispatcher and closes pooled connections (their SSH channels). */
    @Override
    public void close() {
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }
}
