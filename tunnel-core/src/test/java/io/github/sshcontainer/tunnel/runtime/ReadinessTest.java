package io.github.sshcontainer.tunnel.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

class ReadinessTest {

    @Test
    void retriesUntilTheCheckPasses() throws IOException {
        AtomicInteger calls = new AtomicInteger();
        Readiness.attempts(3, Duration.ZERO).await("daemon", () -> {
            if (calls.incrementAndGet() < 3) {
                throw new IOException("not yet");
            }
        });
        assertEquals(3, calls.get());
    }

    @Test
    void givesUpAfterTheAttemptsWithTheDaemonsLastAnswer() {
        AtomicInteger calls = new AtomicInteger();
        IOException e = assertThrows(IOException.class, () -> Readiness.DEFAULT.withoutWaiting().await("docker at x",
                () -> {
                    calls.incrementAndGet();
                    throw new IOException("HTTP 500: daemon is starting");
                }));
        assertEquals(3, calls.get(), "default: 3 attempts, like the Go original");
        assertTrue(e.getMessage().contains("docker at x is not ready after 3 attempt(s)"), e.getMessage());
        assertTrue(e.getMessage().contains("HTTP 500: daemon is starting"), e.getMessage());
    }

    @Test
    void rejectsNonsense() {
        assertThrows(IllegalArgumentException.class, () -> Readiness.attempts(0, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> Readiness.attempts(1, Duration.ofSeconds(-1)));
    }
}
