package io.github.sshcontainer.tunnel;

import java.util.Objects;

/**
 * What a tunnel reaches on the remote side: a unix socket ({@code direct-streamlocal@openssh.com}, OpenSSH
 * {@code PROTOCOL} §2.4), a TCP address ({@code direct-tcpip}, RFC 4254 §7.2), or a command whose stdin and stdout
 * carry each connection ({@code session} channel with an {@code exec} request, RFC 4254 §6.5).
 *
 * <pre>{@code
 * RemoteEndpoint docker = RemoteEndpoint.unixSocket("/var/run/docker.sock");
 * RemoteEndpoint web = RemoteEndpoint.tcp("127.0.0.1", 8080);
 * RemoteEndpoint dialStdio = RemoteEndpoint.command("docker system dial-stdio");
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

    /**
     * A command the remote user's shell runs once per connection: the connection's bytes go to its stdin, its stdout
     * comes back. For servers that refuse socket forwarding but allow {@code exec}, e.g.
     * {@code docker system dial-stdio}. Its stderr is logged at debug; when it exits non-zero before writing anything
     * to stdout, the connection fails with an error that quotes its stderr.
     */
    static RemoteEndpoint command(String command) {
        return new Command(command);
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

    /** A remote command run for each connection over an {@code exec} request. */
    record Command(String command) implements RemoteEndpoint {
        public Command {
            Objects.requireNonNull(command, "command");
            if (command.isBlank()) {
                throw new IllegalArgumentException("remote command is empty");
            }
            if (command.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("remote command contains a NUL character");
            }
        }

        @Override
        public String channelType() {
            return "session";
        }

        @Override
        public String toString() {
            return "`" + command + "`";
        }
    }
}
