package io.github.sshcontainer.tunnel.runtime;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Objects;

/**
 * How often to ask a daemon whether it is ready before giving up: by default 3 attempts (like the Go original),
 * 500 ms apart, doubling.
 *
 * <pre>{@code
 * Readiness r = Readiness.attempts(5, Duration.ofSeconds(1));
 * }</pre>
 */
public record Readiness(int attempts, Duration backoff) {
    public static final Readiness DEFAULT = new Readiness(3, Duration.ofMillis(500));

    public Readiness {
        if (attempts < 1) {
            throw new IllegalArgumentException("readiness attempts must be at least 1");
        }
        Objects.requireNonNull(backoff, "backoff");
        if (backoff.isNegative()) {
            throw new IllegalArgumentException("readiness backoff must not be negative");
        }
    }

    public static Readiness attempts(int attempts, Duration backoff) {
        return new Readiness(attempts, backoff);
    }

    /** The same number of attempts, back to back. */
    public Readiness withoutWaiting() {
        return new Readiness(attempts, Duration.ZERO);
    }

    /** A check that may fail with an IOException. */
    @FunctionalInterface
    public interface Check {
        void run() throws IOException;
    }

    /**
     * Runs {@code check} until it passes or the attempts are used up.
     *
     * @throws IOException the last failure, its message prefixed with how many attempts were made
     */
    public void await(String what, Check check) throws IOException {
        Duration wait = backoff;
        IOException last = null;
        for (int i = 1; i <= attempts; i++) {
            try {
                check.run();
                return;
            } catch (IOException e) {
                last = e;
            }
            if (i < attempts) {
                try {
                    Thread.sleep(wait.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting for " + what);
                }
                wait = wait.multipliedBy(2);
            }
        }
        throw new IOException(what + " is not ready after " + attempts + " attempt(s): " + last.getMessage(), last);
    }
}
