package io.github.sshcontainer.tunnel.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.concurrent.CompletableFuture;
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

    private final SessionKeeper sessions;
    private final RemoteEndpoint endpoint;
    private final Duration openTimeout;

    public ChannelOpener(SessionKeeper sessions, RemoteEndpoint endpoint, Duration openTimeout) {
        this.sessions = sessions;
        this.endpoint = endpoint;
        this.openTimeout = openTimeout;
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
        return sessions.session().thenCompose(s -> openOn(s, events, diagnose, true));
    }

    private CompletableFuture<ForwardingChannel> openOn(ClientSession session, ChannelEvents events, boolean diagnose,
            boolean retry) {
        ForwardingChannel channel = new ForwardingChannel(endpoint);
        channel.setEvents(events);
        CompletableFuture<ForwardingChannel> result = new CompletableFuture<>();
        OpenFuture opening;
        try {
            ConnectionService service = session.getService(ConnectionService.class);
            service.registerChannel(channel);
            opening = ThreadUtils.runAsInternal(channel, ForwardingChannel::open);
        } catch (IOException | RuntimeException e) {
            channel.close(true);
            if (retry && (!session.isOpen() || session.isClosing())) {
                sessions.invalidate(session);
                return sessions.session().thenCompose(s -> openOn(s, events, diagnose, false));
            }
            return CompletableFuture.failedFuture(new IOException("cannot open SSH channel to " + endpoint + ": " + e, e));
        }
        opening.addListener(f -> {
            if (f.isOpened()) {
                result.complete(channel);
            } else {
                channel.close(true);
                // describe() may ask the server, which needs this (MINA I/O) thread free: run it elsewhere
                Throwable failure = f.getException();
                CompletableFuture.runAsync(() -> result.completeExceptionally(describe(session, failure, diagnose)));
            }
        });
        return result.orTimeout(openTimeout.toMillis(), TimeUnit.MILLISECONDS).whenComplete((c, e) -> {
            if (e != null && !channel.isClosing()) {
                channel.close(true);
            }
        });
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
        String what = endpoint instanceof RemoteEndpoint.UnixSocket ? "remote socket " + endpoint : "remote address " + endpoint;
        String message;
        if (reason == 1) {
            message = "the SSH server refuses to forward to " + what + " (administratively prohibited: \"" + serverText
                    + "\"); sshd_config has "
                    + (endpoint instanceof RemoteEndpoint.UnixSocket ? "AllowStreamLocalForwarding" : "AllowTcpForwarding")
                    + " no, or a permitopen/PermitListen rule denies it";
        } else if (reason == 2 && endpoint instanceof RemoteEndpoint.UnixSocket) {
            message = what + " is not available on " + host + ": "
                    + (diagnose ? probeUnixSocket(session) : "missing, not accessible, not accepting, or forwarding is disabled")
                    + " (server said: \"" + serverText + "\", reason 2 connect failed)";
        } else {
            message = "the SSH server could not open " + what + ": \"" + serverText + "\" (reason " + reason + " "
                    + reasonName(reason) + ")";
        }
        return new RemoteUnavailableException(message, reason, failure);
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
    private String probeUnixSocket(ClientSession session) {
        String path = ((RemoteEndpoint.UnixSocket) endpoint).path();
        String quoted = "'" + path.replace("'", "'\\''") + "'";
        String script = "p=" + quoted + "; if [ ! -e \"$p\" ]; then echo missing; elif [ ! -S \"$p\" ]; then echo notsocket;"
                + " elif [ ! -r \"$p\" ] || [ ! -w \"$p\" ]; then echo denied $(id -un); else echo ok; fi";
        try (ChannelExec exec = session.createExecChannel(script)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            exec.setOut(out);
            exec.setErr(new ByteArrayOutputStream());
            exec.open().verify(5, TimeUnit.SECONDS);
            exec.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), TimeUnit.SECONDS.toMillis(5));
            String answer = out.toString(StandardCharsets.UTF_8).trim();
            if (answer.equals("missing")) {
                return "it does not exist (is the daemon running? is this the right path?)";
            } else if (answer.equals("notsocket")) {
                return "it exists but is not a socket";
            } else if (answer.startsWith("denied")) {
                String user = answer.substring("denied".length()).trim();
                return "permission denied for user " + user
                        + " (add the user to the socket's group, e.g. docker, or connect as a user who may use it)";
            } else if (answer.equals("ok")) {
                return "it exists and this user may use it, so either sshd forbids forwarding to unix sockets"
                        + " (AllowStreamLocalForwarding no, DisableForwarding yes, or a 'restrict' option in"
                        + " authorized_keys) or the daemon behind it is not accepting connections";
            }
            return "the server gave no details";
        } catch (IOException | RuntimeException e) {
            LOG.debug("socket probe failed: {}", e.toString());
            return "the server gave no details (could not run a check: " + e.getMessage() + ")";
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
