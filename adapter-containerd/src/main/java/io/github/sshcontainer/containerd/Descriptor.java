package io.github.sshcontainer.containerd;

import java.util.Map;
import java.util.Objects;

/**
 * An OCI content descriptor: what a blob is ({@code mediaType}), its digest ({@code sha256:...}) and size.
 */
public record Descriptor(String mediaType, String digest, long size, Map<String, String> annotations) {
    public Descriptor {
        Objects.requireNonNull(mediaType, "mediaType");
        Objects.requireNonNull(digest, "digest");
        annotations = Map.copyOf(annotations);
    }

    /** A descriptor without annotations. */
    public Descriptor(String mediaType, String digest, long size) {
        this(mediaType, digest, size, Map.of());
    }

    static Descriptor of(io.github.sshcontainer.containerd.api.types.Descriptor d) {
        return new Descriptor(d.getMediaType(), d.getDigest(), d.getSize(), d.getAnnotationsMap());
    }

    io.github.sshcontainer.containerd.api.types.Descriptor toProto() {
        return io.github.sshcontainer.containerd.api.types.Descriptor.newBuilder().setMediaType(mediaType)
                .setDigest(digest).setSize(size).putAllAnnotations(annotations).build();
    }
}
