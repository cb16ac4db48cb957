package io.github.sshcontainer.tunnel.internal;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.apache.sshd.client.session.ClientSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SSH sessions for {@code session} channels (one exec per connection). OpenSSH allows at most {@code MaxSessions}
 * (default 10) session channels per SSH connection and refuses more with an open failure, so one SSH connection
 * cannot carry more than that many concurrent command connections.
 *
 * <p>Choice: a pool rather than a queue (a queue would stall the 11th long-lived connection, e.g. {@code docker
 * events}, until another ends). The kept session ({@link SessionKeeper}) comes first; when every pooled session has
 * {@code capacity} channels in use, another SSH connection is made with the same connector. The capacity starts at
 * OpenSSH's default of 10 and is lowered to what a session really held when the server refuses a channel there
 * ({@link #full}). Extra sessions with no channels for {@code idleClose} are closed.
 */
final class SessionPool implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SessionPool.class);
    /** OpenSSH's default {@code MaxSessions}. */
    static final int DEFAULT_CAPACITY = 10;

    private final SessionKeeper primary;
    private final Supplier<ClientSession> connect;
    private final Duration idleClose;
    private final String where;
    private final Map<ClientSession, Slot> slots = new IdentityHashMap<>();
    private final ScheduledExecutorService helper;
    private CompletableFuture<ClientSession> connecting;
    private int learnedCapacity = DEFAULT_CAPACITY;
    private boolean closed;

    /**
     * @param connect makes one more authenticated session (blocking; runs on this pool's thread)
     */
    SessionPool(SessionKeeper primary, Supplier<ClientSession> connect, Duration idleClose, String where) {
        this.primary = primary;
        this.connect = connect;
        this.idleClose = idleClose;
        this.where = where;
        this.helper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ssh-container-sessions-" + where);
            t.setDaemon(true);
            return t;
        });
    }

    /** A session with a free session-channel slot, reserved for the caller until {@link Lease#release()}. */
    CompletableFuture<Lease> acquire() {
        return primary.session().thenCompose(this::pick);
    }

    private CompletableFuture<Lease> pick(ClientSession kept) {
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(new IOException("tunnel is closed"));
            }
            slots.values().removeIf(s -> !alive(s.session) && s.active == 0);
            Slot keptSlot = slots.computeIfAbsent(kept, s -> new Slot(s, false));
            Slot best = null;
            for (Slot s : slots.values()) {
                if (alive(s.session) && s.active < s.capacity
                        && (best == null || s.active < best.active || (s.active == best.active && s == keptSlot))) {
                    best = s;
                }
            }
            if (best != null) {
                best.active++;
                return CompletableFuture.completedFuture(new Lease(best));
            }
            if (connecting == null) {
                CompletableFuture<ClientSession> attempt = new CompletableFuture<>();
                connecting = attempt;
                LOG.debug("all {} SSH session(s) to {} have {} session channels open; connecting another",
                        slots.size(), where, learnedCapacity);
                helper.execute(() -> connectExtra(attempt));
            }
            return connecting.thenCompose(ignored -> pick(kept));
        }
    }

    private void connectExtra(CompletableFuture<ClientSession> attempt) {
        ClientSession fresh;
        try {
            fresh = connect.get();
        } catch (RuntimeException e) {
            synchronized (this) {
                connecting = null;
            }
            attempt.completeExceptionally(e.getCause() instanceof IOException ? e.getCause() : e);
            return;
        }
        synchronized (this) {
            connecting = null;
            if (closed) {
                fresh.close(true);
                attempt.completeExceptionally(new IOException("tunnel is closed"));
                return;
            }
            Slot slot = new Slot(fresh, true);
            slots.put(fresh, slot);
            LOG.info("opened SSH connection #{} to {} for more than {} concurrent session channels", slots.size(),
                    where, learnedCapacity);
        }
        attempt.complete(fresh);
    }

    private static boolean alive(ClientSession s) {
        return s.isOpen() && !s.isClosing();
    }

    /** How many SSH sessions the pool holds now (for tests). */
    synchronized int sessionCount() {
        return (int) slots.values().stream().filter(s -> alive(s.session)).count();
    }

    @Override
    public void close() {
        List<Slot> extras = new ArrayList<>();
        synchronized (this) {
            closed = true;
            for (Slot s : slots.values()) {
                if (s.extra) {
                    extras.add(s);
                }
            }
            slots.clear();
        }
        helper.shutdownNow();
        for (Slot s : extras) {
            s.session.close(true);
        }
    }

    private final class Slot {
        final ClientSession session;
        final boolean extra;
        int active;
        int capacity = learnedCapacity;
        long idleSince;

        Slot(ClientSession session, boolean extra) {
            this.session = session;
            this.extra = extra;
        }
    }

    /** One reserved session-channel slot. */
    final class Lease {
        private final Slot slot;
        private boolean released;

        private Lease(Slot slot) {
            this.slot = slot;
        }

        ClientSession session() {
            return slot.session;
        }

        /**
         * The server refused a session channel on this lease's session while others were open there: take the count
         * it held as its capacity (and the pool's guess for new sessions), release this slot. Returns false when this
         * was the only channel there, so the refusal is not about the limit.
         */
        boolean full() {
            synchronized (SessionPool.this) {
                int others = slot.active - 1;
                release();
                if (others < 1) {
                    return false;
                }
                slot.capacity = Math.min(slot.capacity, others);
                learnedCapacity = Math.min(learnedCapacity, others);
                LOG.debug("{} refused a session channel with {} open: at most {} per SSH connection", where, others,
                        slot.capacity);
                return true;
            }
        }

        /** Frees the slot; idempotent. */
        void release() {
            synchronized (SessionPool.this) {
                if (released) {
                    return;
                }
                released = true;
                slot.active--;
                if (slot.active == 0 && slot.extra && !closed) {
                    long since = System.nanoTime();
                    slot.idleSince = since;
                    helper.schedule(() -> closeIfIdle(slot, since), idleClose.toMillis(), TimeUnit.MILLISECONDS);
                }
            }
        }
    }

    private void closeIfIdle(Slot slot, long since) {
        synchronized (this) {
            if (closed || slot.active > 0 || slot.idleSince != since || slots.get(slot.session) != slot) {
                return;
            }
            slots.remove(slot.session);
        }
        LOG.debug("closing idle extra SSH connection to {}", where);
        slot.session.close(false);
    }
}
