package io.github.sshcontainer.containerd;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import io.github.sshcontainer.containerd.api.containers.v1.Container;
import io.github.sshcontainer.containerd.api.containers.v1.ContainersGrpc;
import io.github.sshcontainer.containerd.api.containers.v1.CreateContainerRequest;
import io.github.sshcontainer.containerd.api.containers.v1.DeleteContainerRequest;
import io.github.sshcontainer.containerd.api.containers.v1.GetContainerRequest;
import io.github.sshcontainer.containerd.api.containers.v1.ListContainersRequest;
import io.grpc.Status;

/**
 * containerd's container records ({@code containerd.services.containers.v1.Containers}): metadata only — the spec,
 * image, snapshot and runtime of a container. What runs is a task ({@link Tasks}).
 */
public final class Containers {
    /** The runtime containerd's own tools use on Linux: the runc shim v2. */
    public static final String RUNC_V2 = "io.containerd.runc.v2";

    /** A container record. */
    public record Info(String id, String image, Map<String, String> labels, String runtime, String snapshotter,
            String snapshotKey) {
        public Info {
            Objects.requireNonNull(id, "id");
            labels = Map.copyOf(labels);
        }

        static Info of(Container c) {
            return new Info(c.getId(), c.getImage(), c.getLabelsMap(), c.getRuntime().getName(), c.getSnapshotter(),
                    c.getSnapshotKey());
        }
    }

    private final Calls calls;
    private final ContainersGrpc.ContainersBlockingStub stub;

    Containers(Calls calls) {
        this.calls = calls;
        this.stub = ContainersGrpc.newBlockingStub(calls.channel());
    }

    /**
     * Creates the container {@code id} running {@code spec}, made from {@code image}, with the root filesystem of
     * the snapshot {@code snapshotKey} of {@code snapshotter} (prepare it with {@link Snapshots#prepare}), on the
     * runc v2 runtime.
     *
     * @throws ContainerdException {@code ALREADY_EXISTS} when the id is taken
     */
    public Info create(String id, String image, RuntimeSpec spec, String snapshotter, String snapshotKey,
            Map<String, String> labels) throws ContainerdException {
        Container c = Container.newBuilder().setId(id).setImage(image).putAllLabels(labels)
                .setRuntime(Container.Runtime.newBuilder().setName(RUNC_V2))
                .setSpec(spec.toAny(calls.namespace(), id)).setSnapshotter(snapshotter).setSnapshotKey(snapshotKey)
                .build();
        return Info.of(calls.call("Containers/Create " + id, () -> calls.timed(stub)
                .create(CreateContainerRequest.newBuilder().setContainer(c).build())).getContainer());
    }

    /** Every container of the namespace (matching containerd {@code filters}, e.g. {@code image==...}). */
    public List<Info> list(String... filters) throws ContainerdException {
        return calls.call("Containers/List", () -> calls.timed(stub)
                .list(ListContainersRequest.newBuilder().addAllFilters(List.of(filters)).build()))
                .getContainersList().stream().map(Info::of).toList();
    }

    /** The container {@code id}, or empty when the namespace has none. */
    public Optional<Info> find(String id) throws ContainerdException {
        try {
            return Optional.of(Info.of(calls.call("Containers/Get " + id, () -> calls.timed(stub)
                    .get(GetContainerRequest.newBuilder().setId(id).build())).getContainer()));
        } catch (ContainerdException e) {
            if (e.code() == Status.Code.NOT_FOUND) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /**
     * Deletes the container record {@code id} (not its snapshot: remove that with {@link Snapshots#remove}).
     * containerd refuses while the container has a task.
     */
    public void delete(String id) throws ContainerdException {
        calls.call("Containers/Delete " + id, () -> calls.timed(stub)
                .delete(DeleteContainerRequest.newBuilder().setId(id).build()));
    }
}
