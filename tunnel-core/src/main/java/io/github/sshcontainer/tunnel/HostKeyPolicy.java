package io.github.sshcontainer.tunnel;

/**
 * What to do with a server host key that {@code known_hosts} does not vouch for — OpenSSH's
 * {@code StrictHostKeyChecking}.
 *
 * <pre>{@code
 * SshOptions options = SshOptions.builder().hostKeyPolicy(HostKeyPolicy.ACCEPT_NEW).build();
 * }</pre>
 */
public enum HostKeyPolicy {
    /** Default. An unknown or changed host key is refused ({@code StrictHostKeyChecking yes}). */
    STRICT,
    /** An unknown host key is added to {@code known_hosts}; a changed one is refused ({@code accept-new}). */
    ACCEPT_NEW,
    /** Every host key is accepted, with a warning in the log. Only when asked for by name. */
    INSECURE;

    /**
     * Parses the CLI spelling: {@code strict}, {@code accept-new}, {@code insecure} (case-insensitive), and OpenSSH's
     * {@code StrictHostKeyChecking} values {@code yes} (strict) and {@code accept-new}.
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static HostKeyPolicy parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(java.util.Locale.ROOT);
        switch (t) {
            case "strict":
            case "yes":
                return STRICT;
            case "accept-new":
            case "accept_new":
                return ACCEPT_NEW;
            case "insecure":
                return INSECURE;
            default:
                throw new IllegalArgumentException("unknown host key policy '" + text
                        + "': expected one of strict, accept-new, insecure");
        }
    }
}
