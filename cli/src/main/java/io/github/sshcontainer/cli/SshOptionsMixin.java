package io.github.sshcontainer.cli;

import java.io.Console;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.github.sshcontainer.tunnel.HostKeyPolicy;
import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.SshTarget;
import picocli.CommandLine.Option;

/** The SSH options every command shares, spelled like OpenSSH's where OpenSSH has them. */
final class SshOptionsMixin {

    @Option(names = "-i", paramLabel = "FILE", description = "Private key to use (repeatable). Default: ~/.ssh/config's"
            + " IdentityFile, else ~/.ssh/id_*; the ssh-agent is used too.")
    List<Path> identities = new ArrayList<>();

    @Option(names = "--known-hosts", paramLabel = "FILE", description = "known_hosts file (default: ~/.ssh/known_hosts"
            + " and /etc/ssh/ssh_known_hosts).")
    Path knownHosts;

    @Option(names = "--host-key-policy", paramLabel = "POLICY",
            converter = HostKeyPolicyConverter.class,
            description = "strict (default: unknown or changed keys refused), accept-new (add unknown, refuse changed)"
                    + " or insecure (accept any key, with a warning). Default: ssh_config's StrictHostKeyChecking,"
                    + " else strict.")
    HostKeyPolicy hostKeyPolicy;

    @Option(names = "--ssh-config", paramLabel = "FILE", description = "ssh_config file (default: ~/.ssh/config;"
            + " 'none' reads none).")
    String sshConfig;

    @Option(names = "-p", paramLabel = "PORT", description = "SSH port (overrides the target and ssh_config).")
    Integer port;

    @Option(names = "-l", paramLabel = "USER", description = "Login name (overrides the target and ssh_config).")
    String user;

    @Option(names = "--connect-timeout", paramLabel = "SECONDS",
            description = "Connect timeout in seconds (default: ssh_config's ConnectTimeout, else 15).")
    Integer connectTimeoutSeconds;

    @Option(names = "--no-agent", description = "Do not use the ssh-agent (SSH_AUTH_SOCK).")
    boolean noAgent;

    SshTarget target(String text) {
        SshTarget t = SshTarget.parse(text);
        if (user != null) {
            t = t.withUser(user);
        }
        if (port != null) {
            t = t.withPort(port);
        }
        return t;
    }

    SshOptions toOptions() {
        if (connectTimeoutSeconds != null && connectTimeoutSeconds < 1) {
            throw new IllegalArgumentException("--connect-timeout must be at least 1 second");
        }
        // options given here win over ssh_config (like ssh -o); those not given leave ssh_config in charge
        SshOptions.Builder b = SshOptions.builder().useAgent(!noAgent)
                .passphraseProvider(SshOptionsMixin::askPassphrase);
        if (hostKeyPolicy != null) {
            b.hostKeyPolicy(hostKeyPolicy);
        }
        if (connectTimeoutSeconds != null) {
            b.connectTimeout(Duration.ofSeconds(connectTimeoutSeconds));
        }
        identities.forEach(b::identity);
        if (knownHosts != null) {
            b.knownHosts(knownHosts);
        }
        if (sshConfig != null) {
            b.sshConfig(sshConfig.equals("none") ? null : Path.of(sshConfig));
        }
        return b.build();
    }

    /** Asks on the terminal, like ssh does; without a terminal the key is skipped. */
    private static Optional<String> askPassphrase(String keyLocation) {
        Console console = System.console();
        if (console == null) {
            return Optional.empty();
        }
        char[] p = console.readPassword("Enter passphrase for key '%s': ", keyLocation);
        return p == null ? Optional.empty() : Optional.of(new String(p));
    }

    /** Parses --host-key-policy with the library's own spelling and message. */
    static final class HostKeyPolicyConverter implements picocli.CommandLine.ITypeConverter<HostKeyPolicy> {
        @Override
        public HostKeyPolicy convert(String value) {
            return HostKeyPolicy.parse(value);
        }
    }
}
