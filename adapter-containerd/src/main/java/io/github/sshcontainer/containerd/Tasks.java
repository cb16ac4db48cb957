package io.github.sshcontainer.containerd;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.github.sshcontainer.containerd.api.tasks.v1.CreateTaskRequest;
import io.github.sshcontainer.containerd.api.tasks.v1.DeleteTaskRequest;
import io.github.sshcontainer.containerd.api.tasks.v1.GetRequest;
import io.github.sshcontainer.containerd.api.tasks.v1.KillRequest;
import io.github.sshcontainer.containerd.api.tasks.v1.ListTasksRequest;
import io.github.sshcontainer.containerd.api.tasks.v1.StartRequest;
import io.github.sshcontainer.containerd.api.tasks.v1.TasksGrpc;
import io.github.sshcontainer.containerd.api.tasks.v1.WaitRequest;
import io.github.sshcontainer.containerd.api.types.task.Process;
import io.grpc.Status;

/**
 * The tasks of containers ({@code containerd.services.tasks.v1.Tasks}): a container's running process, managed by
 * the runtime's shim on the remote host. Its stdout and stderr go where {@link #create} says: a remote file
 * ({@link #fileUri}) is the way when the client is not on the daemon's machine.
 */
public final class Tasks {
    /** SIGKILL. */
    public static final int SIGKILL = 9;
    /** SIGTERM. */
    public static final int SIGTERM = 15;

    /** A task's state: pid, status ({@code created}, {@code running}, {@code stopped}, {@code paused}...). */
    public record Info(String containerId, int pid, String status, int exitStatus) {
        public Info {
            Objects.requireNonNull(containerId, "containerId");
            Objects.requireNonNull(status, "status");
        }

        static Info of(Process p) {
            // Get fills container_id; List leaves it empty and puts the container's id in id (the init process)
            String container = p.getContainerId().isEmpty() ? p.getId() : p.getContainerId();
            return new Info(container, p.getPid(), status(p), p.getExitStatus());
        }

        private static String status(Process p) {
            return switch (p.getStatus()) {
                case CREATED -> "created";
                case RUNNING -> "running";
                case STOPPED -> "stopped";
                case PAUSED -> "paused";
                case PAUSING -> "pausing";
                default -> "unknown";
            };
        }
    }

    /** How a process ended: its exit status (128+signal when killed) and when. */
    public record Exit(int status, Instant exitedAt) {
    }

    private final Calls calls;
    private final TasksGrpc.TasksBlockingStub stub;

    Tasks(Calls calls) {
        this.calls = calls;
        this.stub = TasksGrpc.newBlockingStub(calls.channel());
    }

    /**
     * The stdio URI that makes the runc shim append a task's stdout and stderr to the file {@code path} on the
     * daemon's machine (the shim creates it and its directory).
     *
     * @throws IllegalArgumentException unless {@code path} is absolute
     */
    public static String fileUri(String path) {
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("the output file must be an absolute path on the remote host: " + path);
        }
        return java.net.URI.create("file://" + java.net.URI.create("file://x" + encode(path)).getRawPath()).toString();
    }

    private static String encode(String path) {
        StringBuilder b = new StringBuilder();
        for (char c : path.toCharArray()) {
            if (Character.isLetterOrDigit(c) || "/-._~".indexOf(c) >= 0) {
                b.append(c);
            } else {
                for (byte x : String.valueOf(c).getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
                    b.append('%').append(String.format("%02X", x & 0xff));
                }
            }
        }
        return b.toString();
    }

    /**
     * Creates the task of container {@code containerId} on {@code rootfs} (the container's snapshot mounts), with
     * stdout and stderr to {@code stdout} / {@code stderr} (FIFO paths or URIs such as {@link #fileUri}; "" for
     * none). The process exists but has not started; returns its pid.
     */
    public int create(String containerId, List<Mount> rootfs, String stdout, String stderr)
            throws ContainerdException {
        return calls.call("Tasks/Create " + containerId, () -> stub
                .withDeadlineAfter(Math.max(calls.deadline().toMillis(), 30_000L), TimeUnit.MILLISECONDS)
                .create(CreateTaskRequest.newBuilder().setContainerId(containerId)
                        .addAllRootfs(Mount.toProto(rootfs)).setStdout(stdout).setStderr(stderr).build()))
                .getPid();
    }

    /** Starts the created task of {@code containerId}; returns its pid. */
    public int start(String containerId) throws ContainerdException {
        return calls.call("Tasks/Start " + containerId, () -> calls.timed(stub)
                .start(StartRequest.newBuilder().setContainerId(containerId).build())).getPid();
    }

    /**
     * Waits up to {@code timeout} for the task of {@code containerId} to exit.
     *
     * @throws ContainerdException {@code DEADLINE_EXCEEDED} when it is still running after {@code timeout}
     */
    public Exit await(String containerId, Duration timeout) throws ContainerdException {
        var r = calls.call("Tasks/Wait " + containerId, () -> stub
                .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .wait(WaitRequest.newBuilder().setContainerId(containerId).build()));
        return new Exit(r.getExitStatus(), Instant.ofEpochSecond(r.getExitedAt().getSeconds(),
                r.getExitedAt().getNanos()));
    }

    /** Sends {@code signal} to the task's process ({@code all}: to every process of the container). */
    public void kill(String containerId, int signal, boolean all) throws ContainerdException {
        calls.call("Tasks/Kill " + containerId, () -> calls.timed(stub).kill(KillRequest.newBuilder()
                .setContainerId(containerId).setSignal(signal).setAll(all).build()));
    }

    /**
     * Deletes the stopped task of {@code containerId} (its shim and bundle; the output file stays); returns how it
     * exited. containerd refuses ({@code FAILED_PRECONDITION}) while it runs.
     */
    public Exit delete(String containerId) throws ContainerdException {
        var r = calls.call("Tasks/Delete " + containerId, () -> stub
                .withDeadlineAfter(Math.max(calls.deadline().toMillis(), 30_000L), TimeUnit.MILLISECONDS)
                .delete(DeleteTaskRequest.newBuilder().setContainerId(containerId).build()));
        return new Exit(r.getExitStatus(), Instant.ofEpochSecond(r.getExitedAt().getSeconds(),
                r.getExitedAt().getNanos()));
    }

    /** The task of {@code containerId}, or empty when the container has none. */
    public Optional<Info> find(String containerId) throws ContainerdException {
        try {
            return Optional.of(Info.of(calls.call("Tasks/Get " + containerId, () -> calls.timed(stub)
                    .get(GetRequest.newBuilder().setContainerId(containerId).build())).getProcess()));
        } catch (ContainerdException e) {
            if (e.code() == Status.Code.NOT_FOUND) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Every task of the namespace. */
    public List<Info> list() throws ContainerdException {
        return calls.call("Tasks/List", () -> calls.timed(stub).list(ListTasksRequest.getDefaultInstance()))
                .getTasksList().stream().map(Info::of).toList();
    }
}
