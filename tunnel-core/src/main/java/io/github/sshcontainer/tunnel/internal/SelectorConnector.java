package io.github.sshcontainer.tunnel.internal;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.Closeable;
import org.apache.sshd.common.PropertyResolver;
import org.apache.sshd.common.future.CancelFuture;
import org.apache.sshd.common.io.DefaultIoConnectFuture;
import org.apache.sshd.common.io.IoConnectFuture;
import org.apache.sshd.common.io.IoConnector;
import org.apache.sshd.common.io.IoHandler;
import org.apache.sshd.common.io.IoServiceEventListener;
import org.apache.sshd.common.io.IoSession;
import org.apache.sshd.common.io.nio2.Nio2Service;
import org.apache.sshd.common.util.closeable.AbstractInnerCloseable;
import org.apache.sshd.core.CoreModuleProperties;

/**
 * Opens the TCP connections of a {@link SelectorTransport}: a non-blocking connect finished on the loop thread
 * (bounded by {@link CoreModuleProperties#IO_CONNECT_TIMEOUT}), socket options from the client's properties like
 * MINA's NIO2 connector, and the {@link IoServiceEventListener} hooks that connector calls.
 */
final class SelectorConnector extends AbstractInnerCloseable implements IoConnector {
    private final PropertyResolver properties;
    private final IoHandler handler;
    private final SelectorLoop loop;
    private final Map<Long, IoSession> sessions = new ConcurrentHashMap<>();
    private volatile IoServiceEventListener eventListener;
    /** Guarded by this: set when the connector closes; later sessions are refused. */
    private boolean noMoreSessions;

    SelectorConnector(PropertyResolver properties, IoHandler handler, SelectorLoop loop) {
        this.properties = properties;
        this.handler = handler;
        this.loop = loop;
    }

    @Override
    public IoServiceEventListener getIoServiceEventListener() {
        return eventListener;
    }

    @Override
    public void setIoServiceEventListener(IoServiceEventListener listener) {
        this.eventListener = listener;
    }

    @Override
    public Map<Long, IoSession> getManagedSessions() {
        return Collections.unmodifiableMap(sessions);
    }

    @Override
    public IoConnectFuture connect(SocketAddress address, AttributeRepository context, SocketAddress localAddress) {
        log.debug("Connecting to {}", address);
        IoConnectFuture future = new DefaultIoConnectFuture(address, null);
        if (isClosing()) {
            future.setException(new IOException("cannot connect to " + address + ": the SSH client is stopping"));
            return future;
        }
        SocketChannel channel = null;
        try {
            channel = address instanceof UnixDomainSocketAddress ? SocketChannel.open(StandardProtocolFamily.UNIX)
                    : SocketChannel.open();
            channel.configureBlocking(false);
            setSocketOptions(channel);
            if (localAddress != null) {
                channel.bind(localAddress);
            }
            boolean connected = channel.connect(address);
            Connecting attempt = new Connecting(channel, address, context, future);
            if (!loop.execute(() -> attempt.register(connected))) {
                throw new IOException("the SSH I/O thread has ended (the client is stopping)");
            }
            future.addListener(f -> {
                if (f.isCanceled()) {
                    loop.execute(attempt::cancelled);
                }
            });
        } catch (Throwable e) {
            log.debug("connect({}) failed: {}", address, e.toString());
            closeQuietly(channel);
            future.setException(e);
        }
        return future;
    }

    /** SO_KEEPALIVE, SO_LINGER, buffer sizes, SO_REUSEADDR and TCP_NODELAY from the client's properties, like NIO2. */
    private void setSocketOptions(SocketChannel channel) {
        for (Map.Entry<org.apache.sshd.common.Property<?>, ? extends Map.Entry<SocketOption<?>, Object>> e
                : Nio2Service.CONFIGURABLE_OPTIONS.entrySet()) {
            setOption(channel, e.getKey().getName(), e.getValue().getKey(), e.getValue().getValue());
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void setOption(SocketChannel channel, String property, SocketOption option, Object defaultValue) {
        String text = properties.getString(property);
        Object value = defaultValue;
        if (text != null && !text.isEmpty()) {
            value = option.type() == Integer.class ? (Object) Integer.valueOf(text) : (Object) Boolean.valueOf(text);
        }
        if (value == null || !channel.supportedOptions().contains(option)) {
            return;
        }
        try {
            channel.setOption(option, value);
        } catch (IOException | RuntimeException e) {
            log.warn("setOption({}): cannot set {} to {} ({}): {}", channel, option, value, property, e.toString());
        }
    }

    private Long connectTimeoutMillis() {
        Duration d = CoreModuleProperties.IO_CONNECT_TIMEOUT.get(properties).orElse(null);
        if (d == null || d.isZero() || d.isNegative()) {
            return null;
        }
        try {
            return d.toMillis();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /** One connection being established; its methods run on the loop thread. */
    private final class Connecting implements SelectorLoop.Handler {
        private final SocketChannel channel;
        private final SocketAddress address;
        private final AttributeRepository context;
        private final IoConnectFuture future;
        private SelectionKey key;
        private SelectorLoop.Timer timeout;
        private boolean finished;

        Connecting(SocketChannel channel, SocketAddress address, AttributeRepository context, IoConnectFuture future) {
            this.channel = channel;
            this.address = address;
            this.context = context;
            this.future = future;
        }

        void register(boolean connected) {
            if (finished) {
                return;
            }
            try {
                key = loop.register(channel, connected ? 0 : SelectionKey.OP_CONNECT, this);
            } catch (IOException | RuntimeException e) {
                fail(e);
                return;
            }
            if (connected) {
                established();
                return;
            }
            Long millis = connectTimeoutMillis();
            if (millis != null) {
                timeout = loop.schedule(millis, TimeUnit.MILLISECONDS, () -> timedOut(millis));
            }
        }

        @Override
        public void ready(SelectionKey k) {
            if (finished || !k.isConnectable()) {
                return;
            }
            try {
                if (!channel.finishConnect()) {
                    return;
                }
            } catch (IOException | RuntimeException e) {
                fail(e);
                return;
            }
            k.interestOps(0);
            established();
        }

        @Override
        public void loopClosed() {
            fail(new IOException("cannot connect to " + address + ": the SSH client was stopped"));
        }

        void timedOut(long millis) {
            ConnectException e = new ConnectException("I/O connection time-out of " + millis + "ms expired");
            e.initCause(new SocketTimeoutException("connect to " + address + " timed out after " + millis + " ms"));
            fail(e);
        }

        void cancelled() {
            if (finished) {
                return;
            }
            finish();
            closeQuietly(channel);
            CancelFuture cancellation = future.getCancellation();
            if (cancellation != null) {
                cancellation.setCanceled();
            }
        }

        private void finish() {
            finished = true;
            if (timeout != null) {
                timeout.cancel();
            }
        }

        private void fail(Throwable e) {
            if (finished) {
                return;
            }
            finish();
            log.debug("connect({}) failed: {}", address, e.toString());
            closeQuietly(channel);
            future.setException(e);
        }

        /** Like NIO2's connection completion: listener, session, handler, future; then reading starts. */
        private void established() {
            finish();
            IoServiceEventListener listener = eventListener;
            SelectorSession session = null;
            try {
                if (listener != null) {
                    listener.connectionEstablished(SelectorConnector.this, channel.getLocalAddress(), context,
                            channel.getRemoteAddress());
                }
                session = new SelectorSession(SelectorConnector.this, handler, channel, loop);
                if (context != null) {
                    session.setAttribute(AttributeRepository.class, context);
                }
                handler.sessionCreated(session);
                if (map(session)) {
                    future.setSession(session);
                }
                if (future.getSession() != session) {
                    // cancelled, or the connector is closing
                    session.close(true);
                    CancelFuture cancellation = future.getCancellation();
                    if (cancellation != null) {
                        cancellation.setCanceled();
                    } else {
                        future.setException(new IOException("connection to " + address + " dropped: the SSH client"
                                + " is stopping"));
                    }
                    return;
                }
                if (session.isClosed()) {
                    sessionClosed(session); // closed while being created: mapped after it was unmapped
                    return;
                }
                session.start(key);
            } catch (Throwable e) {
                log.debug("connect({}): starting the session failed: {}", address, e.toString());
                if (listener != null) {
                    try {
                        listener.abortEstablishedConnection(SelectorConnector.this, channel.getLocalAddress(), context,
                                channel.getRemoteAddress(), e);
                    } catch (Exception ignored) {
                        log.debug("connect({}): abortEstablishedConnection failed: {}", address, ignored.toString());
                    }
                }
                if (session != null) {
                    session.close(true);
                } else {
                    closeQuietly(channel);
                }
                future.setException(e);
            }
        }
    }

    private synchronized boolean map(SelectorSession session) {
        if (noMoreSessions) {
            return false;
        }
        sessions.put(session.getId(), session);
        return true;
    }

    void sessionClosed(SelectorSession session) {
        sessions.remove(session.getId());
    }

    private Collection<IoSession> snapshot() {
        synchronized (this) {
            noMoreSessions = true;
        }
        return sessions.values();
    }

    @Override
    protected Closeable getInnerCloseable() {
        return builder().parallel(toString(), snapshot()).build();
    }

    private void closeQuietly(SocketChannel channel) {
        if (channel == null) {
            return;
        }
        try {
            channel.close();
        } catch (IOException e) {
            log.debug("closing {} failed: {}", channel, e.toString());
        }
        loop.wakeup();
    }
}
