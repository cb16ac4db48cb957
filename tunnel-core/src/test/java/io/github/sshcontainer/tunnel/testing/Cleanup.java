package io.github.sshcontainer.tunnel.testing;

import java.util.List;

/** Closing test fixtures: every one is tried, a failure is printed and does not stop the others. */
public final class Cleanup {
    private Cleanup() {
    }

    /** Closes each non-null fixture, in the order given. */
    public static void closeAll(AutoCloseable... fixtures) {
        for (AutoCloseable c : fixtures) {
            close(c);
        }
    }

    /** Closes each fixture, last first (the order they were opened in, undone). */
    public static void closeReversed(List<? extends AutoCloseable> fixtures) {
        for (int i = fixtures.size() - 1; i >= 0; i--) {
            close(fixtures.get(i));
        }
    }

    private static void close(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            System.err.println("cleanup: " + e);
        }
    }
}
