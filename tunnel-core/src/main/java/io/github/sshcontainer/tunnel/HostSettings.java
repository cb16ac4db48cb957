package io.github.sshcontainer.tunnel;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.github.sshcontainer.tunnel.ssh.KnownHostsVerifier;
import org.apache.sshd.client.config.hosts.HostConfigEntry;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.core.CoreModuleProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-host settings of one connection: ssh_config's ConnectTimeout, ServerAliveInterval/CountMax,
 * StrictHostKeyChecking, UserKnownHostsFile and GlobalKnownHostsFile for that host, each unless the
 * {@link SshOptions} chose the setting explicitly (like {@code ssh -o} beats the config file).
 */
final class HostSettings {
    private static final Logger LOG = LoggerFactory.getLogger(HostSettings.class);

    private final SshOptions options;
    private final HostConfigEntry entry;

    HostSettings(SshOptions options, HostConfigEntry entry) {
        this.options = options;
        this.entry = entry;
    }

    /** ssh_config's ConnectTimeout unless the options set one. */
    Duration connectTimeout() {
        String value = entry.getProperty("ConnectTimeout");
        if (value == null || options.isExplicit("connectTimeout")) {
            return options.connectTimeout();
        }
        try {
            long seconds = Long.parseLong(value.trim());
            return seconds > 0 ? Duration.ofSeconds(seconds) : options.connectTimeout();
        } catch (NumberFormatException e) {
            LOG.warn("ssh config: ignoring ConnectTimeout '{}' (not a number of seconds)", value);
            return options.connectTimeout();
        }
    }

    /** ssh_config's ServerAliveInterval / ServerAliveCountMax for this session, unless the options set keepalive. */
    void applyKeepAlive(ClientSession session) {
        String interval = entry.getProperty("ServerAliveInterval");
        String count = entry.getProperty("ServerAliveCountMax");
        if (options.isExplicit("keepAlive") || interval == null && count == null) {
            return;
        }
        try {
            Duration d = interval == null ? options.keepAliveInterval() : Duration.ofSeconds(Long.parseLong(interval.trim()));
            int max = count == null ? options.keepAliveCountMax() : Integer.parseInt(count.trim());
            CoreModuleProperties.HEARTBEAT_INTERVAL.set(session, d);
            if (!d.isZero()) {
                CoreModuleProperties.HEARTBEAT_REQUEST.set(session, "keepalive@openssh.com");
                CoreModuleProperties.HEARTBEAT_REPLY_WAIT.set(session, d);
                CoreModuleProperties.HEARTBEAT_NO_REPLY_MAX.set(session, Math.max(1, max));
            }
        } catch (NumberFormatException e) {
            LOG.warn("ssh config: ignoring ServerAliveInterval/ServerAliveCountMax '{}'/'{}' (not numbers)", interval,
                    count);
        }
    }

    /**
     * A verifier for this host when ssh_config sets StrictHostKeyChecking, UserKnownHostsFile or
     * GlobalKnownHostsFile for it (and the options did not set them); {@code null} to use the connector's.
     */
    KnownHostsVerifier hostKeyVerifier() throws SshTunnelException {
        String strict = options.isExplicit("hostKeyPolicy") ? null : entry.getProperty("StrictHostKeyChecking");
        String user = options.isExplicit("knownHosts") ? null : entry.getProperty("UserKnownHostsFile");
        String global = options.isExplicit("knownHosts") ? null : entry.getProperty("GlobalKnownHostsFile");
        if (strict == null && user == null && global == null) {
            return null;
        }
        HostKeyPolicy policy = options.hostKeyPolicy();
        if (strict != null) {
            policy = policyOf(strict);
        }
        List<Path> files = new ArrayList<>();
        if (user == null && global == null) {
            files.addAll(options.knownHosts());
        } else {
            List<Path> defaults = options.knownHosts();
            files.addAll(user != null ? paths(user) : defaults.isEmpty() ? List.of() : defaults.subList(0, 1));
            files.addAll(global != null ? paths(global) : defaults.size() > 1 ? defaults.subList(1, defaults.size())
                    : List.of());
        }
        return new KnownHostsVerifier(files, files.isEmpty() ? null : files.get(0), policy);
    }

    private static List<Path> paths(String value) {
        List<Path> out = new ArrayList<>();
        for (String p : value.trim().split("\\s+")) {
            if (!p.isEmpty() && !p.equalsIgnoreCase("none")) {
                out.add(Path.of(p));
            }
        }
        return out;
    }

    /** OpenSSH's StrictHostKeyChecking values. */
    static HostKeyPolicy policyOf(String value) throws SshTunnelException {
        switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "yes":
            case "ask": // no prompt here: an unknown key is refused, as 'yes' would
                return HostKeyPolicy.STRICT;
            case "accept-new":
                return HostKeyPolicy.ACCEPT_NEW;
            case "no":
            case "off":
                LOG.warn("ssh config says StrictHostKeyChecking {}: host keys are not verified for this host", value);
                return HostKeyPolicy.INSECURE;
            default:
                throw new SshTunnelException(Failure.USAGE, "ssh config: bad StrictHostKeyChecking '" + value
                        + "' (expected yes, accept-new, no or ask)");
        }
    }
}
