package io.github.sshcontainer.tunnel;

import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import io.github.sshcontainer.tunnel.internal.ChaChaPolyCipher;
import io.github.sshcontainer.tunnel.internal.KeyPassphrases;
import io.github.sshcontainer.tunnel.internal.ProxyCommand;
import io.github.sshcontainer.tunnel.internal.QuickAckIo;
import io.github.sshcontainer.tunnel.internal.SelectorTransport;
import io.github.sshcontainer.tunnel.internal.SshConfigFile;
import io.github.sshcontainer.tunnel.ssh.KnownHostsVerifier;
import io.github.sshcontainer.tunnel.ssh.AuthMethodsRecorder;
import io.github.sshcontainer.tunnel.ssh.HostAndPort;
import io.github.sshcontainer.tunnel.ssh.IdentityAgentFactory;
import io.github.sshcontainer.tunnel.ssh.PerHostKnownHosts;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.config.hosts.HostConfigEntry;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.client.future.ConnectFuture;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.NamedFactory;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.cipher.Cipher;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;
import org.apache.sshd.core.CoreModuleProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens authenticated SSH sessions the way OpenSSH would: {@code ~/.ssh/config} (HostName, Port, User,
 * IdentityFile, ProxyJump), keys, agent, password, {@code known_hosts} with a {@link HostKeyPolicy}, timeouts and
 * keepalive. One connector holds one MINA {@link SshClient} (its I/O threads) and can open many sessions.
 * Its connections use one selector thread ({@link SelectorTransport}); the system property
 * {@code sshcontainer.transport=nio2} selects MINA's NIO2 transport instead.
 *
 * <pre>{@code
 * try (SshConnector connector = SshConnector.create(SshOptions.defaults())) {
 *     ClientSession session = connector.connect(SshTarget.parse("deploy@build-1"));
 * }
 * }</pre>
 */
public final class SshConnector implements AutoCloseable {
    /** Signature algorithms OpenSSH's client no longer offers (since 8.8): SHA-1 RSA and DSA. */
    private static final Set<String> SHA1_SIGNATURES = Set.of("ssh-rsa", "ssh-rsa-cert-v01@openssh.com", "ssh-dss",
            "ssh-dss-cert-v01@openssh.com");

    private static final Logger LOG = LoggerFactory.getLogger(SshConnector.class);

    private final SshOptions options;
    private final SshClient client;
    private final HostConfigEntryResolver config;
    private final KeyPassphrases passphrases;

    private SshConnector(SshOptions options, SshClient client, HostConfigEntryResolver config,
            KeyPassphrases passphrases) {
        this.options = options;
        this.client = client;
        this.config = config;
        this.passphrases = passphrases;
    }

    /**
     * A started connector.
     *
     * @throws SshTunnelException ({@link Failure#USAGE}) when the ssh_config file cannot be read or parsed
     */
    public static SshConnector create(SshOptions options) throws SshTunnelException {
        Objects.requireNonNull(options, "options");
        for (Path key : options.identities()) {
            if (!Files.isRegularFile(key)) {
                throw new SshTunnelException(Failure.USAGE, "identity file " + key + " does not exist or is not a file");
            }
            if (!Files.isReadable(key)) {
                throw new SshTunnelException(Failure.USAGE, "identity file " + key + " is not readable");
            }
        }
        HostConfigEntryResolver config;
        try {
            config = SshConfigFile.resolver(options.sshConfig().orElse(null));
        } catch (IOException e) {
            throw new SshTunnelException(Failure.USAGE, e.getMessage(), e);
        }
        boolean selector;
        try {
            selector = SelectorTransport.requested();
        } catch (IllegalArgumentException e) {
            throw new SshTunnelException(Failure.USAGE, e.getMessage(), e);
        }
        SshClient client = SshClient.setUpDefaultClient();
        // one selector thread instead of NIO2's hand-offs per packet; -Dsshcontainer.transport=nio2 for MINA's
        client.setIoServiceFactoryFactory(selector ? new SelectorTransport() : new QuickAckIo());
        client.setCipherFactoriesNameList(String.join(",", options.ciphers()));
        NamedFactory<Cipher> chacha = ChaChaPolyCipher.factory();
        if (chacha != null) {
            // the JDK's ChaCha20 (intrinsics since JDK 20) and our Poly1305 instead of MINA's pure-Java pair
            client.setCipherFactories(client.getCipherFactories().stream()
                    .map(f -> f.getName().equals(ChaChaPolyCipher.NAME) ? chacha : f).toList());
        }
        // like OpenSSH 8.8+: no SHA-1 signatures (ssh-rsa) for host keys or our RSA keys; rsa-sha2-256/512 instead
        client.setSignatureFactoriesNames(client.getSignatureFactoriesNames().stream()
                .filter(name -> !SHA1_SIGNATURES.contains(name)).toList());
        client.setHostConfigEntryResolver(config);
        client.setUserAuthFactories(AuthMethodsRecorder.wrap(client.getUserAuthFactories() == null
                ? SshClient.DEFAULT_USER_AUTH_FACTORIES : client.getUserAuthFactories()));
        List<Path> knownHosts = options.knownHosts();
        client.setServerKeyVerifier(new PerHostKnownHosts(new KnownHostsVerifier(knownHosts,
                knownHosts.isEmpty() ? null : knownHosts.get(0), options.hostKeyPolicy())));
        KeyPassphrases passphrases = new KeyPassphrases(options.passphraseProvider().orElse(null));
        client.setFilePasswordProvider(passphrases);
        options.password().ifPresent(client::addPasswordIdentity);
        options.keyPairs().forEach(client::addPublicKeyIdentity);
        if (!options.identities().isEmpty() || !options.keyPairs().isEmpty()) {
            // like OpenSSH: the default keys (~/.ssh/id_*) are offered only when no key is named
            client.setKeyIdentityProvider(KeyIdentityProvider.EMPTY_KEYS_PROVIDER);
        }
        if (options.useAgent()) {
            // used whether or not identity files are named (like OpenSSH); ssh_config's IdentityAgent per host
            client.setAgentFactory(new IdentityAgentFactory(options.agentSocket().filter(Files::exists).orElse(null)));
        }
        CoreModuleProperties.IDLE_TIMEOUT.set(client, java.time.Duration.ZERO);
        CoreModuleProperties.TCP_NODELAY.set(client, true);
        // rekey like OpenSSH: after 2^(L/4) cipher blocks (RFC 4344: 64 GiB for AES, 1 GiB for ChaCha20), not after
        // every gigabyte as MINA does by default (a key exchange that stalls a bulk transfer once a second)
        CoreModuleProperties.REKEY_BYTES_LIMIT.set(client, 0L);
        CoreModuleProperties.IO_CONNECT_TIMEOUT.set(client, options.connectTimeout());
        CoreModuleProperties.AUTH_TIMEOUT.set(client, options.authTimeout());
        if (!options.keepAliveInterval().isZero()) {
            CoreModuleProperties.HEARTBEAT_INTERVAL.set(client, options.keepAliveInterval());
            CoreModuleProperties.HEARTBEAT_REQUEST.set(client, "keepalive@openssh.com");
            CoreModuleProperties.HEARTBEAT_REPLY_WAIT.set(client, options.keepAliveInterval());
            CoreModuleProperties.HEARTBEAT_NO_REPLY_MAX.set(client, options.keepAliveCountMax());
        }
        client.start();
        return new SshConnector(options, client, config, passphrases);
    }

    /** The options this connector was made with. */
    public SshOptions options() {
        return options;
    }

    /**
     * Resolves {@code target} through ssh_config, connects, verifies the host key and authenticates.
     *
     * @return an authenticated session; the caller closes it
     * @throws HostKeyException the host key is unknown (strict), changed or revoked
     * @throws AuthenticationException every credential was refused
     * @throws SshTunnelException {@link Failure#CONNECT} when the server cannot be reached
     */
    public ClientSession connect(SshTarget target) throws SshTunnelException {
        HostConfigEntry entry = resolve(target);
        String where = entry.getUsername() + "@" + entry.getHostName() + ":" + entry.getPort();
        Map<AttributeRepository.AttributeKey<?>, Object> context = new HashMap<>();
        String alias = entry.getProxyJump() == null ? entry.getProperty("HostKeyAlias") : null;
        HostAndPort checked = alias != null ? new HostAndPort(alias, HostAndPort.DEFAULT_PORT)
                : new HostAndPort(entry.getHostName(), entry.getPort());
        HostSettings settings = new HostSettings(options, entry);
        KnownHostsVerifier perHost = settings.hostKeyVerifier();
        if (perHost != null) {
            context.put(PerHostKnownHosts.OVERRIDE, new PerHostKnownHosts.Override(checked, perHost));
        }
        String proxyCommand = entry.getProperty("ProxyCommand");
        ProxyCommand proxy = null;
        HostConfigEntry via = entry;
        ClientSession session;
        try {
            if (proxyCommand != null && !proxyCommand.equalsIgnoreCase("none") && entry.getProxyJump() == null) {
                proxy = ProxyCommand.start(proxyCommand);
                via = throughProxy(entry, proxy);
                context.put(KnownHostsVerifier.HOST_KEY_ALIAS, checked); // never the loopback bridge
                where = where + " via " + proxy.describe();
            } else if (alias != null) {
                context.put(KnownHostsVerifier.HOST_KEY_ALIAS, checked);
            }
            // The verifier checks the configured HostName and Port (no reverse DNS); under ProxyJump MINA itself
            // names the final target, so no alias is passed (a connect context would reach the jump hosts too).
            ConnectFuture future = client.connect(via, context.isEmpty() ? null
                    : AttributeRepository.ofAttributesMap(context), null);
            session = future.verify(settings.connectTimeout()).getSession();
            if (proxy != null) {
                proxy.checkPeer(session.getIoSession().getLocalAddress());
                ProxyCommand p = proxy;
                session.addCloseFutureListener(f -> p.close());
            }
        } catch (IOException | RuntimeException e) {
            if (proxy != null) {
                proxy.close();
            }
            throw connectFailure(target, where, e);
        }
        settings.applyKeepAlive(session);
        AuthMethodsRecorder.Record methods = AuthMethodsRecorder.attach(session);
        try {
            session.auth().verify(options.authTimeout());
            LOG.debug("authenticated to {}", where);
            return session;
        } catch (IOException | RuntimeException e) {
            session.close(true);
            Optional<HostKeyException> hostKey = KnownHostsVerifier.failureOf(session);
            if (hostKey.isPresent()) {
                throw hostKey.get();
            }
            if (disconnectCode(e) == SshConstants.SSH2_DISCONNECT_HOST_KEY_NOT_VERIFIABLE) {
                throw new HostKeyException("the host key of " + where + " was refused: " + e.getMessage(),
                        entry.getHostName(), "unknown", "unknown");
            }
            if (disconnectCode(e) == SshConstants.SSH2_DISCONNECT_KEY_EXCHANGE_FAILED) {
                throw new SshTunnelException(Failure.CONNECT, negotiationFailure(where, target, rootCause(e)), e);
            }
            if (proxy != null && !session.isAuthenticated() && (proxy.exited() || session.getServerVersion() == null)) {
                throw new SshTunnelException(Failure.CONNECT, "cannot connect to " + entry.getHostName() + ":"
                        + entry.getPort() + " (" + target + ") through " + proxy.describe() + ": "
                        + rootCause(e).getMessage(), e);
            }
            if (proxy == null && session.getServerVersion() == null) {
                String answered = firstLine(entry.getHostName(), entry.getPort());
                if (answered == null) {
                    throw new SshTunnelException(Failure.CONNECT, "the server at " + where + " (" + target + ")"
                            + " accepted the TCP connection but did not identify itself as an SSH server: it stays"
                            + " silent (wrong port, or a service that waits for the client to speak first?)", e);
                }
                if (!answered.isEmpty() && !answered.contains("MaxStartups")) {
                    throw new SshTunnelException(Failure.CONNECT, "the server at " + where + " (" + target + ") is not"
                            + " an SSH server: it answered '" + answered + "' instead of an SSH-2.0 banner (wrong"
                            + " port?)", e);
                }
                throw new SshTunnelException(Failure.CONNECT, "the SSH server at " + where + " (" + target
                        + ") accepted the TCP connection but closed it before identifying itself: sshd dropped it,"
                        + " most likely because too many connections were not yet authenticated (sshd_config"
                        + " MaxStartups; retry later or raise it), or a TCP wrapper or ban list (fail2ban) refuses this"
                        + " address (" + rootCause(e).getMessage() + ")", e);
            }
            throw authFailure(where, session, methods, e);
        }
    }

    /** The entry MINA connects to when a ProxyCommand carries the connection: the bridge's loopback port. */
    private static HostConfigEntry throughProxy(HostConfigEntry entry, ProxyCommand proxy) {
        HostConfigEntry via = new HostConfigEntry(entry.getHost(), proxy.address().getAddress().getHostAddress(),
                proxy.address().getPort(), entry.getUsername());
        via.setIdentities(entry.getIdentities());
        via.setIdentitiesOnly(entry.isIdentitiesOnly());
        Map<String, String> props = new HashMap<>(entry.getProperties());
        props.keySet().removeIf(k -> k.equalsIgnoreCase("ProxyCommand"));
        via.setProperties(props);
        return via;
    }

    /**
     * What {@link #connect} would use for {@code target} after ssh_config: host name, port, user, identities, and
     * the other keywords as properties ({@code ProxyCommand}, {@code ServerAliveInterval}, ...). For diagnostics.
     *
     * @throws SshTunnelException ({@link Failure#USAGE}) when the config cannot be applied
     */
    public HostConfigEntry effectiveConfig(SshTarget target) throws SshTunnelException {
        return resolve(target);
    }

    /** The effective ssh_config entry for {@code target}: host name, port, user and identities filled in. */
    HostConfigEntry resolve(SshTarget target) throws SshTunnelException {
        HostConfigEntry entry;
        try {
            entry = config.resolveEffectiveHost(target.host(), target.port().orElse(0), null, target.user().orElse(null),
                    null, null);
        } catch (IOException | RuntimeException e) {
            throw new SshTunnelException(Failure.USAGE, "cannot apply ssh config to " + target + ": " + e.getMessage(), e);
        }
        if (entry == null) {
            entry = new HostConfigEntry(target.host(), target.host(), 0, null);
        }
        if (target.port().isPresent()) {
            entry.setPort(target.port().get());
        } else if (entry.getPort() <= 0) {
            entry.setPort(SshConstants.DEFAULT_PORT);
        }
        if (target.user().isPresent()) {
            entry.setUsername(target.user().get());
        } else if (entry.getUsername() == null || entry.getUsername().isEmpty()) {
            entry.setUsername(System.getProperty("user.name"));
        }
        if (entry.getHostName() == null || entry.getHostName().isEmpty()) {
            entry.setHostName(target.host());
        }
        List<String> ids = new ArrayList<>();
        options.identities().forEach(p -> ids.add(p.toAbsolutePath().toString()));
        ids.addAll(entry.getIdentities());
        entry.setIdentities(ids);
        return entry;
    }

    private static SshTunnelException connectFailure(SshTarget target, String where, Throwable e) {
        Throwable root = rootCause(e);
        String why;
        if (root instanceof ConnectException) {
            why = "connection refused (is sshd running and listening on that port?)";
        } else if (root instanceof UnknownHostException) {
            why = "unknown host '" + root.getMessage() + "' (not resolvable and not an ~/.ssh/config alias)";
        } else if (root instanceof SocketTimeoutException || String.valueOf(e.getMessage()).toLowerCase().contains("timeout")
                || String.valueOf(e.getMessage()).contains("timed out")) {
            why = "timed out";
        } else if (root instanceof java.nio.channels.UnresolvedAddressException) {
            why = "unknown host: the name does not resolve and is not an ~/.ssh/config alias";
        } else if (root instanceof NoRouteToHostException) {
            why = "no route to host";
        } else {
            why = String.valueOf(root.getMessage());
        }
        return new SshTunnelException(Failure.CONNECT, "cannot connect to " + where + " (" + target + "): " + why, e);
    }

    private SshTunnelException authFailure(String where, ClientSession session, AuthMethodsRecorder.Record methods,
            Throwable e) {
        Map<String, String> keyProblems = passphrases.failures();
        StringBuilder msg = new StringBuilder("authentication to ").append(where).append(" failed");
        String detail = String.valueOf(rootCause(e).getMessage());
        if (!session.isAuthenticated() && !keyProblems.isEmpty()) {
            keyProblems.forEach((k, v) -> msg.append("; ").append(k).append(": ").append(v));
        }
        if (!methods.offered().isEmpty()) {
            msg.append("; the server offers ").append(String.join(",", methods.offered())).append(", we tried ")
                    .append(methods.tried().isEmpty() ? "nothing" : String.join(",", methods.tried()));
        }
        if (detail.contains("No more authentication methods")) {
            msg.append(": the server accepted none of the offered credentials (keys: ")
                    .append(options.identities().isEmpty() && options.keyPairs().isEmpty() ? "ssh_config/default keys"
                            : options.identities() + (options.keyPairs().isEmpty() ? ""
                                    : " and " + options.keyPairs().size() + " in-memory key(s)"))
                    .append(options.useAgent() && options.agentSocket().isPresent() ? ", ssh-agent" : "")
                    .append(options.password().isPresent() ? ", password" : "").append(')');
        } else if (detail.toLowerCase().contains("closed") || detail.contains("Connection reset")) {
            msg.append(": the server closed the connection during authentication (").append(detail).append(')');
            return new SshTunnelException(Failure.CONNECT, msg.toString(), e);
        } else {
            msg.append(": ").append(detail);
        }
        return new AuthenticationException(msg.toString(), e);
    }

    /**
     * The message for a failed algorithm negotiation. MINA's text is "Unable to negotiate key exchange for WHAT
     * (client: A,B / server: C,D)"; the server's list is what the user can act on.
     */
    static String negotiationFailure(String where, SshTarget target, Throwable cause) {
        String text = String.valueOf(cause.getMessage());
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("for (.+?) \\(client: .*? / server: (.*)\\)").matcher(text);
        if (!m.find()) {
            return "the SSH server at " + where + " (" + target + ") and this client have no algorithm in common: "
                    + text;
        }
        String what = m.group(1).replace("kex algorithms", "key exchange").replace("server host key algorithms",
                "host key algorithm");
        String offered = m.group(2);
        boolean sha1Only = java.util.Arrays.stream(offered.split(",")).allMatch(a -> a.contains("sha1")
                || a.equals("ssh-rsa") || a.equals("ssh-dss") || a.startsWith("hmac-md5"));
        return "the SSH server at " + where + " (" + target + ") and this client have no " + what + " in common: the"
                + " server offers " + offered + (sha1Only ? "; these rely on SHA-1, which this client (like OpenSSH 8.8"
                + " and later) does not use — update the server or enable modern algorithms in its sshd_config"
                + " (e.g. curve25519-sha256, ssh-ed25519, rsa-sha2-256)" : "; see `ssh -Q` for what OpenSSH offers");
    }

    /**
     * For a failure before the server identified itself: what a new plain TCP connection to the server reads — its
     * first line (printable ASCII, at most 120 characters), "" when the server closes it without a word (or it cannot
     * be reached now), null when it stays silent for two seconds.
     */
    static String firstLine(String host, int port) {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress(host, port), 2000);
            s.setSoTimeout(2000);
            byte[] buf = new byte[120];
            int n = 0;
            java.io.InputStream in = s.getInputStream();
            try {
                for (int b; n < buf.length && (b = in.read()) >= 0 && b != '\n'; ) {
                    buf[n++] = (byte) (b >= 0x20 && b < 0x7f ? b : '?');
                }
            } catch (java.net.SocketTimeoutException silent) {
                if (n == 0) {
                    return null;
                }
            }
            return new String(buf, 0, n, java.nio.charset.StandardCharsets.US_ASCII).strip();
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static int disconnectCode(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof org.apache.sshd.common.SshException
                    && ((org.apache.sshd.common.SshException) t).getDisconnectCode() != 0) {
                return ((org.apache.sshd.common.SshException) t).getDisconnectCode();
            }
        }
        return 0;
    }

    static Throwable rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    /** Stops the client and every session it opened. */
    @Override
    public void close() {
        try {
            client.stop();
        } catch (RuntimeException e) {
            LOG.debug("stopping SSH client: {}", e.toString());
        }
    }
}
