package io.github.sshcontainer.cli;

import io.github.sshcontainer.tunnel.RemoteEndpoint;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * One {@code --tcp [LOCALPORT:]HOST:PORT} of {@code ssh-container forward}: 127.0.0.1:LOCALPORT here to HOST:PORT as
 * the SSH server resolves it, like {@code ssh -L}. An IPv6 host goes in brackets ({@code 8080:[::1]:80}); no
 * LOCALPORT, or 0, picks a free port.
 *
 * @param localPort the port on 127.0.0.1, 0 for a free one
 * @param remote the remote TCP address
 */
record TcpForward(int localPort, RemoteEndpoint.TcpAddress remote) {
    static final String FORMS = "[LOCALPORT:]HOST:PORT, e.g. 8080:127.0.0.1:80, 127.0.0.1:32768 or 8080:[::1]:80";

    /** Parses {@code [LOCALPORT:]HOST:PORT}; the message says what is wrong and the expected forms. */
    static TcpForward parse(String text) {
        String s = text.trim();
        int lastColon = s.lastIndexOf(':');
        if (lastColon <= 0) {
            throw bad(text, "no :PORT");
        }
        int remotePort = port(text, s.substring(lastColon + 1), "remote port", 1);
        String front = s.substring(0, lastColon);
        int localPort = 0;
        String host = front;
        if (front.endsWith("]")) {
            int open = front.lastIndexOf('[');
            if (open < 0) {
                throw bad(text, "']' without '['");
            }
            host = front.substring(open + 1, front.length() - 1);
            if (open > 0) {
                if (front.charAt(open - 1) != ':') {
                    throw bad(text, "expected ':' before '['");
                }
                localPort = port(text, front.substring(0, open - 1), "local port", 0);
            }
        } else if (front.indexOf(':') >= 0) {
            int colon = front.indexOf(':');
            localPort = port(text, front.substring(0, colon), "local port", 0);
            host = front.substring(colon + 1);
            if (host.indexOf(':') >= 0) {
                throw bad(text, "an IPv6 host must be in brackets");
            }
        }
        if (host.isBlank()) {
            throw bad(text, "no host");
        }
        return new TcpForward(localPort, new RemoteEndpoint.TcpAddress(host, remotePort));
    }

    private static int port(String text, String digits, String what, int min) {
        try {
            int p = Integer.parseInt(digits);
            if (p >= min && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw bad(text, what + " '" + digits + "' is not a number from " + min + " to 65535");
    }

    private static TypeConversionException bad(String text, String why) {
        return new TypeConversionException("'" + text + "': " + why + "; expected " + FORMS);
    }

    /** picocli's hook for {@code --tcp}. */
    static final class Converter implements ITypeConverter<TcpForward> {
        @Override
        public TcpForward convert(String value) {
            return parse(value);
        }
    }
}
