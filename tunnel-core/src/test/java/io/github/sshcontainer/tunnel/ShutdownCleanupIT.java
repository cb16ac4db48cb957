package io.github.sshcontainer.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;

import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.UnixEchoServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tunnel that is never closed leaves no socket file behind when its JVM exits. */
class ShutdownCleanupIT {

    @Test
    void theShutdownHookRemovesSocketFilesOfTunnelsNeverClosed(@TempDir Path tmp) throws Exception {
        try (OpenSshServer sshd = OpenSshServer.startOrSkip(OpenSshServer.builder());
                UnixEchoServer echo = UnixEchoServer.start()) {
            Path kh = tmp.resolve("known_hosts");
            sshd.writeKnownHosts(kh);
            Process child = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), AbandonedTunnelMain.class.getName(), sshd.user(),
                    sshd.host(), String.valueOf(sshd.port()), sshd.clientKey().toString(), kh.toString(),
                    echo.path().toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child exits by itself");
            assertEquals(0, child.exitValue());
            String printed = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            Path socket = Paths.get(printed);
            assertTrue(printed.endsWith("echo.sock"), "the child opened a tunnel: " + printed);
            assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "socket file removed at JVM exit");
            assertFalse(Files.exists(socket.getParent()), "private directory removed at JVM exit");
        }
    }
}
