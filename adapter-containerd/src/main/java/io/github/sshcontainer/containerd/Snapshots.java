package io.github.sshcontainer.containerd;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import io.github.sshcontainer.containerd.api.snapshots.v1.CommitSnapshotRequest;
import io.github.sshcontainer.containerd.api.snapshots.v1.Kind;
import io.github.sshcontainer.containerd.api.snapshots.v1.MountsRequest;
import io.github.sshcontainer.containerd.api.snapshots.v1.PrepareSnapshotRequest;
import io.github.sshcontainer.containerd.api.snapshots.v1.RemoveSnapshotRequest;
import io.github.sshcontainer.containerd.api.snapshots.v1.SnapshotsGrpc;
import io.github.sshcontainer.containerd.api.snapshots.v1.StatSnapshotRequest;
import io.grpc.Status;

/**
 * One snapshotter of containerd ({@code containerd.services.snapshots.v1.Snapshots}): layered filesystems.
 * Committed snapshots of image layers are named by their chain ID; an active (writable) snapshot prepared on top
 * of an image's top chain ID is a container's root filesystem.
 */
public final class Snapshots {
    /** containerd's default snapshotter on Linux. */
    public static final String DEFAULT_SNAPSHOTTER = "overlayfs";

    /** A snapshot: its key or name, its parent's name ("" for none), its kind (ACTIVE, COMMITTED, VIEW). */
    public record Info(String name, String parent, String kind, Map<String, String> labels) {
        public Info {
            labels = Map.copyOf(labels);
        }
    }

    private final Calls calls;
    private final String snapshotter;
    private final SnapshotsGrpc.SnapshotsBlockingStub stub;

    Snapshots(Calls calls, String snapshotter) {
        this.calls = calls;
        this.snapshotter = Objects.requireNonNull(snapshotter, "snapshotter");
        this.stub = SnapshotsGrpc.newBlockingStub(calls.channel());
    }

    /** The snapshotter these calls go to. */
    public String snapshotter() {
        return snapshotter;
    }

    /**
     * Prepares the active snapshot {@code key} on top of the committed {@code parent} ("" for an empty one); returns
     * the mounts that make it a filesystem.
     */
    public List<Mount> prepare(String key, String parent, Map<String, String> labels) throws ContainerdException {
        var r = calls.call("Snapshots/Prepare " + key, () -> calls.timed(stub).prepare(PrepareSnapshotRequest
                .newBuilder().setSnapshotter(snapshotter).setKey(key).setParent(parent).putAllLabels(labels).build()));
        return Mount.of(r.getMountsList());
    }

    /** The mounts of the snapshot {@code key}. */
    public List<Mount> mounts(String key) throws ContainerdException {
        var r = calls.call("Snapshots/Mounts " + key, () -> calls.timed(stub)
                .mounts(MountsRequest.newBuilder().setSnapshotter(snapshotter).setKey(key).build()));
        return Mount.of(r.getMountsList());
    }

    /** Commits the active snapshot {@code key} as the read-only snapshot {@code name}. */
    public void commit(String name, String key, Map<String, String> labels) throws ContainerdException {
        calls.call("Snapshots/Commit " + name, () -> calls.timed(stub).commit(CommitSnapshotRequest.newBuilder()
                .setSnapshotter(snapshotter).setName(name).setKey(key).putAllLabels(labels).build()));
    }

    /** Removes the snapshot {@code key} (containerd refuses while another snapshot has it as parent). */
    public void remove(String key) throws ContainerdException {
        calls.call("Snapshots/Remove " + key, () -> calls.timed(stub)
                .remove(RemoveSnapshotRequest.newBuilder().setSnapshotter(snapshotter).setKey(key).build()));
    }

    /** The snapshot {@code key}, or empty when there is none. */
    public Optional<Info> stat(String key) throws ContainerdException {
        try {
            var i = calls.call("Snapshots/Stat " + key, () -> calls.timed(stub)
                    .stat(StatSnapshotRequest.newBuilder().setSnapshotter(snapshotter).setKey(key).build())).getInfo();
            return Optional.of(new Info(i.getName(), i.getParent(), kind(i.getKind()), i.getLabelsMap()));
        } catch (ContainerdException e) {
            if (e.code() == Status.Code.NOT_FOUND) {
                return Optional.empty();
            }
            throw e;
        }
    }

    private static String kind(Kind kind) {
        return kind == Kind.UNRECOGNIZED ? "UNKNOWN" : kind.name();
    }
}
