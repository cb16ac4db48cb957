package io.github.sshcontainer.tunnel.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

import io.github.sshcontainer.tunnel.RemoteEndpoint;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.channel.Channel;
import org.apache.sshd.common.util.buffer.Buffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code session} channel running one {@link RemoteEndpoint.Command} with an {@code exec} request, with the same
 * contract as a {@link ForwardingChannel}: the command's stdin is {@link #getAsyncIn()}, its stdout goes to the
 * {@link ChannelEvents}, EOF passes both ways.
 *
 * <p>Stderr is collected (at most {@link #STDERR_LIMIT} bytes, the window released at once) and logged at debug when
 * the channel closes. A command that exits non-zero (or by a signal) before writing anything to stdout is a failure,
 * not an empty answer: the remote EOF is held back until the exit status is known, and then the channel ends
 * uncleanly with {@link #failure()} quoting the status and stderr.
 */
public final class ExecChannel extends ForwardingChannel {
    private static final Logger LOG = LoggerFactory.getLogger(ExecChannel.class);
    /** How much stderr is kept for the log and the error message. */
    static final int STDERR_LIMIT = 4096;

    private final String command;
    private final Object lock = new Object();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private boolean sawOutput;
    private boolean eofHeld;
    private boolean exitHandled;
    private volatile IOException failure;
    /** How the command ended when it failed before any output; the message is built late, stderr may trail. */
    private volatile String failedExit;

    public ExecChannel(RemoteEndpoint.Command endpoint) {
        super(endpoint);
        this.command = endpoint.command();
        addCloseFutureListener(f -> logStderr());
    }

    /** Sends the exec request right after the server confirmed the open, before any data can be written. */
    @Override
    protected void doOpen() throws IOException {
        byte[] bytes = command.getBytes(StandardCharsets.UTF_8);
        Buffer buffer = getSession().createBuffer(SshConstants.SSH_MSG_CHANNEL_REQUEST, bytes.length + 64);
        buffer.putUInt(getRecipient());
        buffer.putString(Channel.CHANNEL_EXEC);
        buffer.putBoolean(true);
        buffer.putBytes(bytes);
        addPendingRequest(Channel.CHANNEL_EXEC, true);
        writePacket(buffer);
        super.doOpen();
    }

    @Override
    public void handleSuccess() throws IOException {
        removePendingRequest(Channel.CHANNEL_EXEC);
    }

    @Override
    public void handleFailure() throws IOException {
        if (removePendingRequest(Channel.CHANNEL_EXEC) != null) {
            failure = new IOException("the SSH server refused to run " + endpoint()
                    + " (exec request denied, e.g. by a ForceCommand or a restricted key)");
            LOG.warn("{}", failure.getMessage());
            close(true);
        }
    }

    @Override
    protected void doWriteData(byte[] data, int off, long len) throws IOException {
        synchronized (lock) {
            sawOutput |= len > 0;
        }
        super.doWriteData(data, off, len);
    }

    @Override
    protected void doWriteExtendedData(byte[] data, int off, long len) throws IOException {
        synchronized (stderr) {
            int keep = (int) Math.min(len, STDERR_LIMIT - stderr.size());
            if (keep > 0) {
                stderr.write(data, off, keep);
            }
        }
        // nobody reads stderr later: reopen the window now (we are on MINA's thread)
        getLocalWindow().release(len);
    }

    @Override
    protected void remoteEof() {
        synchronized (lock) {
            if (failedExit != null) {
                // exited non-zero (status came before the EOF): the channel ends as a failure, not an empty answer
                return;
            }
            if (!sawOutput && !exitHandled) {
                // no output yet: an immediate non-zero exit is an error, not an empty answer; wait for the status
                eofHeld = true;
                return;
            }
        }
        super.remoteEof();
    }

    @Override
    protected void notifyStateChanged(String hint) {
        super.notifyStateChanged(hint);
        if (getExitStatus() != null || getExitSignal() != null) {
            exited();
        }
    }

    private void exited() {
        boolean release;
        synchronized (lock) {
            if (exitHandled) {
                return;
            }
            exitHandled = true;
            Integer status = getExitStatus();
            boolean ok = status != null && status == 0;
            if (!ok && !sawOutput) {
                failedExit = status != null ? "exited with status " + status : "was killed by signal " + getExitSignal();
                eofHeld = false;
                release = false;
            } else {
                release = eofHeld;
                eofHeld = false;
            }
        }
        if (release) {
            super.remoteEof();
        }
    }

    @Override
    protected boolean endedCleanly() {
        synchronized (lock) {
            if (eofHeld && failure() == null) {
                // closed without an exit status: pass the EOF on after all
                eofHeld = false;
                super.remoteEof();
            }
        }
        return failure() == null && isEofSignalled();
    }

    @Override
    public IOException failure() {
        IOException denied = failure;
        if (denied != null) {
            return denied;
        }
        String exit = failedExit;
        return exit == null ? null
                : new IOException("remote command " + endpoint() + " " + exit + " before any output" + stderrSuffix());
    }

    /** The stderr collected so far (at most {@link #STDERR_LIMIT} bytes), as text. */
    public String stderr() {
        synchronized (stderr) {
            return stderr.toString(StandardCharsets.UTF_8).strip();
        }
    }

    private String stderrSuffix() {
        String text = stderr();
        return text.isEmpty() ? " (no stderr)" : ": " + text;
    }

    private void logStderr() {
        IOException f = failure();
        if (f != null && events() instanceof SocketLink) {
            LOG.warn("{}", f.getMessage());
        }
        String text = stderr();
        if (!text.isEmpty()) {
            LOG.debug("stderr of {} (exit status {}): {}", endpoint(), getExitStatus(), text);
        }
    }
}
