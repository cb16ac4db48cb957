package io.github.sshcontainer.containerd;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/**
 * Image archives for the tests, made from the local registry's {@code busybox:latest}: an OCI image layout built
 * from the registry's blobs (fetched over plain HTTP), and a {@code docker save} archive from the shared dockerd.
 */
final class TestImages {
    static final String REGISTRY = System.getenv().getOrDefault("SSHC_REGISTRY", "127.0.0.1:5000");
    static final String BUSYBOX = REGISTRY + "/busybox:latest";

    private TestImages() {
    }

    /** An OCI layout tarball of the registry's busybox, its index entry annotated with {@code name}. */
    static Path ociLayout(Path dir, String name) throws IOException {
        String manifestType = "application/vnd.docker.distribution.manifest.v2+json";
        byte[] manifest = get("/v2/busybox/manifests/latest", manifestType);
        JsonObject m = JsonParser.parseString(new String(manifest, StandardCharsets.UTF_8)).getAsJsonObject();
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
        String manifestDigest = Digests.sha256(manifest);
        JsonObject entry = new JsonObject();
        entry.addProperty("mediaType", manifestType);
        entry.addProperty("digest", manifestDigest);
        entry.addProperty("size", manifest.length);
        JsonObject annotations = new JsonObject();
        annotations.addProperty(ImageImporter.CONTAINERD_NAME, name);
        entry.add("annotations", annotations);
        JsonArray manifests = new JsonArray();
        manifests.add(entry);
        JsonObject index = new JsonObject();
        index.addProperty("schemaVersion", 2);
        index.add("manifests", manifests);
        files.put("index.json", index.toString().getBytes(StandardCharsets.UTF_8));
        files.put(blobPath(manifestDigest), manifest);
        String config = m.getAsJsonObject("config").get("digest").getAsString();
        files.put(blobPath(config), get("/v2/busybox/blobs/" + config, "*/*"));
        for (JsonElement l : m.getAsJsonArray("layers")) {
            String digest = l.getAsJsonObject().get("digest").getAsString();
            files.put(blobPath(digest), get("/v2/busybox/blobs/" + digest, "*/*"));
        }
        Path tar = dir.resolve("busybox-oci.tar");
        try (OutputStream out = Files.newOutputStream(tar)) {
            for (var f : files.entrySet()) {
                writeEntry(out, f.getKey(), f.getValue());
            }
            out.write(new byte[1024]);
        }
        return tar;
    }

    /** {@code docker save} of the registry's busybox (pulled into the shared dockerd first). */
    static Path dockerSave(Path dir) throws IOException, InterruptedException {
        run("docker", "pull", "-q", BUSYBOX);
        Path tar = dir.resolve("busybox-docker.tar");
        run("docker", "save", "-o", tar.toString(), BUSYBOX);
        return tar;
    }

    private static String blobPath(String digest) {
        return "blobs/sha256/" + digest.substring("sha256:".length());
    }

    private static byte[] get(String path, String accept) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create("http://" + REGISTRY + path).toURL().openConnection();
        c.setRequestProperty("Accept", accept);
        c.setConnectTimeout(5000);
        c.setReadTimeout(30000);
        if (c.getResponseCode() != 200) {
            throw new IOException("GET " + path + " from the registry answered " + c.getResponseCode());
        }
        try (InputStream in = c.getInputStream()) {
            return in.readAllBytes();
        }
    }

    /** One ustar member: header (name, mode 0644, size, checksum), data, padding to 512 bytes. */
    static void writeEntry(OutputStream out, String name, byte[] data) throws IOException {
        byte[] h = new byte[512];
        put(h, 0, name, 100);
        put(h, 100, "0000644", 8);
        put(h, 108, "0000000", 8);
        put(h, 116, "0000000", 8);
        put(h, 124, String.format("%011o", data.length), 12);
        put(h, 136, String.format("%011o", 946684800L), 12);
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        h[156] = '0';
        put(h, 257, "ustar", 6);
        put(h, 263, "00", 2);
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, String.format("%06o", sum), 7);
        out.write(h);
        out.write(data);
        int pad = (512 - data.length % 512) % 512;
        out.write(new byte[pad]);
    }

    private static void put(byte[] h, int off, String s, int len) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, off, Math.min(b.length, len));
    }

    static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("still running: " + String.join(" ", command));
        }
        String text = out.toString(StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed (" + p.exitValue() + "): " + text);
        }
        return text;
    }
}
