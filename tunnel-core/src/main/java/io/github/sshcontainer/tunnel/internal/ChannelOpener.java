package io.github.sshcontainer.tunnel.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import io.github.sshcontainer.tunnel.RemoteEndpoint;
import io.github.sshcontainer.tunnel.RemoteUnavailableException;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.future.OpenFuture;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.channel.exception.SshChannelOpenException;
import org.apache.sshd.common.session.ConnectionService;
import org.apache.sshd.common.util.threads.ThreadUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens {@link ForwardingChannel}s to one endpoint over the session a {@link SessionKeeper} keeps, without blocking
 * the caller, and turns open failures into {@link RemoteUnavailableException}s that say what is wrong.
 */
public final class ChannelOpener {
    private static final Logger LOG = LoggerFactory.getLogger(ChannelOpener.class);
    /**
     * Where a refused open is described (which may ask the server and wait; rare): a daemon thread of its own, which
     * ends with it — not the common pool, which belongs to the application and on a two-CPU machine runs one task at
     * a time in newer JDKs (seen on 25; JDK 17 starts a thread per task there).
     */
    private static final Executor DESCRIBE = task -> {
        Thread t = new Thread(task, "ssh-container-describe");
        t.setDaemon(true);
        t.start();
    };

    /** How often one connection's session channel is retried on another SSH session after a refusal. */
    static final int MAX_SESSION_ATTEMPTS = 6;

    private final SessionKeeper sessions;
    private final SessionPool pool;
    private final RemoteEndpoint endpoint;
    private final Duration openTimeout;

    public ChannelOpener(SessionKeeper sessions, RemoteEndpoint endpoint, Duration openTimeout) {
        this(sessions, null, endpoint, openTimeout);
    }

    /**
     * @param pool for {@link RemoteEndpoint.Command} endpoints: where session channels are opened, beyond one SSH
     *        connection's {@code MaxSessions}; {@code null} for the others
     */
    public ChannelOpener(SessionKeeper sessions, SessionPool pool, RemoteEndpoint endpoint, Duration openTimeout) {
        this.sessions = sessions;
        this.pool = pool;
        this.endpoint = endpoint;
        this.openTimeout = openTimeout;
        if (endpoint instanceof RemoteEndpoint.Command && pool == null) {
            throw new IllegalArgumentException("a command endpoint needs a session pool");
        }
    }

    public RemoteEndpoint endpoint() {
        return endpoint;
    }

    /**
     * Opens a channel whose inbound data goes to {@code events}; completes when the server confirms the open.
     *
     * @param diagnose on failure, ask the server (one exec) why a unix socket could not be opened — for opens a
     *        person waits on, not for every local connection
     */
    public CompletableFuture<ForwardingChannel> open(ChannelEvents events, boolean diagnose) {
        if (pool != null) {
            return openCommand(events, diagnose, 1);
        }
        return sessions.session().thenCompose(s -> openOn(s, null, events, diagnose, true));
    }

    /** A session channel on a pooled session; a refusal on a busy session (MaxSessions) is retried on another. */
    private CompletableFuture<ForwardingChannel> openCommand(ChannelEvents events, boolean diagnose, int attempt) {
        return pool.acquire().thenCompose(lease -> openOn(lease.session(), lease, events, diagnose, true)
                .exceptionallyCompose(e -> {
                    Throwable cause = SessionKeeper.cause(e);
                    if (cause instanceof Refused && attempt < MAX_SESSION_ATTEMPTS) {
                        return openCommand(events, diagnose, attempt + 1);
                    }
                    return CompletableFuture.failedFuture(cause instanceof Refused ? cause.getCause() : cause);
                }));
    }

    private CompletableFuture<ForwardingChannel> openOn(ClientSession session, SessionPool.Lease lease,
            ChannelEvents events, boolean diagnose, boolean retry) {
        ForwardingChannel channel = endpoint instanceof RemoteEndpoint.Command
                ? new ExecChannel((RemoteEndpoint.Command) endpoint) : new ForwardingChannel(endpoint);
        channel.setEvents(events);
        if (lease != null) {
            channel.addCloseFutureListener(f -> lease.release());
        }
        CompletableFuture<ForwardingChannel> result = new CompletableFuture<>();
        OpenFuture opening;
        try {
            ConnectionService service = session.getService(ConnectionService.class);
            service.registerChannel(channel);
            opening = ThreadUtils.runAsInternal(channel, ForwardingChannel::open);
        } catch (IOException | RuntimeException e) {
            if (lease != null) {
                channel.detach();
            }
            channel.close(true);
            if (lease != null) {
                lease.release();
            }
            if (retry && (!session.isOpen() || session.isClosing())) {
                sessions.invalidate(session);
                if (lease != null) {
                    return CompletableFuture.failedFuture(new Refused(e));
                }
                return sessions.session().thenCompose(s -> openOn(s, null, events, diagnose, false));
            }
            return CompletableFuture.failedFuture(new IOException("cannot open SSH channel to " + endpoint + ": " + e, e));
        }
        opening.addListener(f -> {
            if (f.isOpened()) {
                result.complete(channel);
            } else {
                Throwable failure = f.getException();
                // a session channel refused while others are open on that session: the server's MaxSessions
                if (lease != null && find(failure) != null && lease.full()) {
                    channel.detach();
                    channel.close(true);
                    result.completeExceptionally(new Refused(failure));
                    return;
                }
                channel.close(true);
                // describe() may ask the server, which needs this (MINA I/O) thread free: run it elsewhere
                CompletableFuture.runAsync(() -> result.completeExceptionally(describe(session, failure, diagnose)),
                        DESCRIBE);
            }
        });
        return result.orTimeout(openTimeout.toMillis(), TimeUnit.MILLISECONDS).whenComplete((c, e) -> {
            if (e != null && !channel.isClosing()) {
                channel.close(true);
            }
        });
    }

    /** A session channel refused on a session that was full: retry elsewhere. */
    private static final class Refused extends IOException {
        private static final long serialVersionUID = 1L;

        Refused(Throwable cause) {
            super(cause);
        }
    }

    /** Turns a channel-open failure into a message a person can act on. */
    private IOException describe(ClientSession session, Throwable failure, boolean diagnose) {
        SshChannelOpenException open = find(failure);
        if (open == null) {
            return failure instanceof IOException ? (IOException) failure
                    : new IOException("cannot open SSH channel to " + endpoint + ": " + failure, failure);
        }
        int reason = open.getReasonCode();
        String serverText = open.getMessage();
        String host = describe(session.getConnectAddress());
        if (endpoint instanceof RemoteEndpoint.Command) {
            return new RemoteUnavailableException("the SSH server on " + host + " would not open a session channel to"
                    + " run " + endpoint + ": \"" + serverText + "\" (reason " + reason + " " + reasonName(reason)
                    + "; sshd's MaxSessions, or sessions are disabled for this user)", reason,
                    RemoteUnavailableException.Reason.COMMAND_FAILED, failure);
        }
        String what = endpoint instanceof RemoteEndpoint.UnixSocket ? "remote socket " + endpoint : "remote address " + endpoint;
        String message;
        RemoteUnavailableException.Reason kind = RemoteUnavailableException.Reason.UNKNOWN;
        if (reason == 1) {
            kind = RemoteUnavailableException.Reason.FORWARDING_REFUSED;
            message = "the SSH server refuses to forward to " + what + " (administratively prohibited: \"" + serverText
                    + "\"); sshd_config has "
                    + (endpoint instanceof RemoteEndpoint.UnixSocket ? "AllowStreamLocalForwarding" : "AllowTcpForwarding")
                    + " no, or a permitopen/PermitListen rule denies it";
        } else if (reason == 2 && endpoint instanceof RemoteEndpoint.UnixSocket) {
            Probe probe = diagnose ? probeUnixSocket(session)
                    : new Probe(RemoteUnavailableException.Reason.UNKNOWN,
                            "missing, not accessible, not accepting, or forwarding is disabled");
            kind = probe.reason;
            message = what + " is not available on " + host + ": " + probe.text
                    + " (server said: \"" + serverText + "\", reason 2 connect failed)";
        } else {
            message = "the SSH server could not open " + what + ": \"" + serverText + "\" (reason " + reason + " "
                    + reasonName(reason) + ")";
        }
        return new RemoteUnavailableException(message, reason, kind, failure);
    }

    /** What the remote check found. */
    private static final class Probe {
        final RemoteUnavailableException.Reason reason;
        final String text;

        Probe(RemoteUnavailableException.Reason reason, String text) {
            this.reason = reason;
            this.text = text;
        }
    }

    private static String describe(java.net.SocketAddress address) {
        if (address instanceof java.net.InetSocketAddress) {
            java.net.InetSocketAddress a = (java.net.InetSocketAddress) address;
            String h = a.getHostString();
            return (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + a.getPort();
        }
        return address == null ? "the server" : address.toString();
    }

    private static String reasonName(int reason) {
        switch (reason) {
            case 1:
                return "administratively prohibited";
            case 2:
                return "connect failed";
            case 3:
                return "unknown channel type";
            case 4:
                return "resource shortage";
            default:
                return "unknown";
        }
    }

    /**
     * Asks the remote shell why a unix socket cannot be opened. OpenSSH answers a missing socket and a forbidden one
     * alike; the user needs to know which. Best effort: servers without exec get a generic text.
     */
    private Probe probeUnixSocket(ClientSession session) {
        String path = ((RemoteEndpoint.UnixSocket) endpoint).path();
        String quoted = "'" + path.replace("'", "'\\''") + "'";
        // a path under a directory the user may not enter does not "exist" for test -e: look for that directory
        String script = "p=" + quoted + "; if [ ! -e \"$p\" ]; then d=\"$p\"; while [ \"$d\" != / ] && [ \"$d\" != . ];"
                + " do d=$(dirname \"$d\"); if [ -e \"$d\" ]; then if [ -d \"$d\" ] && [ ! -x \"$d\" ];"
                + " then echo deniedir $(id -un) \"$d\"; exit 0; fi; break; fi; done; echo missing;"
                + " elif [ ! -S \"$p\" ]; then echo notsocket;"
                + " elif [ ! -r \"$p\" ] || [ ! -w \"$p\" ]; then echo denied $(id -un) $(stat -L -c '%G %U %A' \"$p\" 2>/dev/null);"
                + " else echo ok; fi";
        try (ChannelExec exec = session.createExecChannel(script)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            exec.setOut(out);
            exec.setErr(new ByteArrayOutputStream());
            exec.open().verify(5, TimeUnit.SECONDS);
            exec.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), TimeUnit.SECONDS.toMillis(5));
            String answer = out.toString(StandardCharsets.UTF_8).trim();
            if (answer.equals("missing")) {
                return new Probe(RemoteUnavailableException.Reason.MISSING, "it does not exist (is the daemon running? is this the right path?)");
            } else if (answer.equals("notsocket")) {
                return new Probe(RemoteUnavailableException.Reason.NOT_A_SOCKET, "it exists but is not a socket");
            } else if (answer.startsWith("deniedir ")) {
                String[] parts = answer.split(" ", 3);
                String dir = parts.length > 2 ? parts[2] : "?";
                return new Probe(RemoteUnavailableException.Reason.PERMISSION_DENIED, "permission denied for user "
                        + parts[1] + ": it may not enter directory " + dir + " (connect as a user who may, or let the"
                        + " user's group into that directory)");
            } else if (answer.startsWith("denied")) {
                String[] f = answer.substring("denied".length()).trim().split("\\s+");
                String user = f[0];
                if (f.length >= 4) {
                    String group = f[1];
                    return new Probe(RemoteUnavailableException.Reason.PERMISSION_DENIED, "permission denied for user "
                            + user + " (socket " + f[3] + " " + f[2] + ":" + group + "; add the user to group " + group
                            + ": sudo usermod -aG " + group + " " + user + ", then connect again; or connect as a user"
                            + " who may use it)");
                }
                return new Probe(RemoteUnavailableException.Reason.PERMISSION_DENIED, "permission denied for user " + user
                        + " (add the user to the socket's group, e.g. docker, or connect as a user who may use it)");
            } else if (answer.equals("ok")) {
                return new Probe(RemoteUnavailableException.Reason.FORWARDING_REFUSED,
                        "it exists and this user may use it, so either sshd forbids forwarding to unix sockets"
                        + " (AllowStreamLocalForwarding no, DisableForwarding yes, or a 'restrict' option in"
                        + " authorized_keys) or the daemon behind it is not accepting connections");
            }
            return new Probe(RemoteUnavailableException.Reason.UNKNOWN, "the server gave no details");
        } catch (IOException | RuntimeException e) {
            LOG.debug("socket probe failed: {}", e.toString());
            return new Probe(RemoteUnavailableException.Reason.UNKNOWN, "the server gave no details (could not run a check: " + e.getMessage() + ")");
        }
    }

    private static SshChannelOpenException find(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof SshChannelOpenException) {
                return (SshChannelOpenException) c;
            }
        }
        return null;
    }
}
