package io.github.sshcontainer.tunnel.internal;

import java.io.IOException;
import java.io.UncheckedIOException;

import org.apache.sshd.common.FactoryManager;
import org.apache.sshd.common.io.AbstractIoServiceFactoryFactory;
import org.apache.sshd.common.io.IoAcceptor;
import org.apache.sshd.common.io.IoConnector;
import org.apache.sshd.common.io.IoHandler;
import org.apache.sshd.common.io.IoServiceEventListener;
import org.apache.sshd.common.io.IoServiceFactory;
import org.apache.sshd.common.io.nio2.Nio2ServiceFactoryFactory;
import org.apache.sshd.common.util.closeable.AbstractCloseable;

/**
 * The client transport for MINA SSHD: one selector thread ({@code ssh-container-io-N}) per SSH client instead of
 * NIO2's completion handlers. The default; the system property {@code sshcontainer.transport=nio2} goes back to
 * MINA's NIO2 transport (with {@link QuickAckIo}'s prompt ACKs).
 *
 * <p>Why: MINA's NIO2 group is built with {@code AsynchronousChannelGroup.withThreadPool}: one JDK thread waits on
 * epoll and hands every completed read and every completed write to a pool thread, so each SSH packet costs thread
 * wake-ups (15-20 µs of CPU each on a small VM). Here the selector thread reads and calls MINA's handler itself, and
 * a write goes straight to the non-blocking socket on the caller's thread, completing at once when the socket took
 * it (see {@link SelectorSession}). The same thread serves the local sockets of the client's tunnels
 * ({@link PumpLoop}). The price: every connection of the client, and every local socket forwarded over it, is served
 * by that one thread.
 *
 * <p>Only outgoing connections use the selector. Listening sockets (MINA's local port forwards, which ProxyJump
 * uses) come from MINA's NIO2 transport, created on first use.
 */
public final class SelectorTransport extends AbstractIoServiceFactoryFactory {
    /** The system property that selects a transport. */
    public static final String PROPERTY = "sshcontainer.transport";
    /** Its value for this transport (the default). */
    public static final String SELECTOR = "selector";
    /** Its value for MINA's NIO2 transport. */
    public static final String NIO2 = "nio2";

    /** A transport; MINA calls {@link #create} once per client ({@code SshClient.start()}). */
    public SelectorTransport() {
        super(null);
    }

    /**
     * Whether to use this transport: unless the system property says {@value #NIO2}.
     *
     * @throws IllegalArgumentException the property names neither transport
     */
    public static boolean requested() {
        String value = System.getProperty(PROPERTY, SELECTOR).trim();
        if (value.isEmpty() || value.equalsIgnoreCase(SELECTOR)) {
            return true;
        }
        if (value.equalsIgnoreCase(NIO2)) {
            return false;
        }
        throw new IllegalArgumentException("system property " + PROPERTY + "=" + value + " names no transport: use "
                + SELECTOR + " (the default) or " + NIO2);
    }

    @Override
    public IoServiceFactory create(FactoryManager manager) {
        return new Factory(manager, new Nio2ServiceFactoryFactory(getExecutorServiceFactory()));
    }

    /** One client's transport: its selector loop, its connectors, and NIO2 for acceptors. */
    private static final class Factory extends AbstractCloseable implements IoServiceFactory {
        private final FactoryManager manager;
        private final Nio2ServiceFactoryFactory acceptorTransport;
        private final SelectorLoop loop;
        private volatile IoServiceEventListener eventListener;
        /** Guarded by this. */
        private IoServiceFactory acceptors;

        Factory(FactoryManager manager, Nio2ServiceFactoryFactory acceptorTransport) {
            this.manager = manager;
            this.acceptorTransport = acceptorTransport;
            this.eventListener = manager.getIoServiceEventListener();
            try {
                this.loop = new SelectorLoop();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open a selector for the SSH client's I/O thread", e);
            }
        }

        @Override
        public IoConnector createConnector(IoHandler handler) {
            SelectorConnector connector = new SelectorConnector(manager, handler, loop);
            connector.setIoServiceEventListener(eventListener);
            return connector;
        }

        @Override
        public synchronized IoAcceptor createAcceptor(IoHandler handler) {
            if (isClosing()) {
                throw new IllegalStateException("the SSH client's transport is closed: it cannot listen any more");
            }
            if (acceptors == null) {
                acceptors = acceptorTransport.create(manager);
                acceptors.setIoServiceEventListener(eventListener);
            }
            return acceptors.createAcceptor(handler);
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
        protected void doCloseImmediately() {
            loop.close();
            IoServiceFactory nio2;
            synchronized (this) {
                nio2 = acceptors;
            }
            if (nio2 != null) {
                nio2.close(true);
            }
            super.doCloseImmediately();
        }

        @Override
        public String toString() {
            return "SelectorTransport[" + loop.threadName() + "]";
        }
    }
}
