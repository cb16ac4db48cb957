package io.github.sshcontainer.tunnel.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import io.github.sshcontainer.tunnel.testing.ThreadPerTask;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The bounds of the in-process reader's spin: when it spins, and that it always ends. */
@Timeout(30)
class ReplySpinTest {
    private static final Duration LONG = Duration.ofSeconds(10);

    @Test
    void spinsAfterAWriteUntilTheReplyArrives() {
        ReplySpin spin = new ReplySpin(LONG, 1);
        spin.wrote();
        AtomicInteger checks = new AtomicInteger();
        assertTrue(spin.await(() -> checks.incrementAndGet() == 3));
        assertEquals(3, checks.get(), "spins until the condition holds, and no longer");
    }

    @Test
    void doesNotSpinWithoutAWrite() {
        ReplySpin spin = new ReplySpin(LONG, 1);
        assertFalse(spin.await(() -> false), "nothing was written: no reply to wait for");
        spin.wrote();
        spin.arrived();
        assertFalse(spin.await(() -> false), "the reply to the last write has arrived already");
    }

    @Test
    void zeroNeverSpins() {
        ReplySpin spin = new ReplySpin(Duration.ZERO, 1);
        spin.wrote();
        assertFalse(spin.await(() -> false));
    }

    @Test
    void endsWhenTheBudgetIsSpent() {
        ReplySpin spin = new ReplySpin(Duration.ofMillis(5), 1);
        spin.wrote();
        long start = System.nanoTime();
        assertTrue(spin.await(() -> false));
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(5), "spins the whole budget");
    }

    @Test
    void parksAtOnceAfterAReplySlowerThanTheBudgetAndSpinsAgainAfterAFastOne() throws Exception {
        // a budget far above a stall of the test itself (the first lambda's bootstrap took more than 2 ms once, on a
        // busy machine, and made the "fast" reply below a slow one)
        ReplySpin spin = new ReplySpin(Duration.ofMillis(100), 1);
        BooleanSupplier never = () -> false;
        BooleanSupplier atOnce = () -> true;
        spin.wrote();
        Thread.sleep(400);
        spin.arrived();
        spin.wrote();
        assertFalse(spin.await(never), "the last reply took 400 ms: spinning 100 ms would have been wasted");
        spin.arrived(); // measured although nobody spun: fast this time
        spin.wrote();
        assertTrue(spin.await(atOnce));
    }

    @Test
    void noMoreSpinnersThanAllowed() throws Exception {
        assertFalse(spinning(new ReplySpin(LONG, 0)).await(() -> true), "no slot: parks at once");

        ReplySpin first = spinning(new ReplySpin(LONG, 1));
        CountDownLatch firstSpins = new CountDownLatch(1);
        AtomicBoolean release = new AtomicBoolean();
        CompletableFuture<Boolean> firstResult = CompletableFuture.supplyAsync(() -> first.await(() -> {
            firstSpins.countDown();
            return release.get();
        }), ThreadPerTask.EXECUTOR);
        assertTrue(firstSpins.await(10, TimeUnit.SECONDS));
        assertFalse(spinning(new ReplySpin(LONG, 1)).await(() -> true), "the one slot is taken");
        release.set(true);
        assertTrue(firstResult.get(10, TimeUnit.SECONDS));
        assertTrue(spinning(new ReplySpin(LONG, 1)).await(() -> true), "the slot is free again");
    }

    private static ReplySpin spinning(ReplySpin spin) {
        spin.wrote();
        return spin;
    }
}
