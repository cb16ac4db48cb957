package io.github.sshcontainer.tunnel.testing;

import java.util.concurrent.Executor;

/**
 * For tests whose {@code CompletableFuture} tasks block (on a socket, a latch): a daemon thread per task. The default
 * async pool does not do: on two CPUs newer JDKs (seen on 25) run it one task at a time, and such tasks wait for each
 * other forever.
 */
public final class ThreadPerTask {
    /** Starts each task on a new daemon thread. */
    public static final Executor EXECUTOR = task -> {
        Thread t = new Thread(task);
        t.setDaemon(true);
        t.start();
    };

    private ThreadPerTask() {
    }
}
