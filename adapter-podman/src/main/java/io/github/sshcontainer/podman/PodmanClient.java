package io.github.sshcontainer.podman;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Proxy;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

import javax.net.SocketFactory;

import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.runtime.ContainerSummary;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.newsclub.net.unix.AFSocketFactory;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * A typed client for Podman's libpod REST API over OkHttp, through a {@link Tunnel}: either its in-process
 * connections ({@link #over(Tunnel)}, {@link TunnelSocketFactory}: one SSH channel per HTTP connection, no socket
 * file, no port) or its private local unix socket ({@link #overLocalSocket(Tunnel, UnaryOperator)}, through
 * junixsocket). Podman's error answers become {@link PodmanException}s, typed by {@link PodmanException.Kind}.
 *
 * <p><b>API version.</b> The first request asks {@code GET /v4.0.0/libpod/version} for the service's libpod API
 * version and from then on speaks the lower of that and {@link #NEWEST_API} ({@code /v4.3.1/libpod/...} for Podman
 * 4.3.1); a service older than 4.0.0 is refused with an {@link IOException} naming its version.
 *
 * <pre>{@code
 * try (PodmanClient podman = PodmanClient.over(tunnel)) {
 *     podman.images().pull("127.0.0.1:5000/busybox:latest", false, System.out::println);
 *     String id = podman.containers().create("127.0.0.1:5000/busybox:latest", "echo", "hello");
 *     podman.containers().start(id);
 *     podman.containers().waitFor(id);
 *     System.out.print(podman.containers().logs(id));
 * }
 * }</pre>
 */
public final class PodmanClient implements AutoCloseable {
    /** The oldest libpod API path prefix this client speaks (Podman 4.0); the version question goes there. */
    public static final String API_PREFIX = "v4.0.0/libpod";

    /** The oldest libpod API version this client speaks. */
    public static final String OLDEST_API = "4.0.0";

    /** The newest libpod API version this client asks for; newer services are spoken to at this version. */
    public static final String NEWEST_API = "5.0.0";

    /** The host name in request URLs; it is never resolved — every connection goes through the tunnel. */
    static final String HOST = "podman";

    private static final MediaType JSON = MediaType.get("application/json");

    private final OkHttpClient http;
    private final HttpUrl root;
    private final Containers containers = new Containers();
    private final Images images = new Images();
    private final Pods pods = new Pods();
    private volatile String apiVersion;

    private PodmanClient(OkHttpClient http) {
        this.http = http;
        this.root = new HttpUrl.Builder().scheme("http").host(HOST).build();
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
        return build(new TunnelSocketFactory(tunnel), customizer);
    }

    /**
     * A client through {@code tunnel}'s local unix socket (junixsocket), the one {@code CONTAINER_HOST} names for
     * podman itself; {@code customizer} as in {@link #over(Tunnel, UnaryOperator)}.
     *
     * @throws IllegalArgumentException when the tunnel has no local socket (in-process only, or TCP)
     */
    public static PodmanClient overLocalSocket(Tunnel tunnel, UnaryOperator<OkHttpClient.Builder> customizer) {
        Path socket = tunnel.localSocket().orElseThrow(() -> new IllegalArgumentException("the tunnel to "
                + tunnel.remote() + " on " + tunnel.target() + " has no local unix socket; open it with"
                + " privateLocalSocket() or localSocket(path), or use PodmanClient.over(tunnel) for in-process"
                + " connections"));
        return overLocalSocket(socket, customizer);
    }

    /**
     * A client through the local unix socket {@code socket} (a tunnel's, or any Podman API socket), over
     * junixsocket's socket factory; {@code customizer} as in {@link #over(Tunnel, UnaryOperator)}.
     */
    public static PodmanClient overLocalSocket(Path socket, UnaryOperator<OkHttpClient.Builder> customizer) {
        Objects.requireNonNull(socket, "socket");
        AFUNIXSocketAddress address;
        try {
            address = AFUNIXSocketAddress.of(socket);
        } catch (java.net.SocketException e) {
            throw new IllegalArgumentException("not a usable unix socket path: " + socket + " (" + e.getMessage()
                    + ")", e);
        }
        return build(new AFSocketFactory.FixedAddressSocketFactory(address), customizer);
    }

    private static PodmanClient build(SocketFactory sockets, UnaryOperator<OkHttpClient.Builder> customizer) {
        OkHttpClient.Builder builder = Objects.requireNonNull(
                Objects.requireNonNull(customizer, "customizer").apply(new OkHttpClient.Builder()),
                "the OkHttp builder customizer returned null");
        InetAddress placeholder;
        try {
            placeholder = InetAddress.getByAddress(HOST, new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
        builder.socketFactory(sockets).proxy(Proxy.NO_PROXY).dns(host -> {
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

    /**
     * The libpod API version this client speaks to the service ({@code 4.3.1}), asking the service the first time.
     *
     * @throws IOException when the service does not answer, or is older than {@link #OLDEST_API}
     */
    public String apiVersion() throws IOException {
        String v = apiVersion;
        if (v == null) {
            synchronized (this) {
                if (apiVersion == null) {
                    apiVersion = negotiate(version());
                }
                v = apiVersion;
            }
        }
        return v;
    }

    /** The lower of the service's API version and {@link #NEWEST_API}; refuses services older than 4.0.0. */
    static String negotiate(PodmanVersion server) throws IOException {
        String offered = server.apiVersion() != null ? server.apiVersion() : server.version();
        if (offered == null || !offered.matches("\\d+(\\.\\d+)*.*")) {
            return OLDEST_API;
        }
        String plain = offered.replaceFirst("^(\\d+(\\.\\d+)*).*", "$1");
        if (compareVersions(plain, OLDEST_API) < 0) {
            throw new IOException("the Podman service speaks libpod API " + offered + " (Podman " + server.version()
                    + "); this client needs " + OLDEST_API + " or later: upgrade Podman on the remote host");
        }
        return compareVersions(plain, NEWEST_API) > 0 ? NEWEST_API : plain;
    }

    /** Compares dotted version numbers ({@code 4.10.0 > 4.9.1}); missing parts count as 0. */
    static int compareVersions(String a, String b) {
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            long p = i < x.length ? Long.parseLong(x[i]) : 0;
            long q = i < y.length ? Long.parseLong(y[i]) : 0;
            if (p != q) {
                return Long.compare(p, q);
            }
        }
        return 0;
    }

    /** {@code GET /_ping}: returns when Podman answers {@code OK}. */
    public void ping() throws IOException {
        String body = text(send(http, "GET", API_PREFIX + "/_ping", null, null));
        if (!"OK".equals(body.trim())) {
            throw new IOException("Podman answered GET /_ping with " + body);
        }
    }

    /** {@code GET /version} (at the {@link #API_PREFIX}: this is the question the API version is negotiated by). */
    public PodmanVersion version() throws IOException {
        Map<String, Object> v = Json.object(text(send(http, "GET", API_PREFIX + "/version", null, null)));
        String libpodVersion = null;
        if (v.get("Components") instanceof List) {
            for (Object c : (List<?>) v.get("Components")) {
                if (c instanceof Map && "Podman Engine".equals(((Map<?, ?>) c).get("Name"))) {
                    libpodVersion = Json.string(Json.map((Map<?, ?>) c, "Details"), "APIVersion");
                }
            }
        }
        return new PodmanVersion(Json.string(v, "Version"), libpodVersion, Json.string(v, "ApiVersion"),
                Json.string(v, "Os"), Json.string(v, "Arch"));
    }

    /** {@code GET /info}: the host, its storage and registries. */
    public PodmanInfo info() throws IOException {
        return PodmanInfo.from(Json.object(text(call("GET", "info", null, null))));
    }

    /**
     * {@code POST /images/pull}: as {@link Images#pull(String, boolean, Consumer)}.
     *
     * @return the pulled image's ID
     */
    public String pull(String reference, boolean tlsVerify, Consumer<String> progress) throws IOException {
        return images.pull(reference, tlsVerify, progress);
    }

    /** Container operations. */
    public Containers containers() {
        return containers;
    }

    /** Image operations. */
    public Images images() {
        return images;
    }

    /** Pod operations. */
    public Pods pods() {
        return pods;
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
            call("POST", "containers/" + segment(id) + "/start", null, "").close();
        }

        /** {@code POST /containers/{id}/wait}: waits (without a read timeout) until it exits; its exit code. */
        public int waitFor(String id) throws IOException {
            String body = text(send(withoutReadTimeout(), "POST", prefix() + "/containers/" + segment(id) + "/wait",
                    null, ""));
            try {
                return Integer.parseInt(body.trim());
            } catch (NumberFormatException e) {
                throw new IOException("POST /containers/" + id + "/wait: not an exit code: " + body, e);
            }
        }

        /** {@code GET /containers/{id}/logs?stdout=true}: everything the container wrote to stdout so far. */
        public String logs(String id) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            logs(id, false, out, null);
            return out.toString(StandardCharsets.UTF_8);
        }

        /**
         * {@code GET /containers/{id}/logs}: streams the container's output to {@code stdout} and {@code stderr} (when
         * not null; else stderr is not asked for) as it arrives (without a read timeout); with {@code follow}, until
         * the container stops.
         */
        public void logs(String id, boolean follow, OutputStream stdout, OutputStream stderr) throws IOException {
            Map<String, String> query = new LinkedHashMap<>();
            query.put("stdout", "true");
            query.put("stderr", Boolean.toString(stderr != null));
            query.put("follow", Boolean.toString(follow));
            try (Response r = send(withoutReadTimeout(), "GET", prefix() + "/containers/" + segment(id) + "/logs",
                    query, null)) {
                StreamFrames.copy(r.body().byteStream(), stdout,
                        stderr != null ? stderr : OutputStream.nullOutputStream());
            }
        }

        /** {@code GET /containers/{id}/json}. */
        public ContainerDetails inspect(String id) throws IOException {
            return ContainerDetails.from(Json.object(text(call("GET", "containers/" + segment(id) + "/json", null,
                    null))));
        }

        /**
         * {@code POST /containers/{id}/stop}: sends the stop signal, and SIGKILL after {@code timeoutSeconds}. A
         * container that is not running is left as it is.
         */
        public void stop(String id, int timeoutSeconds) throws IOException {
            if (timeoutSeconds < 0) {
                throw new IllegalArgumentException("timeoutSeconds must not be negative");
            }
            send(patient(timeoutSeconds), "POST", prefix() + "/containers/" + segment(id) + "/stop",
                    Map.of("timeout", Integer.toString(timeoutSeconds)), "").close();
        }

        /** {@code GET /containers/json}: the running containers, or all with {@code all}. */
        public List<ContainerSummary> list(boolean all) throws IOException {
            List<ContainerSummary> out = new ArrayList<>();
            for (Map<?, ?> c : array(call("GET", "containers/json", Map.of("all", Boolean.toString(all)), null),
                    "GET /containers/json")) {
                String state = Json.string(c, "State");
                String status = Json.string(c, "Status");
                state = state == null || state.isBlank() ? "unknown" : state.toLowerCase(java.util.Locale.ROOT);
                out.add(new ContainerSummary(Json.string(c, "Id"), Objects.requireNonNullElse(Json.string(c, "Image"),
                        ""), state, status == null || status.isBlank() ? state : status, Json.strings(c, "Names")));
            }
            return out;
        }

        /**
         * {@code DELETE /containers/{id}?force=true}: removes it, running or not (a running one is stopped first:
         * Podman waits up to its stop timeout, 10 s by default, before it kills it; this call waits that long too).
         */
        public void remove(String id) throws IOException {
            send(patient(STOP_TIMEOUT_SECONDS), "DELETE", prefix() + "/containers/" + segment(id),
                    Map.of("force", "true"), null).close();
        }

        /**
         * Runs {@code command} in the running container {@code id} and waits until it ends: {@code POST
         * /containers/{id}/exec}, {@code POST /exec/{exec}/start} (its output, demultiplexed), {@code GET
         * /exec/{exec}/json} (its exit code).
         */
        public ExecResult exec(String id, String... command) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int exit = exec(id, List.of(command), out, err);
            return new ExecResult(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        }

        /** Like {@link #exec(String, String...)}, streaming the output to {@code stdout} and {@code stderr}. */
        public int exec(String id, List<String> command, OutputStream stdout, OutputStream stderr)
                throws IOException {
            if (command.isEmpty()) {
                throw new IllegalArgumentException("exec needs a command");
            }
            Map<String, Object> spec = new LinkedHashMap<>();
            spec.put("AttachStdout", true);
            spec.put("AttachStderr", true);
            spec.put("Cmd", List.copyOf(command));
            String execId = Json.string(Json.object(text(call("POST", "containers/" + segment(id) + "/exec", null,
                    Json.write(spec)))), "Id");
            if (execId == null) {
                throw new IOException("POST /containers/" + id + "/exec: no Id in Podman's answer");
            }
            Map<String, Object> start = new LinkedHashMap<>();
            start.put("Detach", false);
            start.put("Tty", false);
            try (Response r = send(withoutReadTimeout(), "POST", prefix() + "/exec/" + segment(execId) + "/start",
                    null, Json.write(start))) {
                StreamFrames.copy(r.body().byteStream(), stdout, stderr);
            }
            Map<String, Object> state = Json.object(text(call("GET", "exec/" + segment(execId) + "/json", null,
                    null)));
            if (!(state.get("ExitCode") instanceof Number)) {
                throw new IOException("GET /exec/" + execId + "/json: no ExitCode in Podman's answer");
            }
            return ((Number) state.get("ExitCode")).intValue();
        }
    }

    /** The libpod image endpoints. */
    public final class Images {
        private Images() {
        }

        /** {@code GET /images/json}: the images in the service's store. */
        public List<ImageSummary> list() throws IOException {
            List<ImageSummary> out = new ArrayList<>();
            for (Map<?, ?> i : array(call("GET", "images/json", null, null), "GET /images/json")) {
                out.add(ImageSummary.from(i));
            }
            return out;
        }

        /**
         * {@code POST /images/pull}: pulls {@code reference}, handing each progress line to {@code progress} as it
         * arrives (without a read timeout). {@code tlsVerify=false} allows a plain-HTTP or self-signed registry.
         *
         * @return the pulled image's ID
         * @throws PodmanException when Podman refuses the pull, or reports an error in the stream (then with the
         *         HTTP status of the stream, 200, and Podman's error text; {@link PodmanException.Kind#NOT_FOUND}
         *         for an unknown image)
         */
        public String pull(String reference, boolean tlsVerify, Consumer<String> progress) throws IOException {
            Map<String, String> query = new LinkedHashMap<>();
            query.put("reference", Objects.requireNonNull(reference, "reference"));
            query.put("tlsVerify", Boolean.toString(tlsVerify));
            String request = "POST /images/pull?reference=" + reference;
            try (Response r = send(withoutReadTimeout(), "POST", prefix() + "/images/pull", query, "");
                    BufferedReader lines = new BufferedReader(
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

        /** {@code POST /images/{name}/tag}: adds the reference {@code repo:tag} to the image {@code nameOrId}. */
        public void tag(String nameOrId, String repo, String tag) throws IOException {
            Map<String, String> query = new LinkedHashMap<>();
            query.put("repo", Objects.requireNonNull(repo, "repo"));
            query.put("tag", Objects.requireNonNull(tag, "tag"));
            call("POST", "images/" + segment(nameOrId) + "/tag", query, "").close();
        }

        /**
         * {@code DELETE /images/{name}}: removes the reference, and the image when no other reference is left; with
         * {@code force}, also the containers using it.
         *
         * @throws PodmanException {@link PodmanException.Kind#CONFLICT} when a container uses it (without force),
         *         {@link PodmanException.Kind#NOT_FOUND} when there is no such image
         */
        public void remove(String nameOrId, boolean force) throws IOException {
            call("DELETE", "images/" + segment(nameOrId), Map.of("force", Boolean.toString(force)), null).close();
        }
    }

    /** The libpod pod endpoints. */
    public final class Pods {
        private Pods() {
        }

        /**
         * {@code POST /pods/create}: an empty pod named {@code name}, without an infra container (so the service
         * needs no pause image); returns its ID.
         */
        public String create(String name) throws IOException {
            Map<String, Object> spec = new LinkedHashMap<>();
            spec.put("name", Objects.requireNonNull(name, "name"));
            spec.put("no_infra", true);
            String id = Json.string(Json.object(text(call("POST", "pods/create", null, Json.write(spec)))), "Id");
            if (id == null) {
                throw new IOException("POST /pods/create: no Id in Podman's answer");
            }
            return id;
        }

        /** {@code DELETE /pods/{name}}: removes the pod; with {@code force}, also its running containers. */
        public void remove(String nameOrId, boolean force) throws IOException {
            call("DELETE", "pods/" + segment(nameOrId), Map.of("force", Boolean.toString(force)), null).close();
        }

        /** {@code GET /pods/json}: every pod. */
        public List<PodSummary> list() throws IOException {
            List<PodSummary> out = new ArrayList<>();
            for (Map<?, ?> p : array(call("GET", "pods/json", null, null), "GET /pods/json")) {
                out.add(PodSummary.from(p));
            }
            return out;
        }
    }

    /**
     * The payloads of a multiplexed stream (8-byte frame headers: stream, 3 zero bytes, big-endian length), or the
     * bytes as they are when they do not start with a frame header (a tty container's raw stream).
     */
    static byte[] demultiplex(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StreamFrames.copy(in, out, out);
        return out.toByteArray();
    }

    /** An id or name for the path; refuses what would change the path ({@code ..}) instead of naming an object. */
    private static String segment(String idOrName) {
        Objects.requireNonNull(idOrName, "id");
        for (String part : idOrName.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                throw new IllegalArgumentException("not a container, image or exec id or name: '" + idOrName + "'");
            }
        }
        return idOrName;
    }

    /** Podman's default stop timeout: how long it waits after the stop signal before it kills. */
    static final int STOP_TIMEOUT_SECONDS = 10;

    /** The client with its read timeout (when it has one) longer by {@code seconds}, for calls Podman makes wait. */
    private OkHttpClient patient(int seconds) {
        if (http.readTimeoutMillis() == 0) {
            return http;
        }
        return http.newBuilder().readTimeout(Duration.ofMillis(http.readTimeoutMillis()).plusSeconds(seconds))
                .build();
    }

    private OkHttpClient withoutReadTimeout() {
        return http.newBuilder().readTimeout(Duration.ZERO).build();
    }

    private String prefix() throws IOException {
        return "v" + apiVersion() + "/libpod";
    }

    /** A request at the negotiated API version. */
    private Response call(String method, String path, Map<String, String> query, String jsonBody) throws IOException {
        return send(http, method, prefix() + "/" + path, query, jsonBody);
    }

    /** Sends one request; an answer of 400 or more becomes a {@link PodmanException}. The caller closes it. */
    private Response send(OkHttpClient client, String method, String path, Map<String, String> query,
            String jsonBody) throws IOException {
        HttpUrl.Builder url = root.newBuilder().addPathSegments(path);
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
                String shortPath = path.substring(path.indexOf("/libpod") >= 0 ? path.indexOf("/libpod") + 7 : 0);
                throw new PodmanException(method + " " + (shortPath.startsWith("/") ? "" : "/") + shortPath,
                        response.code(),
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

    private static List<Map<?, ?>> array(Response response, String request) throws IOException {
        String text = text(response);
        Object v;
        try {
            v = Json.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IOException(request + ": Podman's answer is not JSON: " + e.getMessage(), e);
        }
        if (v == null) {
            return List.of(); // Podman answers null for an empty list in some versions
        }
        if (!(v instanceof List)) {
            throw new IOException(request + ": Podman's answer is not a JSON array");
        }
        return Json.objects(text);
    }

    /** Shuts down the OkHttp dispatcher and closes pooled connections (their SSH channels). */
    @Override
    public void close() {
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }
}
