package io.github.sshcontainer.containerd;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import io.grpc.Status;

/**
 * The steps of {@code ctr run} over the API: the image's root filesystem as a new active snapshot on top of its
 * top layer's chain ID (unpacking the image first if needed), a container record with a generated
 * {@link RuntimeSpec}, then a task with its output to a file on the daemon's host, started, awaited and deleted.
 * {@link #remove} undoes all of it.
 */
public final class ContainerRunner {
    private final Calls calls;
    private final String snapshotter;

    ContainerRunner(Calls calls, String snapshotter) {
        this.calls = calls;
        this.snapshotter = Objects.requireNonNull(snapshotter, "snapshotter");
    }

    /** The chain ID of {@code image}'s top layer, unpacking the image into the snapshotter unless it is there. */
    public String topChainId(String image) throws ContainerdException {
        ContainerdImages.Image record = new ContainerdImages(calls).get(image);
        ImageUnpacker unpacker = new ImageUnpacker(calls, snapshotter);
        var manifest = unpacker.manifest(record.target());
        var config = unpacker.json(ImageUnpacker.descriptor(manifest.getAsJsonObject("config")).digest());
        List<String> diffIds = new java.util.ArrayList<>();
        config.getAsJsonObject("rootfs").getAsJsonArray("diff_ids").forEach(d -> diffIds.add(d.getAsString()));
        List<String> chain = Digests.chainIds(diffIds);
        if (chain.isEmpty()) {
            throw new ContainerdException("image " + image + " has no layers", Status.Code.FAILED_PRECONDITION);
        }
        String top = chain.get(chain.size() - 1);
        if (new Snapshots(calls, snapshotter).stat(top).isEmpty()) {
            unpacker.unpack(record.target());
        }
        return top;
    }

    /**
     * Creates the container {@code id} from {@code image} running {@code spec}: its snapshot (key {@code id}) is
     * prepared on the image's top chain ID. All under a lease, as containerd's own client does: until the container
     * record refers to it, nothing else keeps the new snapshot from the garbage collector.
     */
    public Containers.Info create(String id, String image, RuntimeSpec spec) throws ContainerdException {
        Leases leases = new Leases(calls);
        String lease = leases.create("sshc-create-" + id + "-" + java.util.UUID.randomUUID(), Duration.ofHours(1));
        try {
            return create(calls.withLease(lease), id, image, spec);
        } finally {
            try {
                leases.delete(lease, false);
            } catch (ContainerdException e) {
                // it expires by itself
            }
        }
    }

    private Containers.Info create(Calls leased, String id, String image, RuntimeSpec spec)
            throws ContainerdException {
        String parent = new ContainerRunner(leased, snapshotter).topChainId(image);
        Snapshots snapshots = new Snapshots(leased, snapshotter);
        snapshots.prepare(id, parent, Map.of());
        try {
            return new Containers(leased).create(id, image, spec, snapshotter, id, Map.of());
        } catch (ContainerdException e) {
            try {
                snapshots.remove(id);
            } catch (ContainerdException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Creates and starts the task of the container {@code id} (made by {@link #create}), its stdout and stderr
     * appended to {@code outputFile} on the daemon's host; returns the pid.
     */
    public int start(String id, String outputFile) throws ContainerdException {
        Tasks tasks = new Tasks(calls);
        List<Mount> rootfs = new Snapshots(calls, snapshotter).mounts(id);
        String uri = Tasks.fileUri(outputFile);
        tasks.create(id, rootfs, uri, uri);
        try {
            return tasks.start(id);
        } catch (ContainerdException e) {
            try {
                tasks.delete(id);
            } catch (ContainerdException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Runs the container {@code id} to its end: {@link #start}, wait up to {@code timeout}, delete the task. The
     * container stays (run it again or {@link #remove} it).
     *
     * @throws ContainerdException {@code DEADLINE_EXCEEDED} when it still ran after {@code timeout} (it is then
     *         killed and its task deleted)
     */
    public Tasks.Exit run(String id, String outputFile, Duration timeout) throws ContainerdException {
        Tasks tasks = new Tasks(calls);
        start(id, outputFile);
        try {
            tasks.await(id, timeout);
        } catch (ContainerdException e) {
            if (e.code() == Status.Code.DEADLINE_EXCEEDED) {
                tasks.kill(id, Tasks.SIGKILL, true);
                tasks.await(id, calls.deadline());
                tasks.delete(id);
            }
            throw e;
        }
        return tasks.delete(id);
    }

    /**
     * Removes the container {@code id} entirely: kills and deletes its task if it has one, deletes the container
     * record, removes its snapshot. Parts already gone are skipped.
     */
    public void remove(String id) throws ContainerdException {
        Tasks tasks = new Tasks(calls);
        var task = tasks.find(id);
        if (task.isPresent()) {
            if (!"stopped".equals(task.get().status()) && !"created".equals(task.get().status())) {
                tasks.kill(id, Tasks.SIGKILL, true);
                tasks.await(id, calls.deadline());
            }
            tasks.delete(id);
        }
        Containers containers = new Containers(calls);
        var container = containers.find(id);
        String key = container.map(Containers.Info::snapshotKey).orElse(id);
        String ss = container.map(Containers.Info::snapshotter).filter(s -> !s.isEmpty()).orElse(snapshotter);
        if (container.isPresent()) {
            containers.delete(id);
        }
        if (!key.isEmpty()) {
            try {
                new Snapshots(calls, ss).remove(key);
            } catch (ContainerdException e) {
                // without its container the snapshot is garbage: containerd's collector may have been first
                if (e.code() != Status.Code.NOT_FOUND) {
                    throw e;
                }
            }
        }
    }
}
