package io.github.sshcontainer.tunnel.internal;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import io.github.sshcontainer.tunnel.SshConnector;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.SshTunnelException;
import org.apache.sshd.client.session.ClientSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one authenticated SSH session for a tunnel. When it is lost, the next request reconnects on a dedicated
 * thread, with a bounded backoff between failed attempts; requests that arrive meanwhile share that attempt.
 */
public final class SessionKeeper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SessionKeeper.class);
    static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(2);

    private final SshConnector connector;
    private final SshTarget target;
    private final StatsCounter stats;
    private final ExecutorService reconnector;
    private ClientSession session;
    private CompletableFuture<ClientSession> pending;
    private long nextAttemptNanos;
    private Duration backoff = FIRST_BACKOFF;
    private boolean closed;

    public SessionKeeper(SshConnector connector, SshTarget target, ClientSession first, StatsCounter stats) {
        this.connector = connector;
        this.target = target;
        this.session = first;
        this.stats = stats;
        this.reconnector = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "ssh-container-reconnect-" + target.host());
            t.setDaemon(true);
            return t;
        });
    }

    /** The live session, or a future for the reconnection in progress. */
    public synchronized CompletableFuture<ClientSession> session() {
        if (closed) {
            return CompletableFuture.failedFuture(new IOException("tunnel is closed"));
        }
        if (session != null && session.isOpen() && !session.isClosing()) {
            return CompletableFuture.completedFuture(session);
        }
        if (pending == null) {
            long waitNanos = Math.max(0, nextAttemptNanos - System.nanoTime());
            CompletableFuture<ClientSession> attempt = new CompletableFuture<>();
            pending = attempt;
            reconnector.execute(() -> reconnect(attempt, waitNanos));
        }
        return pending;
    }

    /** The current session, if it is alive, without reconnecting. */
    public synchronized ClientSession current() {
        return session != null && session.isOpen() ? session : null;
    }

    /** Drops {@code dead} so the next request reconnects (e.g. a channel open found it closed). */
    public synchronized void invalidate(ClientSession dead) {
        if (session == dead) {
            session = null;
        }
    }

    private void reconnect(CompletableFuture<ClientSession> attempt, long waitNanos) {
        try {
            if (waitNanos > 0) {
                TimeUnit.NANOSECONDS.sleep(waitNanos);
            }
            LOG.info("SSH session to {} was lost; reconnecting", target);
            ClientSession fresh = connector.connect(target);
            synchronized (this) {
                if (closed) {
                    fresh.close(true);
                    attempt.completeExceptionally(new IOException("tunnel is closed"));
                    return;
                }
                session = fresh;
                pending = null;
                backoff = FIRST_BACKOFF;
                nextAttemptNanos = 0;
            }
            stats.reconnected();
            LOG.info("SSH session to {} re-established", target);
            attempt.complete(fresh);
        } catch (SshTunnelException e) {
            failed(attempt, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failed(attempt, new IOException("reconnect interrupted", e));
        } catch (RuntimeException e) {
            failed(attempt, new IOException(e.toString(), e));
        }
    }

    private void failed(CompletableFuture<ClientSession> attempt, IOException e) {
        synchronized (this) {
            pending = null;
            nextAttemptNanos = System.nanoTime() + backoff.toNanos();
            LOG.warn("reconnect to {} failed: {}; next attempt in at least {} ms", target, e.getMessage(),
                    backoff.toMillis());
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        }
        attempt.completeExceptionally(e);
    }

    /** Unwraps the cause of a failed {@link #session()} future. */
    public static Throwable cause(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    @Override
    public void close() {
        ClientSession s;
        synchronized (this) {
            closed = true;
            s = session;
            session = null;
        }
        reconnector.shutdownNow();
        if (s != null) {
            try {
                s.close(false).await(2, TimeUnit.SECONDS);
            } catch (IOException e) {
                LOG.debug("graceful close of SSH session: {}", e.toString());
            }
            s.close(true);
        }
    }
}
