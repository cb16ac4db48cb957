package io.github.sshcontainer.containerd;

import java.util.List;
import java.util.Objects;

/**
 * A mount as containerd describes it (what {@code mount -t TYPE -o OPTIONS SOURCE TARGET} would do), e.g. the
 * overlay of a snapshot that becomes a task's root filesystem.
 */
public record Mount(String type, String source, String target, List<String> options) {
    public Mount {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(target, "target");
        options = List.copyOf(options);
    }

    static Mount of(io.github.sshcontainer.containerd.api.types.Mount m) {
        return new Mount(m.getType(), m.getSource(), m.getTarget(), m.getOptionsList());
    }

    static List<Mount> of(List<io.github.sshcontainer.containerd.api.types.Mount> mounts) {
        return mounts.stream().map(Mount::of).toList();
    }

    io.github.sshcontainer.containerd.api.types.Mount toProto() {
        return io.github.sshcontainer.containerd.api.types.Mount.newBuilder().setType(type).setSource(source)
                .setTarget(target).addAllOptions(options).build();
    }

    static List<io.github.sshcontainer.containerd.api.types.Mount> toProto(List<Mount> mounts) {
        return mounts.stream().map(Mount::toProto).toList();
    }
}
