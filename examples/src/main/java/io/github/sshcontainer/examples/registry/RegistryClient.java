package io.github.sshcontainer.examples.registry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.TunnelConnection;

/**
 * A very small client for the Docker Registry HTTP API V2 ({@code /v2/}), speaking HTTP/1.0 over one in-process
 * tunnel connection per request: no local socket file, no port, no HTTP library. Enough for the example; a real
 * program would use an HTTP client library over a {@code localTcp} tunnel.
 */
public final class RegistryClient {
    private static final Pattern STRING = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"");

    private final Tunnel tunnel;
    private final Duration readTimeout;

    /** A client whose requests go through {@code tunnel}'s in-process connections. */
    public RegistryClient(Tunnel tunnel, Duration readTimeout) {
        this.tunnel = tunnel;
        this.readTimeout = readTimeout;
    }

    /** One HTTP answer: status code, headers (names lower case) and body. */
    public record Response(int status, Map<String, String> headers, String body) {
    }

    /** {@code GET path}, answered in full (HTTP/1.0: the registry closes the connection after the answer). */
    public Response get(String path) throws IOException {
        try (TunnelConnection c = tunnel.openConnection()) {
            c.setReadTimeout(readTimeout);
            OutputStream out = c.outputStream();
            out.write(("GET " + path + " HTTP/1.0\r\nHost: registry\r\nAccept: application/json\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return parse(c.inputStream(), path);
        }
    }

    /** The registry's {@code Docker-Distribution-API-Version} from {@code GET /v2/}; fails unless 200. */
    public String apiVersion() throws IOException {
        Response r = ok(get("/v2/"), "/v2/");
        return r.headers().getOrDefault("docker-distribution-api-version", "unknown");
    }

    /** The repositories, from {@code GET /v2/_catalog}. */
    public List<String> repositories() throws IOException {
        return strings(ok(get("/v2/_catalog"), "/v2/_catalog").body(), "repositories");
    }

    /** The tags of {@code repository}, from {@code GET /v2/NAME/tags/list}. */
    public List<String> tags(String repository) throws IOException {
        String path = "/v2/" + URLEncoder.encode(repository, StandardCharsets.UTF_8).replace("%2F", "/")
                + "/tags/list";
        return strings(ok(get(path), path).body(), "tags");
    }

    private static Response ok(Response r, String path) throws IOException {
        if (r.status() != 200) {
            throw new IOException("the registry answered GET " + path + " with " + r.status()
                    + (r.status() == 401 ? " (it wants authentication, which this example does not do)" : "")
                    + ": " + r.body().strip());
        }
        return r;
    }

    private static Response parse(InputStream in, String path) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        in.transferTo(all);
        String text = all.toString(StandardCharsets.UTF_8);
        int end = text.indexOf("\r\n\r\n");
        if (!text.startsWith("HTTP/") || end < 0) {
            throw new IOException("not an HTTP answer to GET " + path + ": "
                    + text.substring(0, Math.min(80, text.length())));
        }
        String[] lines = text.substring(0, end).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).trim());
            }
        }
        return new Response(status, headers, text.substring(end + 4));
    }

    /** The strings of the JSON array {@code "key": [...]} in {@code json} (the registry's answers are this simple). */
    static List<String> strings(String json, String key) {
        List<String> result = new ArrayList<>();
        Matcher array = Pattern.compile("\"" + Pattern.quote(key) + "\"\\s*:\\s*\\[([^\\]]*)\\]").matcher(json);
        if (array.find()) {
            Matcher s = STRING.matcher(array.group(1));
            while (s.find()) {
                result.add(s.group(1));
            }
        }
        return result;
    }
}
