package io.github.sshcontainer.podman;

import java.util.List;
import java.util.Map;

/**
 * One image as {@code GET /libpod/images/json} lists it.
 *
 * @param id the image ID (hex, without {@code sha256:})
 * @param names its references ({@code 127.0.0.1:5000/busybox:latest}); empty for a dangling image
 * @param size its size in bytes
 * @param created when it was created, seconds since the epoch
 */
public record ImageSummary(String id, List<String> names, long size, long created) {

    /** Copies {@code names}. */
    public ImageSummary {
        names = List.copyOf(names);
    }

    static ImageSummary from(Map<?, ?> image) {
        List<String> names = Json.strings(image, "Names");
        return new ImageSummary(Json.string(image, "Id"), names.isEmpty() ? Json.strings(image, "RepoTags") : names,
                Json.number(image, "Size"), Json.number(image, "Created"));
    }
}
