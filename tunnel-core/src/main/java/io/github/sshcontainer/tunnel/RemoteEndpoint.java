package io.github.sshcontainer.tunnel;

import java.util.Objects;

/**
 * What a tunnel reaches on the remote side: a unix socket ({@code direct-streamlocal@openssh.com}, OpenSSH
 * {@code PROTOCOL} §2.4) or a TCP address ({@code direct-tcpip}, RFC 4254 §7.2).
 *
 * <pre>{@code
 * RemoteEndpoint docker = RemoteEndpoint.unixSocket("/var/run/docker.sock");
 * RemoteEndpoint web = RemoteEndpoint.tcp("127.0.0.1", 8080);
 * }</pre>
 */
public interface RemoteEndpoint {

    /** The SSH channel type that reaches this endpoint. */
    String channelType();

    /** A remote unix socket path, e.g. {@code /var/run/docker.sock}. */
    static RemoteEndpoint unixSocket(String path) {
        return new UnixSocket(path);
    }

    /** A remote TCP address, as resolved by the SSH server (so {@code localhost} is the server's loopback). */
    static RemoteEndpoint tcp(String host, int port) {
        return new TcpAddress(host, port);
    }

    /** A remote unix socket. */
    record UnixSocket(String path) implements RemoteEndpoint {
        public UnixSocket {
            Objects.requireNonNull(path, "path");
            if (!path.startsWith("/")) {
                throw new IllegalArgumentException("remote socket path '" + path
                        + "' must be absolute, e.g. /var/run/docker.sock");
            }
            if (path.indexOf('\0') >= 0 || path.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("remote socket path contains a NUL or newline character");
            }
        }

        @Override
        public String channelType() {
            return "direct-streamlocal@openssh.com";
        }

        @Override
        public String toString() {
            return path;
        }
    }

    /** A remote TCP host and port. */
    record TcpAddress(String host, int port) implements RemoteEndpoint {
        public TcpAddress {
            Objects.requireNonNull(host, "host");
            if (host.isBlank()) {
                throw new IllegalArgumentException("remote host is empty");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("remote port " + port + " is not from 1 to 65535");
            }
        }

        @Override
        public String channelType() {
            return "direct-tcpip";
        }

        @Override
        public String toString() {
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }
    }
}
