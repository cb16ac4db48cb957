package io.github.sshcontainer.tunnel.testing;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** {@link Requirements}: skip locally, fail under {@code CI=true}. */
class RequirementsTest {

    @TempDir
    Path tmp;

    private static Class<? extends Throwable> missing() {
        return Requirements.isCi() ? AssertionFailedError.class : TestAbortedException.class;
    }

    @Test
    void skipsOrFailsWithTheReason() {
        assertDoesNotThrow(() -> Requirements.require(true, "fine"));
        Throwable t = assertThrows(missing(), () -> Requirements.require(false, "no frobnicator"));
        assertTrue(t.getMessage().contains("no frobnicator"), t.getMessage());
        if (Requirements.isCi()) {
            assertTrue(t.getMessage().contains("CI=true"), t.getMessage());
        }
    }

    @Test
    void executables() {
        assertDoesNotThrow(() -> Requirements.requireExecutable("/bin/sh"));
        assertThrows(missing(), () -> Requirements.requireExecutable(tmp.resolve("nothing").toString()));
    }

    @Test
    void unixSockets() throws Exception {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertFalse(Requirements.isSocket(file));
        assertThrows(missing(), () -> Requirements.requireUnixSocket(file));
        assertThrows(missing(), () -> Requirements.requireUnixSocket(tmp.resolve("absent.sock")));
        try (UnixEchoServer echo = UnixEchoServer.start()) {
            assertTrue(Requirements.isSocket(echo.path()));
            assertDoesNotThrow(() -> Requirements.requireUnixSocket(echo.path()));
            UnixEchoServerTest.eventually(() -> echo.accepted() == 1);
        }
    }
}
