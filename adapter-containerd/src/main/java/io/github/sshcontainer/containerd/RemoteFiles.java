package io.github.sshcontainer.containerd;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

import io.github.sshcontainer.tunnel.RemoteEndpoint;
import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.TunnelConnection;

/**
 * Small files on the daemon's host, read and removed over SSH {@code exec} ({@code cat} / {@code rm -f}) on the
 * same target and options as the containerd tunnel: how a task's output file ({@link Tasks#fileUri}) comes back.
 * containerd's API has no call that reads a file of the host, and the runc shim writes a task's output only to
 * FIFOs, files or logging binaries on that host.
 */
public final class RemoteFiles {
    private final SshTarget target;
    private final SshOptions options;

    /** Files on {@code target}, reached with {@code options}. */
    public RemoteFiles(SshTarget target, SshOptions options) {
        this.target = Objects.requireNonNull(target, "target");
        this.options = Objects.requireNonNull(options, "options");
    }

    /**
     * The content of the remote file {@code path}, at most {@code maxBytes}.
     *
     * @throws IOException when the file cannot be read (the message quotes the remote {@code cat}'s error) or is
     *         larger than {@code maxBytes}
     */
    public byte[] read(String path, int maxBytes) throws IOException {
        // a task's output file is written by the shim's copy of the task's pipes, which may still be running when
        // the task's exit has been reported: wait (at most 3 s) until the file's size holds still for 100 ms
        String settle = "f=" + quote(path) + "; p=x; i=0; while [ $i -lt 30 ]; do"
                + " n=$(stat -c %s -- \"$f\" 2>/dev/null || echo none); [ \"$n\" = \"$p\" ] && break;"
                + " p=$n; i=$((i+1)); sleep 0.1; done; ";
        return run(settle + "cat -- \"$f\"", maxBytes);
    }

    /** Removes the remote file {@code path} (no error when it is not there). */
    public void delete(String path) throws IOException {
        run("rm -f -- " + quote(path), 4096);
    }

    /** Removes the remote directory {@code path} if it is empty (no error when it is not there or not empty). */
    public void deleteEmptyDirectory(String path) throws IOException {
        run("rmdir -- " + quote(path) + " 2>/dev/null; true", 4096);
    }

    private byte[] run(String command, int maxBytes) throws IOException {
        try (Tunnel tunnel = Tunnel.to(target, RemoteEndpoint.command(command)).options(options).inProcessOnly()
                .verifyRemote(false).open();
                TunnelConnection c = tunnel.openConnection()) {
            c.shutdownOutput();
            InputStream in = c.inputStream();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            for (int n; (n = in.read(buffer)) > 0;) {
                if (out.size() + n > maxBytes) {
                    throw new IOException("the remote file is larger than " + maxBytes + " bytes (" + command + ")");
                }
                out.write(buffer, 0, n);
            }
            return out.toByteArray();
        }
    }

    /** {@code path} in single quotes for a POSIX shell. */
    static String quote(String path) {
        if (path.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("a path cannot contain NUL");
        }
        return "'" + path.replace("'", "'\\''") + "'";
    }
}
