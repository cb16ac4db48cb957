package io.github.sshcontainer.tunnel.embedded;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.apache.sshd.server.command.CommandFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers {@code exec} of exactly {@code id -u} with the uid of this process (what a client asks a remote host to
 * find {@code /run/user/UID/docker.sock}); every other command exits 127 with a message on stderr.
 */
final class IdCommandFactory implements CommandFactory {

    static final String ID_U = "id -u";

    private static final Logger LOG = LoggerFactory.getLogger(IdCommandFactory.class);

    @Override
    public Command createCommand(ChannelSession channel, String command) {
        if (ID_U.equals(command.trim())) {
            OptionalLong uid = processUid();
            if (uid.isPresent()) {
                return new FixedAnswer(uid.getAsLong() + "\n", "", 0);
            }
            return new FixedAnswer("", "id: cannot determine the uid of the server process\n", 1);
        }
        LOG.info("refused exec of '{}': only '{}' is supported", command, ID_U);
        return new FixedAnswer("", "this server only answers '" + ID_U + "'\n", 127);
    }

    /** The uid of this JVM: on Linux the owner of {@code /proc/self}, elsewhere the JDK's {@code UnixSystem}. */
    static OptionalLong processUid() {
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            if (uid instanceof Number) {
                return OptionalLong.of(((Number) uid).longValue());
            }
        } catch (IOException | RuntimeException e) {
            LOG.trace("no uid from /proc/self: {}", e.toString());
        }
        try {
            return OptionalLong.of(new com.sun.security.auth.module.UnixSystem().getUid());
        } catch (RuntimeException | LinkageError e) {
            LOG.debug("no uid from UnixSystem: {}", e.toString());
            return OptionalLong.empty();
        }
    }

    /** Writes a fixed stdout/stderr, then exits; on its own thread so the exec reply goes out first. */
    private static final class FixedAnswer implements Command {
        private final String stdout;
        private final String stderr;
        private final int exitCode;
        private OutputStream out;
        private OutputStream err;
        private ExitCallback exitCallback;

        FixedAnswer(String stdout, String stderr, int exitCode) {
            this.stdout = stdout;
            this.stderr = stderr;
            this.exitCode = exitCode;
        }

        @Override
        public void setInputStream(InputStream in) {
            // no input read
        }

        @Override
        public void setOutputStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void setErrorStream(OutputStream err) {
            this.err = err;
        }

        @Override
        public void setExitCallback(ExitCallback callback) {
            this.exitCallback = callback;
        }

        @Override
        public void start(ChannelSession channel, Environment env) {
            Thread thread = new Thread(this::answer, "sshc-embedded-exec-" + channel.getChannelId());
            thread.setDaemon(true);
            thread.start();
        }

        private void answer() {
            int code = exitCode;
            try {
                if (!stdout.isEmpty()) {
                    out.write(stdout.getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
                if (!stderr.isEmpty()) {
                    err.write(stderr.getBytes(StandardCharsets.UTF_8));
                    err.flush();
                }
            } catch (IOException e) {
                LOG.debug("exec answer failed: {}", e.toString());
                code = 1;
            } finally {
                exitCallback.onExit(code);
            }
        }

        @Override
        public void destroy(ChannelSession channel) {
            // nothing to stop
        }
    }
}
