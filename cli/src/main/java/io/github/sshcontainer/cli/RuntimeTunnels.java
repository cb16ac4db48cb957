package io.github.sshcontainer.cli;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.UnaryOperator;

import io.github.sshcontainer.tunnel.Failure;
import io.github.sshcontainer.tunnel.RemoteUnavailableException;
import io.github.sshcontainer.tunnel.SshConnector;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.SshTunnelException;
import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.runtime.RuntimeAdapter;
import io.github.sshcontainer.tunnel.runtime.RuntimeAdapters;
import io.github.sshcontainer.tunnel.runtime.SocketDiscovery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tunnels to the runtimes on one target, closed together: the runtimes named with {@code --runtime}, or every
 * adapter on the class path whose socket discovery finds a socket there. The runtimes are looked for at the same
 * time, through one {@link SshConnector} (one SSH client); each tunnel holds its own SSH session.
 */
final class RuntimeTunnels implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RuntimeTunnels.class);

    /** A runtime whose socket was found but cannot be used, or (when named) was not found. */
    record Problem(RuntimeAdapter<?> adapter, RemoteUnavailableException error) {
    }

    private final Map<RuntimeAdapter<?>, Tunnel> opened;
    private final List<Problem> problems;
    private final List<String> missing;

    private RuntimeTunnels(Map<RuntimeAdapter<?>, Tunnel> opened, List<Problem> problems, List<String> missing) {
        this.opened = opened;
        this.problems = problems;
        this.missing = missing;
    }

    /**
     * The adapters for {@code names} (each once, in the order given), or every adapter on the class path when
     * {@code names} is empty.
     *
     * @throws IllegalArgumentException for a name no adapter has, listing the available ones
     */
    static List<RuntimeAdapter<?>> select(List<String> names) {
        if (names == null || names.isEmpty()) {
            return RuntimeAdapters.all();
        }
        Map<String, RuntimeAdapter<?>> chosen = new LinkedHashMap<>();
        for (String name : names) {
            RuntimeAdapter<?> a = RuntimeAdapters.find(name);
            chosen.putIfAbsent(a.name(), a);
        }
        return new ArrayList<>(chosen.values());
    }

    /**
     * Opens a tunnel to the socket of each runtime in {@code names} (every adapter on the class path when empty) on
     * {@code target}, a private local socket each unless {@code localSide} says otherwise. A target with a socket
     * path ({@code ssh://host/run/docker.sock}) means that socket, for the one runtime named, or docker. An
     * unnamed runtime with no socket there is skipped; a named one is a {@link Problem}, and so is a socket that
     * exists but cannot be used.
     *
     * @throws SshTunnelException when the target itself fails (connect, host key, authentication): no tunnel stays
     *         open
     * @throws IllegalArgumentException an unknown runtime name, or a socket path with several runtimes
     */
    static RuntimeTunnels open(SshTarget target, SshConnector connector, List<String> names,
            UnaryOperator<io.github.sshcontainer.tunnel.TunnelBuilder> localSide) throws IOException {
        boolean named = !names.isEmpty() || target.path().isPresent();
        List<RuntimeAdapter<?>> adapters = names.isEmpty() && target.path().isPresent()
                ? List.of(RuntimeAdapters.find("docker")) : select(names);
        if (target.path().isPresent() && adapters.size() != 1) {
            throw new IllegalArgumentException("the target " + target + " names a socket path, which fits one runtime"
                    + " only: name one --runtime, or leave the path out to find every runtime's socket");
        }
        // every runtime's discovery at once: each costs SSH sessions (`id -u`, one per candidate tried)
        List<CompletableFuture<Tunnel>> attempts = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(adapters.size(), r -> {
            Thread t = new Thread(r, "ssh-container-discovery");
            t.setDaemon(true);
            return t;
        });
        try {
            for (RuntimeAdapter<?> adapter : adapters) {
                attempts.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return SocketDiscovery.open(adapter, target, connector, localSide);
                    } catch (IOException e) {
                        throw new CompletionException(e);
                    }
                }, pool));
            }
        } finally {
            pool.shutdown();
        }
        Map<RuntimeAdapter<?>, Tunnel> opened = new LinkedHashMap<>();
        List<Problem> problems = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        Throwable fatal = null;
        try {
            for (int i = 0; i < adapters.size(); i++) {
                RuntimeAdapter<?> adapter = adapters.get(i);
                try {
                    opened.put(adapter, attempts.get(i).get());
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof RemoteUnavailableException) {
                        RemoteUnavailableException gone = (RemoteUnavailableException) cause;
                        LOG.debug("{} on {}: {}", adapter.name(), target.host(), gone.getMessage());
                        boolean absent = gone.reason() == RemoteUnavailableException.Reason.MISSING
                                || gone.reason() == RemoteUnavailableException.Reason.NOT_A_SOCKET;
                        if (absent && !named) {
                            missing.add(gone.getMessage());
                        } else {
                            problems.add(new Problem(adapter, gone));
                        }
                    } else if (fatal == null) {
                        fatal = cause; // the target itself failed: every runtime would say the same
                    }
                }
            }
        } catch (InterruptedException e) {
            // tunnels that are still being opened are closed as soon as they are
            attempts.forEach(a -> a.thenAccept(Tunnel::close));
            opened.values().forEach(Tunnel::close);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while looking for the runtimes on " + target.host());
        }
        if (fatal != null) {
            opened.values().forEach(Tunnel::close);
            if (fatal instanceof IOException) {
                throw (IOException) fatal;
            }
            if (fatal instanceof RuntimeException) {
                throw (RuntimeException) fatal;
            }
            throw new IOException(fatal);
        }
        return new RuntimeTunnels(opened, problems, missing);
    }

    /** The open tunnels, by adapter, in the order the adapters were given. */
    Map<RuntimeAdapter<?>, Tunnel> opened() {
        return opened;
    }

    /** Runtimes that were named but not found, or found but not usable. */
    List<Problem> problems() {
        return problems;
    }

    /**
     * The error for a target where nothing could be opened: the first problem, else "no runtime found" with what
     * discovery tried for each runtime.
     */
    SshTunnelException nothingFound(SshTarget target) {
        if (!problems.isEmpty()) {
            return problems.get(0).error();
        }
        return new SshTunnelException(Failure.REMOTE_UNAVAILABLE, "no container runtime found on " + target.host()
                + " (" + String.join("; ", missing) + "); name one with --runtime NAME, or put its socket path in the"
                + " target (ssh://host/path/to.sock)");
    }

    /** Closes every tunnel (removing the local sockets). */
    @Override
    public void close() {
        opened.values().forEach(Tunnel::close);
    }
}
