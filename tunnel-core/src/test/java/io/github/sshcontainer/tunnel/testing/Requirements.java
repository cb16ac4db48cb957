package io.github.sshcontainer.tunnel.testing;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Prerequisite checks for tests that need something from the machine (an OpenSSH server, a unix socket...).
 *
 * <p>A missing prerequisite skips the test (JUnit "aborted") on a developer machine, but fails it when the
 * environment variable {@code CI} is {@code true}, so that a CI run can never go green by silently skipping.
 */
public final class Requirements {

    /** {@code st_mode} file type mask and the "socket" file type (see {@code man 7 inode}). */
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private Requirements() {
    }

    /** Whether this is a CI run: the environment variable {@code CI} equals {@code "true"}. */
    public static boolean isCi() {
        return "true".equals(System.getenv("CI"));
    }

    /**
     * Returns if {@code ok}; otherwise fails the test when {@link #isCi()}, or skips it (with {@code reason})
     * when not.
     */
    public static void require(boolean ok, String reason) {
        if (ok) {
            return;
        }
        if (isCi()) {
            Assertions.fail(reason + " (CI=true: a missing prerequisite fails the run instead of skipping)");
        }
        Assumptions.abort(reason);
    }

    /** Requires a regular file at {@code path} that this process may execute. */
    public static void requireExecutable(String path) {
        Path p = Path.of(path);
        require(Files.isRegularFile(p) && Files.isExecutable(p), "no executable at " + path);
    }

    /**
     * Requires a unix-domain socket at {@code path} that accepts a connection. The check opens (and
     * immediately closes) one connection, which the server will see.
     */
    public static void requireUnixSocket(Path path) {
        require(isSocket(path), "no unix socket at " + path);
        String failure = null;
        try {
            SocketChannel.open(UnixDomainSocketAddress.of(path)).close();
        } catch (IOException | RuntimeException e) {
            failure = e.toString();
        }
        require(failure == null, "cannot connect to unix socket " + path + ": " + failure);
    }

    /** Whether {@code path} is a unix-domain socket file (following symlinks). */
    static boolean isSocket(Path path) {
        try {
            Object mode = Files.readAttributes(path, "unix:mode").get("mode");
            return mode instanceof Integer && (((Integer) mode) & S_IFMT) == S_IFSOCK;
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            // no "unix" attribute view: the best the portable API can tell is "not a file, dir or link"
            try {
                return Files.readAttributes(path, BasicFileAttributes.class).isOther();
            } catch (IOException e2) {
                return false;
            }
        } catch (IOException e) {
            return false;
        }
    }
}
