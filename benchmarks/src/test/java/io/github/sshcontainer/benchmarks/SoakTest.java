package io.github.sshcontainer.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class SoakTest {

    @Test
    void defaultsAreFiveMinutesARestartAMinuteSixteenWorkers() {
        assertEquals(new Soak.Options(Duration.ofMinutes(5), Duration.ofSeconds(60), 16), Soak.parse(new String[0]));
        assertEquals(new Soak.Options(Duration.ofMinutes(2), Duration.ofSeconds(20), 3),
                Soak.parse(new String[] {"--minutes", "2", "--restart-every", "20", "--workers", "3"}));
        assertNull(Soak.parse(new String[] {"--help"}));
    }

    @Test
    void badArgumentsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Soak.parse(new String[] {"--restart-every", "2"}));
        assertTrue(e.getMessage().contains("--restart-every") && e.getMessage().contains("3 seconds"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Soak.parse(new String[] {"--workers", "x"}));
        assertTrue(e.getMessage().contains("--workers") && e.getMessage().contains("'x'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Soak.parse(new String[] {"--hours", "1"}));
        assertTrue(e.getMessage().contains("--hours"), e.getMessage());
    }

    @Test
    void verdictFailsOnAWrongAnswerAStrayFailureASlowRecoveryOrALeak() {
        List<Soak.Restart> restarts = List.of(new Soak.Restart(10_000, 13_000, 400));
        assertTrue(summary(0, List.of(10_500L), restarts, 20, 20).passed());
        assertFalse(summary(1, List.of(), restarts, 20, 20).passed(), "a wrong answer");
        assertFalse(summary(0, List.of(21_000L), restarts, 20, 20).passed(), "a failure 11 s after the kill");
        assertFalse(summary(0, List.of(), List.of(new Soak.Restart(10_000, 13_000, 2_500)), 20, 20).passed(),
                "recovery after 2.5 s");
        assertFalse(summary(0, List.of(), List.of(new Soak.Restart(10_000, 13_000, -1)), 20, 20).passed(),
                "never recovered");
        assertFalse(summary(0, List.of(), restarts, 20 + Soak.FD_SLACK + 1, 20).passed(), "leaked fds");
        assertFalse(summary(0, List.of(), restarts, 20, 16 + Soak.THREAD_SLACK + 1).passed(), "leaked threads");
    }

    private static Soak.Summary summary(long wrong, List<Long> failures, List<Soak.Restart> restarts, long fdEnd,
            int threadsEnd) {
        return new Soak.Summary(Map.of(), new Soak.Options(Duration.ofSeconds(30), Duration.ofSeconds(10), 2), 100,
                failures.size(), 0, wrong, 0, 1000, restarts, failures, 20, fdEnd, 16, threadsEnd);
    }
}
