package io.github.sshcontainer.tunnel.ssh;

import java.util.Locale;
import java.util.Objects;

/**
 * The name under which a server's host key is looked up in {@code known_hosts}: a host name or address and the SSH
 * port. The host is kept lower-case, as OpenSSH does.
 *
 * <pre>{@code
 * new HostAndPort("build.example.com", 22).lookupName();  // "build.example.com"
 * new HostAndPort("127.0.0.1", 2222).lookupName();         // "[127.0.0.1]:2222"
 * }</pre>
 *
 * @param host the host name or address, without brackets
 * @param port the SSH port; {@code 22} (or {@code 0}, meaning the default) is not written in the lookup name
 */
public record HostAndPort(String host, int port) {
    /** The SSH default port, which OpenSSH leaves out of {@code known_hosts} names. */
    public static final int DEFAULT_PORT = 22;

    public HostAndPort {
        Objects.requireNonNull(host, "host");
        String h = host.trim();
        if (h.length() > 1 && h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (h.isEmpty()) {
            throw new IllegalArgumentException("empty host name");
        }
        for (int i = 0; i < h.length(); i++) {
            char c = h.charAt(i);
            if (Character.isWhitespace(c) || c == ',') {
                throw new IllegalArgumentException("invalid host name '" + host + "'");
            }
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("invalid port " + port + " for host " + host);
        }
        host = h.toLowerCase(Locale.ROOT);
    }

    /** {@code host} for the default port, else {@code [host]:port} — OpenSSH's rule for {@code known_hosts}. */
    public String lookupName() {
        return port == DEFAULT_PORT || port == 0 ? host : "[" + host + "]:" + port;
    }

    @Override
    public String toString() {
        return lookupName();
    }
}
