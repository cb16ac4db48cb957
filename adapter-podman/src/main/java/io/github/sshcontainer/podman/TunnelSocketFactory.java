package io.github.sshcontainer.podman;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.time.Duration;
import java.util.Objects;

import javax.net.SocketFactory;

import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.TunnelConnection;

/**
 * A {@link SocketFactory} whose sockets are in-process tunnel connections ({@link Tunnel#openConnection()}): one SSH
 * channel per socket, no local socket file and no port. The address a socket is "connected" to is ignored; every
 * socket reaches the tunnel's remote endpoint. For HTTP clients such as OkHttp
 * ({@code OkHttpClient.Builder.socketFactory(...)}), which create unconnected sockets and connect them.
 *
 * <p>{@link Socket#setSoTimeout(int)} is honoured (a read that waits longer fails with
 * {@link java.net.SocketTimeoutException} and the socket stays usable); other socket options are accepted and
 * ignored.
 */
public final class TunnelSocketFactory extends SocketFactory {
    private final Tunnel tunnel;

    public TunnelSocketFactory(Tunnel tunnel) {
        this.tunnel = Objects.requireNonNull(tunnel, "tunnel");
    }

    /** An unconnected socket; {@code connect} opens its tunnel connection. */
    @Override
    public Socket createSocket() throws IOException {
        return new TunnelSocket(tunnel);
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return connected(InetSocketAddress.createUnresolved(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return createSocket(host, port);
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return connected(new InetSocketAddress(host, port));
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
            throws IOException {
        return createSocket(address, port);
    }

    private Socket connected(SocketAddress address) throws IOException {
        Socket s = createSocket();
        s.connect(address);
        return s;
    }

    /** A {@link Socket} over one {@link TunnelConnection}. */
    static final class TunnelSocket extends Socket {
        private final Tunnel tunnel;
        private TunnelConnection connection;
        private SocketAddress remote;
        private int soTimeout;
        private boolean closed;
        private boolean inputShut;
        private boolean outputShut;

        TunnelSocket(Tunnel tunnel) throws SocketException {
            super((java.net.SocketImpl) null); // no OS socket behind it: every method used is overridden
            this.tunnel = tunnel;
        }

        @Override
        public void connect(SocketAddress endpoint) throws IOException {
            connect(endpoint, 0);
        }

        @Override
        public synchronized void connect(SocketAddress endpoint, int timeout) throws IOException {
            if (closed) {
                throw new SocketException("Socket is closed");
            }
            if (connection != null) {
                throw new SocketException("already connected");
            }
            connection = tunnel.openConnection();
            connection.setReadTimeout(Duration.ofMillis(soTimeout));
            remote = endpoint;
        }

        private synchronized TunnelConnection connection() throws SocketException {
            if (closed) {
                throw new SocketException("Socket is closed");
            }
            if (connection == null) {
                throw new SocketException("Socket is not connected");
            }
            return connection;
        }

        @Override
        public InputStream getInputStream() throws IOException {
            return connection().inputStream();
        }

        @Override
        public OutputStream getOutputStream() throws IOException {
            return connection().outputStream();
        }

        @Override
        public synchronized void setSoTimeout(int timeout) throws SocketException {
            if (timeout < 0) {
                throw new IllegalArgumentException("timeout < 0");
            }
            soTimeout = timeout;
            if (connection != null) {
                connection.setReadTimeout(Duration.ofMillis(timeout));
            }
        }

        @Override
        public synchronized int getSoTimeout() {
            return soTimeout;
        }

        @Override
        public void shutdownOutput() throws IOException {
            connection().shutdownOutput();
            synchronized (this) {
                outputShut = true;
            }
        }

        @Override
        public synchronized void shutdownInput() {
            inputShut = true; // nothing to tell the remote end; reads still drain what arrives
        }

        @Override
        public synchronized boolean isInputShutdown() {
            return inputShut;
        }

        @Override
        public synchronized boolean isOutputShutdown() {
            return outputShut;
        }

        @Override
        public synchronized boolean isConnected() {
            return connection != null;
        }

        @Override
        public boolean isBound() {
            return isConnected();
        }

        @Override
        public synchronized boolean isClosed() {
            return closed || connection != null && !connection.isOpen();
        }

        @Override
        public void close() {
            TunnelConnection c;
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
                c = connection;
            }
            if (c != null) {
                c.close();
            }
        }

        @Override
        public synchronized SocketAddress getRemoteSocketAddress() {
            return remote;
        }

        @Override
        public synchronized InetAddress getInetAddress() {
            return remote instanceof InetSocketAddress ? ((InetSocketAddress) remote).getAddress() : null;
        }

        @Override
        public synchronized int getPort() {
            return remote instanceof InetSocketAddress ? ((InetSocketAddress) remote).getPort() : 0;
        }

        @Override
        public SocketAddress getLocalSocketAddress() {
            return null;
        }

        @Override
        public InetAddress getLocalAddress() {
            return InetAddress.getLoopbackAddress();
        }

        @Override
        public int getLocalPort() {
            return -1;
        }

        @Override
        public void setTcpNoDelay(boolean on) {
        }

        @Override
        public boolean getTcpNoDelay() {
            return true;
        }

        @Override
        public void setKeepAlive(boolean on) {
        }

        @Override
        public boolean getKeepAlive() {
            return false;
        }

        @Override
        public void setSoLinger(boolean on, int linger) {
        }

        @Override
        public int getSoLinger() {
            return -1;
        }

        @Override
        public void setReceiveBufferSize(int size) {
        }

        @Override
        public void setSendBufferSize(int size) {
        }

        @Override
        public String toString() {
            return "TunnelSocket[" + tunnel.remote() + " on " + tunnel.target() + (closed ? ", closed" : "") + "]";
        }
    }
}
