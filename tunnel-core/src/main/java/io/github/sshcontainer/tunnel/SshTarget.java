package io.github.sshcontainer.tunnel;

import java.net.URI;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where to connect: a user, a host (a name, an address, or an {@code ~/.ssh/config} alias) and a port. A value
 * object; the user and port are absent when the target leaves them to {@code ~/.ssh/config} and the defaults.
 *
 * <pre>{@code
 * SshTarget t = SshTarget.parse("ssh://deploy@build-1:2222");
 * t.host();   // "build-1"
 * t.port();   // Optional[2222]
 * }</pre>
 *
 * Accepted forms: {@code ssh://[user@]host[:port][/path]}, {@code [user@]host}, {@code [user@]host:port},
 * {@code [user@][ipv6]:port}, {@code [user@]ipv6} and an ssh_config alias (which is just a host name here).
 */
public final class SshTarget {
    /** What to tell a person who typed something else. */
    public static final String EXPECTED_FORMS =
            "expected ssh://[user@]host[:port], [user@]host[:port], [user@][ipv6-address]:port or an ~/.ssh/config Host alias";

    private static final Pattern USER = Pattern.compile("[A-Za-z0-9._][A-Za-z0-9._@-]*");
    private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9_]([A-Za-z0-9._-]*[A-Za-z0-9_])?\\.?");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[A-Za-z0-9._-]+)?");

    private final String user;
    private final String host;
    private final Integer port;
    private final String path;

    private SshTarget(String user, String host, Integer port, String path) {
        this.user = user;
        this.host = host;
        this.port = port;
        this.path = path;
    }

    /** A target for {@code host}, with an optional user and port (null = from ssh_config or the default). */
    public static SshTarget of(String user, String host, Integer port) {
        if (user != null) {
            checkUser(user, user);
        }
        checkHost(host, host);
        if (port != null) {
            checkPort(port, String.valueOf(port));
        }
        return new SshTarget(user, host, port, null);
    }

    /**
     * Parses a target as a user types it.
     *
     * @throws IllegalArgumentException saying which part is wrong and which forms are expected
     */
    public static SshTarget parse(String text) {
        if (text == null || text.isBlank()) {
            throw invalid(text, "the target is empty");
        }
        String s = text.trim();
        if (s.contains("://")) {
            return parseUri(text, s);
        }
        if (s.chars().anyMatch(c -> Character.isWhitespace(c) || c == '/')) {
            throw invalid(text, "it contains a space or '/'");
        }
        String user = null;
        int at = s.lastIndexOf('@');
        if (at >= 0) {
            user = s.substring(0, at);
            s = s.substring(at + 1);
            checkUser(user, text);
        }
        return hostAndPort(text, user, s, null);
    }

    private static SshTarget parseUri(String original, String s) {
        if (!s.regionMatches(true, 0, "ssh://", 0, 6)) {
            throw invalid(original, "only the ssh:// scheme is supported");
        }
        String rest = s.substring(6);
        int slash = rest.indexOf('/');
        String authority = slash < 0 ? rest : rest.substring(0, slash);
        String path = slash < 0 || slash == rest.length() - 1 ? null : rest.substring(slash);
        if (authority.contains("?") || authority.contains("#") || (path != null && (path.contains("?") || path.contains("#")))) {
            throw invalid(original, "query and fragment parts are not supported");
        }
        String user = null;
        int at = authority.lastIndexOf('@');
        if (at >= 0) {
            user = decode(authority.substring(0, at), original);
            authority = authority.substring(at + 1);
            checkUser(user, original);
        }
        return hostAndPort(original, user, authority, path);
    }

    private static SshTarget hostAndPort(String original, String user, String s, String path) {
        String host;
        Integer port = null;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0) {
                throw invalid(original, "'[' without a closing ']'");
            }
            host = s.substring(1, close);
            String tail = s.substring(close + 1);
            if (!tail.isEmpty()) {
                if (!tail.startsWith(":")) {
                    throw invalid(original, "unexpected text after ']'");
                }
                port = parsePort(tail.substring(1), original);
            }
            if (!IPV6.matcher(host).matches() && !HOST_NAME.matcher(host).matches()) {
                throw invalid(original, "'" + host + "' is not an IPv6 address or host name");
            }
        } else if (s.indexOf(':') != s.lastIndexOf(':')) {
            // more than one colon and no brackets: a bare IPv6 address, no port
            host = s;
            if (!IPV6.matcher(host).matches()) {
                throw invalid(original, "'" + host + "' is not an IPv6 address (write a port as [address]:port)");
            }
        } else {
            int colon = s.indexOf(':');
            host = colon < 0 ? s : s.substring(0, colon);
            if (colon >= 0) {
                port = parsePort(s.substring(colon + 1), original);
            }
            checkHost(host, original);
        }
        if (host.isEmpty()) {
            throw invalid(original, "the host is empty");
        }
        return new SshTarget(user, host, port, path);
    }

    private static String decode(String userInfo, String original) {
        try {
            return new URI("ssh", userInfo, "h", -1, null, null, null).getUserInfo();
        } catch (Exception e) {
            throw invalid(original, "bad user part");
        }
    }

    private static Integer parsePort(String p, String original) {
        if (p.isEmpty() || !p.chars().allMatch(Character::isDigit) || p.length() > 5) {
            throw invalid(original, "port '" + p + "' is not a number from 1 to 65535");
        }
        int port = Integer.parseInt(p);
        checkPort(port, original);
        return port;
    }

    private static void checkPort(int port, String original) {
        if (port < 1 || port > 65535) {
            throw invalid(original, "port " + port + " is not from 1 to 65535");
        }
    }

    private static void checkUser(String user, String original) {
        if (user.isEmpty()) {
            throw invalid(original, "the user before '@' is empty");
        }
        if (!USER.matcher(user).matches()) {
            throw invalid(original, "user '" + user + "' contains characters a login name cannot have");
        }
    }

    private static void checkHost(String host, String original) {
        Objects.requireNonNull(host, "host");
        if (host.isEmpty()) {
            throw invalid(original, "the host is empty");
        }
        if (!HOST_NAME.matcher(host).matches() && !IPV6.matcher(host).matches()) {
            throw invalid(original, "'" + host + "' is not a valid host name or alias");
        }
    }

    private static IllegalArgumentException invalid(String text, String why) {
        return new IllegalArgumentException("invalid SSH target '" + (text == null ? "" : text) + "': " + why + "; "
                + EXPECTED_FORMS);
    }

    /** The login name, if the target names one. */
    public Optional<String> user() {
        return Optional.ofNullable(user);
    }

    /** The host: a name, an address (IPv6 without brackets), or an ssh_config alias. */
    public String host() {
        return host;
    }

    /** The port, if the target names one. */
    public Optional<Integer> port() {
        return Optional.ofNullable(port);
    }

    /** The path of an {@code ssh://host/path} URI (e.g. a remote socket, as podman's CONTAINER_HOST has it). */
    public Optional<String> path() {
        return Optional.ofNullable(path);
    }

    /** This target with another user (e.g. from a {@code -l} option). */
    public SshTarget withUser(String newUser) {
        checkUser(newUser, newUser);
        return new SshTarget(newUser, host, port, path);
    }

    /** This target with another port (e.g. from a {@code -p} option). */
    public SshTarget withPort(int newPort) {
        checkPort(newPort, String.valueOf(newPort));
        return new SshTarget(user, host, newPort, path);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof SshTarget)) {
            return false;
        }
        SshTarget t = (SshTarget) o;
        return Objects.equals(user, t.user) && host.equals(t.host) && Objects.equals(port, t.port)
                && Objects.equals(path, t.path);
    }

    @Override
    public int hashCode() {
        return Objects.hash(user, host, port, path);
    }

    /** {@code ssh://[user@]host[:port]}, with brackets around IPv6 addresses. */
    @Override
    public String toString() {
        String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return "ssh://" + (user == null ? "" : user + "@") + h + (port == null ? "" : ":" + port)
                + (path == null ? "" : path);
    }
}
