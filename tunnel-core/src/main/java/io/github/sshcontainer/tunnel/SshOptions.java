package io.github.sshcontainer.tunnel;

import java.nio.file.Files;
import java.security.KeyPair;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How to reach and trust SSH servers: identities, agent, password, {@code known_hosts}, {@code ~/.ssh/config},
 * timeouts and keepalive. Immutable; defaults follow OpenSSH.
 *
 * <pre>{@code
 * SshOptions options = SshOptions.builder()
 *         .identity(Path.of("/home/me/.ssh/id_ed25519"))
 *         .hostKeyPolicy(HostKeyPolicy.ACCEPT_NEW)
 *         .build();
 * }</pre>
 */
public final class SshOptions {
    /** AES-GCM first (fast with AES instructions; MINA's ChaCha20 is pure Java), then ChaCha20 and CTR; no CBC. */
    public static final List<String> DEFAULT_CIPHERS = List.of("aes128-gcm@openssh.com", "aes256-gcm@openssh.com",
            "chacha20-poly1305@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr");

    private final List<Path> identities;
    private final List<KeyPair> keyPairs;
    private final PassphraseProvider passphraseProvider;
    private final String password;
    private final boolean useAgent;
    private final Path agentSocket;
    private final List<Path> knownHosts;
    private final HostKeyPolicy hostKeyPolicy;
    private final Path sshConfig;
    private final Duration connectTimeout;
    private final Duration authTimeout;
    private final Duration keepAliveInterval;
    private final int keepAliveCountMax;
    private final List<String> ciphers;
    private final java.util.Set<String> explicit;

    private SshOptions(Builder b) {
        this.explicit = java.util.Set.copyOf(b.explicit);
        this.identities = List.copyOf(b.identities);
        this.keyPairs = List.copyOf(b.keyPairs);
        this.passphraseProvider = b.passphraseProvider;
        this.password = b.password;
        this.useAgent = b.useAgent;
        this.agentSocket = b.agentSocket;
        this.knownHosts = b.knownHosts == null ? defaultKnownHosts() : List.copyOf(b.knownHosts);
        this.hostKeyPolicy = b.hostKeyPolicy;
        this.sshConfig = b.sshConfigSet ? b.sshConfig : defaultSshConfig();
        this.connectTimeout = b.connectTimeout;
        this.authTimeout = b.authTimeout;
        this.keepAliveInterval = b.keepAliveInterval;
        this.keepAliveCountMax = b.keepAliveCountMax;
        this.ciphers = List.copyOf(b.ciphers);
    }

    /** Options with every default: {@code ~/.ssh/config}, {@code ~/.ssh/known_hosts}, agent, strict host keys. */
    public static SshOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these options, to change some of them. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.identities.addAll(identities);
        b.keyPairs.addAll(keyPairs);
        b.passphraseProvider = passphraseProvider;
        b.password = password;
        b.useAgent = useAgent;
        b.agentSocket = agentSocket;
        b.knownHosts = new ArrayList<>(knownHosts);
        b.hostKeyPolicy = hostKeyPolicy;
        b.sshConfig = sshConfig;
        b.sshConfigSet = true;
        b.connectTimeout = connectTimeout;
        b.authTimeout = authTimeout;
        b.keepAliveInterval = keepAliveInterval;
        b.keepAliveCountMax = keepAliveCountMax;
        b.ciphers.clear();
        b.ciphers.addAll(ciphers);
        b.explicit.addAll(explicit);
        return b;
    }

    static Path userHome() {
        return Paths.get(System.getProperty("user.home"));
    }

    private static List<Path> defaultKnownHosts() {
        return List.of(userHome().resolve(".ssh").resolve("known_hosts"), Paths.get("/etc/ssh/ssh_known_hosts"));
    }

    private static Path defaultSshConfig() {
        Path p = userHome().resolve(".ssh").resolve("config");
        return Files.isRegularFile(p) ? p : null;
    }

    /** Private key files to offer, in order (like {@code ssh -i}); with none, ssh_config's or the default keys. */
    public List<Path> identities() {
        return identities;
    }

    /** Key pairs held in memory (e.g. from a vault), offered before the key files. */
    public List<KeyPair> keyPairs() {
        return keyPairs;
    }

    public Optional<PassphraseProvider> passphraseProvider() {
        return Optional.ofNullable(passphraseProvider);
    }

    /** The password for password authentication, if any. Never logged. */
    public Optional<String> password() {
        return Optional.ofNullable(password);
    }

    /** Whether to use the ssh-agent at {@link #agentSocket()}. */
    public boolean useAgent() {
        return useAgent;
    }

    /** The agent socket: the one set, else {@code SSH_AUTH_SOCK}. */
    public Optional<Path> agentSocket() {
        if (agentSocket != null) {
            return Optional.of(agentSocket);
        }
        String env = System.getenv("SSH_AUTH_SOCK");
        return env == null || env.isBlank() ? Optional.empty() : Optional.of(Paths.get(env));
    }

    /** known_hosts files read in order; the first is where {@link HostKeyPolicy#ACCEPT_NEW} adds keys. */
    public List<Path> knownHosts() {
        return knownHosts;
    }

    public HostKeyPolicy hostKeyPolicy() {
        return hostKeyPolicy;
    }

    /** The ssh_config file, if one is used. */
    public Optional<Path> sshConfig() {
        return Optional.ofNullable(sshConfig);
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    public Duration authTimeout() {
        return authTimeout;
    }

    /** Like OpenSSH's {@code ServerAliveInterval}; zero turns keepalive off. */
    public Duration keepAliveInterval() {
        return keepAliveInterval;
    }

    /** Like OpenSSH's {@code ServerAliveCountMax}. */
    public int keepAliveCountMax() {
        return keepAliveCountMax;
    }

    /** Cipher preference, most preferred first. */
    public List<String> ciphers() {
        return ciphers;
    }

    /**
     * Whether a setting was chosen on the builder rather than left at its default; a chosen one wins over
     * ssh_config (like {@code ssh -o}), a default one gives way to it. Names: {@code hostKeyPolicy},
     * {@code knownHosts}, {@code connectTimeout}, {@code keepAlive}.
     */
    boolean isExplicit(String setting) {
        return explicit.contains(setting);
    }

    /** Builds {@link SshOptions}. */
    public static final class Builder {
        private final List<Path> identities = new ArrayList<>();
        private final List<KeyPair> keyPairs = new ArrayList<>();
        private PassphraseProvider passphraseProvider;
        private String password;
        private boolean useAgent = true;
        private Path agentSocket;
        private List<Path> knownHosts;
        private HostKeyPolicy hostKeyPolicy = HostKeyPolicy.STRICT;
        private Path sshConfig;
        private boolean sshConfigSet;
        private Duration connectTimeout = Duration.ofSeconds(15);
        private Duration authTimeout = Duration.ofSeconds(30);
        private Duration keepAliveInterval = Duration.ofSeconds(15);
        private int keepAliveCountMax = 3;
        private final List<String> ciphers = new ArrayList<>(DEFAULT_CIPHERS);
        private final java.util.Set<String> explicit = new java.util.HashSet<>();

        private Builder() {
        }

        /** Adds a private key file (OpenSSH or PEM format, encrypted or not). */
        public Builder identity(Path keyFile) {
            identities.add(Objects.requireNonNull(keyFile, "keyFile"));
            return this;
        }

        /** Adds a key pair held in memory; it is never written anywhere. */
        public Builder identity(KeyPair keyPair) {
            keyPairs.add(Objects.requireNonNull(keyPair, "keyPair"));
            return this;
        }

        public Builder passphraseProvider(PassphraseProvider provider) {
            this.passphraseProvider = provider;
            return this;
        }

        public Builder password(String password) {
            this.password = password;
            return this;
        }

        public Builder useAgent(boolean use) {
            this.useAgent = use;
            return this;
        }

        public Builder agentSocket(Path socket) {
            this.agentSocket = socket;
            return this;
        }

        /**
         * Replaces the known_hosts files; the first is where new keys are added. Default: ssh_config's
         * {@code UserKnownHostsFile} and {@code GlobalKnownHostsFile}, else {@code ~/.ssh/known_hosts} and
         * {@code /etc/ssh/ssh_known_hosts}.
         */
        public Builder knownHosts(Path... files) {
            this.knownHosts = List.of(files);
            explicit.add("knownHosts");
            return this;
        }

        public Builder hostKeyPolicy(HostKeyPolicy policy) {
            this.hostKeyPolicy = Objects.requireNonNull(policy, "policy");
            explicit.add("hostKeyPolicy");
            return this;
        }

        /** The ssh_config file to read; {@code null} reads none. Default: {@code ~/.ssh/config} if it exists. */
        public Builder sshConfig(Path file) {
            this.sshConfig = file;
            this.sshConfigSet = true;
            return this;
        }

        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout, "connect timeout");
            explicit.add("connectTimeout");
            return this;
        }

        public Builder authTimeout(Duration timeout) {
            this.authTimeout = positive(timeout, "auth timeout");
            return this;
        }

        /** Sends a keepalive after this much silence; {@link Duration#ZERO} turns it off. */
        public Builder keepAlive(Duration interval, int countMax) {
            if (interval.isNegative()) {
                throw new IllegalArgumentException("keepalive interval must not be negative");
            }
            if (countMax < 1) {
                throw new IllegalArgumentException("keepalive count max must be at least 1");
            }
            this.keepAliveInterval = interval;
            this.keepAliveCountMax = countMax;
            explicit.add("keepAlive");
            return this;
        }

        public Builder ciphers(List<String> names) {
            if (names.isEmpty()) {
                throw new IllegalArgumentException("cipher list is empty");
            }
            ciphers.clear();
            ciphers.addAll(names);
            return this;
        }

        /**
         * The options.
         *
         * @throws IllegalArgumentException if a named identity file exists but holds no private key (a public key, a
         *         truncated or an unrelated file); a missing or unreadable one is reported when connecting
         */
        public SshOptions build() {
            for (Path key : identities) {
                io.github.sshcontainer.tunnel.internal.IdentityFiles.problem(key).ifPresent(why -> {
                    throw new IllegalArgumentException("identity file " + key + " is not a usable private key: " + why);
                });
            }
            return new SshOptions(this);
        }

        private static Duration positive(Duration d, String what) {
            if (d == null || d.isZero() || d.isNegative()) {
                throw new IllegalArgumentException(what + " must be positive");
            }
            return d;
        }
    }
}
