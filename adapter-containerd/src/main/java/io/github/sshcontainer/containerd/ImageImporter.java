package io.github.sshcontainer.containerd;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.grpc.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Imports an image archive from this machine into the remote containerd, without any registry: an OCI image layout
 * tarball ({@code oci-layout}, {@code index.json}, {@code blobs/sha256/...}) or a {@code docker save} archive
 * ({@code manifest.json}, config and layer files). The blobs are streamed into the content store (a docker archive
 * gets an image manifest written for it), an image record is created per name, and the image is unpacked into the
 * snapshotter (see {@link ImageUnpacker}) so that containers can be made from it at once. Everything happens under a
 * containerd lease, so the garbage collector cannot remove half-imported content.
 */
public final class ImageImporter {
    private static final Logger LOG = LoggerFactory.getLogger(ImageImporter.class);

    static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
    static final String DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar";
    static final String DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    /** The annotation of an OCI layout's index entry that containerd names the image by. */
    static final String CONTAINERD_NAME = "io.containerd.image.name";
    static final String OCI_REF_NAME = "org.opencontainers.image.ref.name";

    private final Calls calls;
    private final String snapshotter;

    ImageImporter(Calls calls, String snapshotter) {
        this.calls = calls;
        this.snapshotter = Objects.requireNonNull(snapshotter, "snapshotter");
    }

    /**
     * Imports {@code archive}, naming the images as the archive does ({@code RepoTags} of a docker archive, the
     * {@value #CONTAINERD_NAME} or {@value #OCI_REF_NAME} annotations of an OCI layout).
     *
     * @return the image records created (or replaced)
     * @throws IOException when the archive cannot be read or is neither format (the message says which file is
     *         missing), or containerd's answer
     */
    public List<ContainerdImages.Image> importArchive(Path archive) throws IOException {
        return importArchive(archive, null);
    }

    /**
     * Imports {@code archive} as the image {@code name} (when not null, it replaces the archive's own names; the
     * archive must then hold exactly one image).
     */
    public List<ContainerdImages.Image> importArchive(Path archive, String name) throws IOException {
        Objects.requireNonNull(archive, "archive");
        try (TarIndex tar = TarIndex.open(archive)) {
            boolean oci = tar.find("index.json").isPresent();
            if (!oci && tar.find("manifest.json").isEmpty()) {
                throw new IOException(archive + " is neither an OCI image layout (no index.json) nor a docker save "
                        + "archive (no manifest.json); compressed archives must be decompressed first");
            }
            return importArchive(archive, name, tar, oci);
        }
    }

    private List<ContainerdImages.Image> importArchive(Path archive, String name, TarIndex tar, boolean oci)
            throws IOException {
        Leases leases = new Leases(calls);
        String lease = leases.create("sshc-import-" + UUID.randomUUID(), Duration.ofHours(1));
        Calls leased = calls.withLease(lease);
        try {
            Map<String, Descriptor> images = oci
                    ? new OciLayout(tar, new ContentStore(leased)).load(archive)
                    : new DockerArchive(tar, new ContentStore(leased)).load(archive);
            if (name != null) {
                if (images.size() != 1) {
                    throw new IOException(archive + " holds " + images.size() + " images; name them in the archive "
                            + "instead of passing one name");
                }
                images = Map.of(name, images.values().iterator().next());
            }
            ContainerdImages records = new ContainerdImages(leased);
            ImageUnpacker unpacker = new ImageUnpacker(leased, snapshotter);
            List<ContainerdImages.Image> result = new ArrayList<>();
            for (var e : images.entrySet()) {
                unpacker.unpack(e.getValue());
                result.add(records.createOrReplace(e.getKey(), e.getValue(), Map.of()));
                LOG.debug("imported {} as {}", e.getValue().digest(), e.getKey());
            }
            return List.copyOf(result);
        } finally {
            try {
                leases.delete(lease, false);
            } catch (ContainerdException e) {
                LOG.debug("could not delete lease {} (it expires by itself): {}", lease, e.getMessage());
            }
        }
    }

    /** {@code docker.io/library/busybox:latest} for {@code busybox}, as containerd's tools name Docker Hub images. */
    static String normalize(String reference) {
        String ref = reference;
        int slash = ref.indexOf('/');
        String first = slash < 0 ? "" : ref.substring(0, slash);
        boolean hasHost = slash >= 0 && (first.contains(".") || first.contains(":") || first.equals("localhost"));
        if (!hasHost) {
            ref = "docker.io/" + (slash < 0 ? "library/" : "") + ref;
        }
        int lastSlash = ref.lastIndexOf('/');
        if (ref.indexOf(':', lastSlash) < 0 && !ref.contains("@")) {
            ref = ref + ":latest";
        }
        return ref;
    }

    private static JsonElement parse(TarIndex tar, String member) throws IOException {
        try {
            return JsonParser.parseString(new String(tar.read(tar.get(member), ImageUnpacker.MAX_JSON),
                    StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            throw new IOException(member + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    /** {@code docker save}: manifest.json lists each image's config file, layer files and tags. */
    private record DockerArchive(TarIndex tar, ContentStore content) {
        Map<String, Descriptor> load(Path archive) throws IOException {
            if (tar.find("manifest.json").isEmpty()) {
                throw new IOException(archive + " has neither index.json (OCI layout) nor manifest.json (docker save)");
            }
            Map<String, Descriptor> images = new LinkedHashMap<>();
            int n = 0;
            for (JsonElement e : parse(tar, "manifest.json").getAsJsonArray()) {
                JsonObject m = e.getAsJsonObject();
                Descriptor config = blob(m.get("Config").getAsString(), DOCKER_CONFIG);
                JsonArray layers = new JsonArray();
                Map<String, String> labels = new LinkedHashMap<>();
                labels.put("containerd.io/gc.ref.content.config", config.digest());
                int i = 0;
                for (JsonElement l : m.getAsJsonArray("Layers")) {
                    Descriptor layer = blob(l.getAsString(), null);
                    layers.add(json(layer));
                    labels.put("containerd.io/gc.ref.content.l." + i++, layer.digest());
                }
                JsonObject manifest = new JsonObject();
                manifest.addProperty("schemaVersion", 2);
                manifest.addProperty("mediaType", DOCKER_MANIFEST);
                manifest.add("config", json(config));
                manifest.add("layers", layers);
                byte[] bytes = manifest.toString().getBytes(StandardCharsets.UTF_8);
                Descriptor target = new Descriptor(DOCKER_MANIFEST, Digests.sha256(bytes), bytes.length);
                content.write("sshc-import-" + target.digest(), new java.io.ByteArrayInputStream(bytes), bytes.length,
                        target.digest(), labels);
                JsonArray tags = m.has("RepoTags") && m.get("RepoTags").isJsonArray() ? m.getAsJsonArray("RepoTags")
                        : new JsonArray();
                if (tags.isEmpty()) {
                    images.put("import-" + config.digest().substring(7, 19) + (n == 0 ? "" : "-" + n), target);
                }
                for (JsonElement t : tags) {
                    images.put(normalize(t.getAsString()), target);
                }
                n++;
            }
            return images;
        }

        /** Writes the member {@code member} as a blob; a layer's media type says whether it is gzip-compressed. */
        private Descriptor blob(String member, String mediaType) throws IOException {
            TarIndex.Entry entry = tar.get(member);
            String digest;
            String type = mediaType;
            try (InputStream in = tar.open(entry)) {
                digest = Digests.sha256(in);
            }
            if (type == null) {
                try (InputStream in = tar.open(entry)) {
                    type = in.read() == 0x1f && in.read() == 0x8b ? DOCKER_LAYER_GZIP : DOCKER_LAYER;
                }
            }
            try (InputStream in = tar.open(entry)) {
                content.write("sshc-import-" + digest, in, entry.size(), digest, Map.of());
            }
            return new Descriptor(type, digest, entry.size());
        }
    }

    /** An OCI image layout: index.json names manifests (or indexes) stored under blobs/ALG/HEX. */
    private record OciLayout(TarIndex tar, ContentStore content) {
        Map<String, Descriptor> load(Path archive) throws IOException {
            Map<String, Descriptor> images = new LinkedHashMap<>();
            for (JsonElement e : parse(tar, "index.json").getAsJsonObject().getAsJsonArray("manifests")) {
                JsonObject d = e.getAsJsonObject();
                Descriptor target = ImageUnpacker.descriptor(d);
                write(target, 0);
                JsonObject annotations = d.has("annotations") ? d.getAsJsonObject("annotations") : new JsonObject();
                String name = annotations.has(CONTAINERD_NAME) ? annotations.get(CONTAINERD_NAME).getAsString()
                        : annotations.has(OCI_REF_NAME) ? annotations.get(OCI_REF_NAME).getAsString()
                        : "import-" + target.digest().substring(7, 19);
                images.put(name, target);
            }
            if (images.isEmpty()) {
                throw new IOException("index.json of " + archive + " lists no image");
            }
            return images;
        }

        /** Writes {@code d} after what it refers to, labelled so that containerd keeps those as long as it. */
        private void write(Descriptor d, int depth) throws IOException {
            if (depth > 4) {
                throw new IOException("image index nests too deep at " + d.digest());
            }
            Map<String, String> labels = new LinkedHashMap<>();
            if (isJson(d.mediaType())) {
                JsonObject json = JsonParser.parseString(new String(tar.read(member(d), ImageUnpacker.MAX_JSON),
                        StandardCharsets.UTF_8)).getAsJsonObject();
                if (json.has("manifests")) {
                    int i = 0;
                    for (JsonElement m : json.getAsJsonArray("manifests")) {
                        Descriptor child = ImageUnpacker.descriptor(m.getAsJsonObject());
                        if (tar.find(path(child)).isEmpty()) {
                            continue; // other platforms are often left out of a layout
                        }
                        write(child, depth + 1);
                        labels.put("containerd.io/gc.ref.content.m." + i++, child.digest());
                    }
                } else if (json.has("config")) {
                    Descriptor config = ImageUnpacker.descriptor(json.getAsJsonObject("config"));
                    write(config, depth + 1);
                    labels.put("containerd.io/gc.ref.content.config", config.digest());
                    int i = 0;
                    for (JsonElement l : json.getAsJsonArray("layers")) {
                        Descriptor layer = ImageUnpacker.descriptor(l.getAsJsonObject());
                        write(layer, depth + 1);
                        labels.put("containerd.io/gc.ref.content.l." + i++, layer.digest());
                    }
                }
            }
            TarIndex.Entry entry = member(d);
            try (InputStream in = tar.open(entry)) {
                content.write("sshc-import-" + d.digest(), in, entry.size(), d.digest(), labels);
            }
        }

        private static boolean isJson(String mediaType) {
            return mediaType.endsWith("manifest.v1+json") || mediaType.endsWith("index.v1+json")
                    || mediaType.endsWith("manifest.v2+json") || mediaType.endsWith("manifest.list.v2+json");
        }

        private TarIndex.Entry member(Descriptor d) throws IOException {
            return tar.get(path(d));
        }

        private static String path(Descriptor d) throws IOException {
            int colon = d.digest().indexOf(':');
            if (colon < 0 || d.digest().contains("/") || d.digest().contains("..")) {
                throw new IOException("not a digest: " + d.digest());
            }
            return "blobs/" + d.digest().substring(0, colon) + "/" + d.digest().substring(colon + 1);
        }
    }

    private static JsonObject json(Descriptor d) {
        JsonObject o = new JsonObject();
        o.addProperty("mediaType", d.mediaType());
        o.addProperty("digest", d.digest());
        o.addProperty("size", d.size());
        return o;
    }
}
