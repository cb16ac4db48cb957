package io.github.sshcontainer.tunnel.runtime;

import java.util.List;
import java.util.Objects;

/**
 * One container as a runtime lists it, in the shape every runtime can fill: what {@code ssh-container ps} prints.
 *
 * @param id the runtime's full container id
 * @param image the image reference the container was created from (as the runtime reports it)
 * @param state the runtime's own state word, lower case: {@code running}, {@code exited}, {@code created},
 *        {@code stopped}, {@code paused}, {@code unknown}, ...
 * @param status a human-readable status as the runtime phrases it (Docker's {@code Up 3 minutes}); the state
 *        word where the runtime has nothing better
 * @param names the container's names, without Docker's leading {@code /}; may be empty (containerd has only ids)
 */
public record ContainerSummary(String id, String image, String state, String status, List<String> names) {

    /** Checks that no component is null and copies {@code names}. */
    public ContainerSummary {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(status, "status");
        names = List.copyOf(names);
    }

    /** The first 12 characters of the id, as {@code docker ps} shows it. */
    public String shortId() {
        return id.length() <= 12 ? id : id.substring(0, 12);
    }

    /** Whether the runtime reports the container as running. */
    public boolean running() {
        return "running".equals(state);
    }
}
