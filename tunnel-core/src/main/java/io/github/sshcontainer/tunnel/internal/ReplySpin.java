package io.github.sshcontainer.tunnel.internal;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Lets an in-process reader that waits for the reply to what it has just written busy-wait for a short while before
 * it parks. A parked thread is woken through the scheduler, and on a virtual machine often from an idle (halted) CPU:
 * tens of microseconds per round trip, more than the SSH work itself. Each turn of the spin yields the CPU, so a thread
 * the reply depends on (the I/O thread, sshd on a local peer) is never kept waiting behind the spinner: with a plain
 * busy loop the 99th percentile of round trips got worse, not better. Spinning is bounded three ways:
 * <ul>
 * <li>by a budget per wait ({@link #budgetNanos});</li>
 * <li>by the connection's last reply: when it took longer than the budget, spinning would have been wasted, so the
 * reader parks at once until a reply is fast again (reply times are measured whether the reader spun or not);</li>
 * <li>JVM-wide, by the number of CPUs: at most one spinner fewer than there are CPUs, none on a single CPU, so the
 * SSH server and the far end keep a core.</li>
 * </ul>
 */
final class ReplySpin {
    private static final AtomicInteger SPINNERS = new AtomicInteger();
    private static final int MAX_SPINNERS = Runtime.getRuntime().availableProcessors() - 1;

    private final long budgetNanos;
    private final int maxSpinners;
    /** When the last write happened, if no reply data arrived since; 0 otherwise. */
    private volatile long writtenAt;
    /** How long the last reply took to start arriving after a write. */
    private volatile long lastReplyNanos;

    ReplySpin(Duration budget) {
        this(budget, MAX_SPINNERS);
    }

    ReplySpin(Duration budget, int maxSpinners) {
        this.budgetNanos = budget.toNanos();
        this.maxSpinners = maxSpinners;
    }

    /** The caller wrote: a reply may follow. */
    void wrote() {
        if (budgetNanos > 0) {
            writtenAt = System.nanoTime();
        }
    }

    /** Data arrived (on the I/O thread): the time since the last write is the reply time. */
    void arrived() {
        long w = writtenAt;
        if (w != 0) {
            writtenAt = 0;
            lastReplyNanos = System.nanoTime() - w;
        }
    }

    /**
     * Spins until {@code arrived} is true or the budget is spent, if a reply is awaited, the last one came within the
     * budget, and a spinner slot is free.
     *
     * @return whether it spun
     */
    boolean await(BooleanSupplier arrived) {
        if (writtenAt == 0 || lastReplyNanos > budgetNanos || !acquire()) {
            return false;
        }
        try {
            long end = System.nanoTime() + budgetNanos;
            while (!arrived.getAsBoolean() && System.nanoTime() - end < 0) {
                Thread.yield();
            }
            return true;
        } finally {
            SPINNERS.decrementAndGet();
        }
    }

    private boolean acquire() {
        while (true) {
            int now = SPINNERS.get();
            if (now >= maxSpinners) {
                return false;
            }
            if (SPINNERS.compareAndSet(now, now + 1)) {
                return true;
            }
        }
    }
}
