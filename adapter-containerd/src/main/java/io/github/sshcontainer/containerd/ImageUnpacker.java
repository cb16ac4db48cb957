package io.github.sshcontainer.containerd;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.sshcontainer.containerd.api.diff.v1.ApplyRequest;
import io.github.sshcontainer.containerd.api.diff.v1.DiffGrpc;
import io.grpc.Status;

/**
 * Unpacks an image from the content store into a snapshotter, the way containerd's own unpacker does: for each
 * layer (bottom first), unless a committed snapshot named by its chain ID exists, prepare an active snapshot on the
 * previous chain ID, apply the layer onto its mounts with the diff service, and commit it under the chain ID. Then
 * the config blob gets the {@code containerd.io/gc.ref.snapshot.<snapshotter>} label, which keeps the snapshots as
 * long as the image.
 */
final class ImageUnpacker {
    static final String MANIFEST_INDEX_OCI = "application/vnd.oci.image.index.v1+json";
    static final String MANIFEST_LIST_DOCKER = "application/vnd.docker.distribution.manifest.list.v2+json";
    /** Manifests, configs and indexes are small; a larger one is not what it claims to be. */
    static final int MAX_JSON = 8 << 20;

    /** The result: the image's config (JSON) and the chain ID of its top layer. */
    record Unpacked(String configDigest, JsonObject config, String topChainId, List<String> chainIds) {
    }

    private final Calls calls;
    private final ContentStore content;
    private final Snapshots snapshots;
    private final DiffGrpc.DiffBlockingStub diff;

    ImageUnpacker(Calls calls, String snapshotter) {
        this.calls = calls;
        this.content = new ContentStore(calls);
        this.snapshots = new Snapshots(calls, snapshotter);
        this.diff = DiffGrpc.newBlockingStub(calls.channel());
    }

    /** The manifest for linux/amd64 (or the only/first one) that {@code target} is or points at. */
    JsonObject manifest(Descriptor target) throws ContainerdException {
        Descriptor current = target;
        for (int depth = 0; depth < 4; depth++) {
            JsonObject json = json(current.digest());
            String mediaType = json.has("mediaType") ? json.get("mediaType").getAsString() : current.mediaType();
            if (!MANIFEST_INDEX_OCI.equals(mediaType) && !MANIFEST_LIST_DOCKER.equals(mediaType)
                    && !json.has("manifests")) {
                return json;
            }
            current = pick(json.getAsJsonArray("manifests"), current.digest());
        }
        throw new ContainerdException("image index " + target.digest() + " nests too deep", Status.Code.INVALID_ARGUMENT);
    }

    private static Descriptor pick(JsonArray manifests, String index) throws ContainerdException {
        JsonObject chosen = null;
        for (JsonElement e : manifests) {
            JsonObject m = e.getAsJsonObject();
            JsonObject platform = m.has("platform") ? m.getAsJsonObject("platform") : null;
            if (platform == null || ("linux".equals(str(platform, "os")) && "amd64".equals(str(platform, "architecture")))) {
                chosen = m;
                break;
            }
            if (chosen == null) {
                chosen = m;
            }
        }
        if (chosen == null) {
            throw new ContainerdException("image index " + index + " lists no manifest", Status.Code.NOT_FOUND);
        }
        return descriptor(chosen);
    }

    Unpacked unpack(Descriptor target) throws ContainerdException {
        JsonObject manifest = manifest(target);
        Descriptor configDesc = descriptor(manifest.getAsJsonObject("config"));
        JsonObject config = json(configDesc.digest());
        List<String> diffIds = new ArrayList<>();
        config.getAsJsonObject("rootfs").getAsJsonArray("diff_ids").forEach(d -> diffIds.add(d.getAsString()));
        JsonArray layers = manifest.getAsJsonArray("layers");
        if (layers.size() != diffIds.size()) {
            throw new ContainerdException("image " + target.digest() + " has " + layers.size() + " layers but its config "
                    + "lists " + diffIds.size() + " diff IDs", Status.Code.INVALID_ARGUMENT);
        }
        List<String> chainIds = Digests.chainIds(diffIds);
        String parent = "";
        for (int i = 0; i < layers.size(); i++) {
            String chainId = chainIds.get(i);
            if (snapshots.stat(chainId).isEmpty()) {
                apply(descriptor(layers.get(i).getAsJsonObject()), diffIds.get(i), chainId, parent);
            }
            parent = chainId;
        }
        String top = chainIds.isEmpty() ? "" : chainIds.get(chainIds.size() - 1);
        if (!top.isEmpty()) {
            content.setLabels(configDesc.digest(), Map.of("containerd.io/gc.ref.snapshot." + snapshots.snapshotter(), top));
        }
        return new Unpacked(configDesc.digest(), config, top, chainIds);
    }

    private void apply(Descriptor layer, String diffId, String chainId, String parent) throws ContainerdException {
        String key = "extract-" + UUID.randomUUID() + " " + chainId;
        List<Mount> mounts = snapshots.prepare(key, parent, Map.of("containerd.io/snapshot.ref", chainId));
        boolean committed = false;
        try {
            var applied = calls.call("Diff/Apply " + layer.digest(), () -> diff
                    .withDeadlineAfter(Math.max(calls.deadline().toMillis(), 300_000L), java.util.concurrent.TimeUnit.MILLISECONDS)
                    .apply(ApplyRequest.newBuilder().setDiff(layer.toProto()).addAllMounts(Mount.toProto(mounts)).build()))
                    .getApplied();
            if (!applied.getDigest().equals(diffId)) {
                throw new ContainerdException("layer " + layer.digest() + " unpacked to " + applied.getDigest()
                        + ", but the image config says " + diffId, Status.Code.DATA_LOSS);
            }
            try {
                snapshots.commit(chainId, key, Map.of());
            } catch (ContainerdException e) {
                if (e.code() != Status.Code.ALREADY_EXISTS) {
                    throw e;
                }
                // unpacked at the same time by someone else: theirs is the same layer
            }
            committed = true;
            content.setLabels(layer.digest(), Map.of("containerd.io/uncompressed", diffId));
        } finally {
            if (!committed) {
                try {
                    snapshots.remove(key);
                } catch (ContainerdException e) {
                    // the lease's expiry cleans it up
                }
            }
        }
    }

    JsonObject json(String digest) throws ContainerdException {
        byte[] bytes = content.read(digest, MAX_JSON);
        try {
            return JsonParser.parseString(new String(bytes, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new ContainerdException("blob " + digest + " is not a JSON object: " + e.getMessage(),
                    Status.Code.INVALID_ARGUMENT);
        }
    }

    static Descriptor descriptor(JsonObject d) {
        return new Descriptor(str(d, "mediaType"), d.get("digest").getAsString(), d.get("size").getAsLong());
    }

    private static String str(JsonObject o, String key) {
        return o.has(key) && !o.get(key).isJsonNull() ? o.get(key).getAsString() : "";
    }
}
