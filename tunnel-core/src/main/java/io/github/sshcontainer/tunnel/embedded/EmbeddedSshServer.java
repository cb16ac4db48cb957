package io.github.sshcontainer.tunnel.embedded;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

import org.apache.sshd.common.channel.ChannelFactory;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.auth.UserAuthFactory;
import org.apache.sshd.server.auth.password.UserAuthPasswordFactory;
import org.apache.sshd.server.auth.pubkey.UserAuthPublicKeyFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small in-process SSH server (Apache MINA SSHD) that forwards to local unix sockets — OpenSSH's
 * {@code direct-streamlocal@openssh.com}, what {@code ssh -L local.sock:/var/run/docker.sock host} asks for — and to
 * loopback TCP ports ({@code direct-tcpip}). A test peer for the tunnel and the engine of the CLI's {@code demo}.
 *
 * <pre>{@code
 * try (EmbeddedSshServer server = EmbeddedSshServer.builder().authorizedKey(clientKey).start()) {
 *     Files.writeString(knownHosts, server.knownHostsLine() + "\n");  // then: ssh -p server.port() ...
 * }
 * }</pre>
 *
 * <p>What it offers, and nothing more:
 * <ul>
 *   <li>host key: a fresh in-memory ed25519 key (EC P-256 if MINA has no EdDSA support), never written anywhere;</li>
 *   <li>authentication: {@code publickey} with the {@linkplain Builder#authorizedKey authorized keys} (any user
 *       name), and {@code password} only if {@linkplain Builder#password configured} — no keyboard-interactive,
 *       GSSAPI or host-based;</li>
 *   <li>channels: {@code direct-streamlocal@openssh.com} to sockets the {@linkplain Builder#allowSocket filter}
 *       accepts (absolute paths only), {@code direct-tcpip} to loopback destinations only, and {@code session}
 *       for {@code exec id -u} (the server process's uid); no shell, no remote/agent/X11 forwarding;</li>
 *   <li>no idle timeout (a quiet forward such as {@code docker events} stays up).</li>
 * </ul>
 */
public final class EmbeddedSshServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedSshServer.class);

    private final SshServer sshd;
    private final StreamLocalServerChannel.Factory streamLocal;
    private final InetAddress bindAddress;
    private final int port;
    private final PublicKey hostPublicKey;

    private EmbeddedSshServer(SshServer sshd, StreamLocalServerChannel.Factory streamLocal, InetAddress bindAddress,
                              int port, PublicKey hostPublicKey) {
        this.sshd = sshd;
        this.streamLocal = streamLocal;
        this.bindAddress = bindAddress;
        this.port = port;
        this.hostPublicKey = hostPublicKey;
    }

    /**
     * A builder with the defaults: 127.0.0.1, an ephemeral port, no credentials (add at least one), every unix
     * socket allowed.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the host key clients must expect */
    public PublicKey hostPublicKey() {
        return hostPublicKey;
    }

    /** @return the TCP port the server listens on (the actual one when started with port 0) */
    public int port() {
        return port;
    }

    /** @return the address the server listens on, as a literal, e.g. {@code 127.0.0.1} or {@code ::1} */
    public String host() {
        return bindAddress.getHostAddress();
    }

    /** @return the address the server listens on */
    public InetAddress bindAddress() {
        return bindAddress;
    }

    /**
     * The OpenSSH {@code known_hosts} line for this server, e.g. {@code [127.0.0.1]:40123 ssh-ed25519 AAAA…}.
     *
     * @return one line, without line terminator
     */
    public String knownHostsLine() {
        String host = host();
        if (bindAddress instanceof Inet6Address) {
            int zone = host.indexOf('%');
            if (zone >= 0) {
                host = host.substring(0, zone);
            }
        }
        String hostPattern = port == 22 && !(bindAddress instanceof Inet6Address) ? host : "[" + host + "]:" + port;
        return hostPattern + " " + PublicKeyEntry.toString(hostPublicKey);
    }

    /** Stops the server, closing every session, channel and forwarded socket; idempotent. */
    @Override
    public void close() throws IOException {
        try {
            sshd.stop(true);
        } finally {
            streamLocal.closeAll();
        }
        LOG.debug("embedded SSH server on {}:{} stopped", host(), port);
    }

    /** Number of {@code direct-streamlocal@openssh.com} channels currently open (diagnostics, tests). */
    int openStreamLocalChannels() {
        return streamLocal.openChannels();
    }

    @Override
    public String toString() {
        return "EmbeddedSshServer[" + host() + ":" + port + "]";
    }

    /**
     * Configures and starts an {@link EmbeddedSshServer}. Not thread-safe; {@link #start()} may be called more than
     * once (each call starts a separate server with its own host key).
     *
     * <pre>{@code
     * EmbeddedSshServer server = EmbeddedSshServer.builder()
     *         .authorizedKey(clientKey).allowedSocketDirectory(Path.of("/run/user/1000")).start();
     * String knownHosts = server.knownHostsLine();
     * }</pre>
     */
    public static final class Builder {
        private InetAddress bindAddress = InetAddress.getLoopbackAddress();
        private int port;
        private final List<PublicKey> authorizedKeys = new ArrayList<>();
        private String user;
        private byte[] password;
        private final List<Path> socketDirectories = new ArrayList<>();
        private Predicate<Path> socketFilter = path -> true;

        private Builder() {
        }

        /**
         * The address to listen on (default 127.0.0.1).
         *
         * @param  address                  a specific address
         * @return                          this builder
         * @throws IllegalArgumentException for a wildcard address (0.0.0.0, ::): this server must not be reachable
         *                                  from everywhere by accident
         */
        public Builder bindAddress(InetAddress address) {
            Objects.requireNonNull(address, "address");
            if (address.isAnyLocalAddress()) {
                throw new IllegalArgumentException("refusing to listen on the wildcard address " + address.getHostAddress()
                                                   + "; give a specific address such as 127.0.0.1");
            }
            this.bindAddress = address;
            return this;
        }

        /**
         * The TCP port (default 0: an ephemeral port, see {@link EmbeddedSshServer#port()}).
         *
         * @param  port 0..65535
         * @return      this builder
         */
        public Builder port(int port) {
            if (port < 0 || port > 0xFFFF) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
            this.port = port;
            return this;
        }

        /**
         * Authorizes a public key, for any user name. Repeatable.
         *
         * @param  key the client's public key
         * @return     this builder
         */
        public Builder authorizedKey(PublicKey key) {
            authorizedKeys.add(Objects.requireNonNull(key, "key"));
            return this;
        }

        /**
         * Also accepts password authentication for this one user and password.
         *
         * @param  user     the user name
         * @param  password the password
         * @return          this builder
         */
        public Builder password(String user, String password) {
            this.user = Objects.requireNonNull(user, "user");
            this.password = Objects.requireNonNull(password, "password").getBytes(StandardCharsets.UTF_8);
            return this;
        }

        /**
         * Allows forwarding to unix sockets inside this directory (repeatable: any of them). Once one is given,
         * sockets elsewhere are refused. Paths are compared after normalization, and after resolving symbolic links
         * when the socket exists.
         *
         * @param  directory a directory
         * @return           this builder
         */
        public Builder allowedSocketDirectory(Path directory) {
            socketDirectories.add(Objects.requireNonNull(directory, "directory").toAbsolutePath().normalize());
            return this;
        }

        /**
         * Decides which unix sockets may be forwarded to (default: all); combined with
         * {@link #allowedSocketDirectory(Path)} — both must allow. Called with absolute paths only; relative ones are
         * always refused.
         *
         * @param  filter the decision, called on a MINA I/O thread
         * @return        this builder
         */
        public Builder allowSocket(Predicate<Path> filter) {
            this.socketFilter = Objects.requireNonNull(filter, "filter");
            return this;
        }

        /**
         * Generates a host key and starts listening.
         *
         * @return                       the running server
         * @throws IllegalStateException if no authorized key and no password were given
         * @throws IOException           if the server cannot be started (e.g. the port is taken)
         */
        public EmbeddedSshServer start() throws IOException {
            if (authorizedKeys.isEmpty() && password == null) {
                throw new IllegalStateException("no credentials: add an authorized key or a password");
            }
            KeyPair hostKey = generateHostKey();
            List<PublicKey> keys = List.copyOf(authorizedKeys);
            String passwordUser = user;
            byte[] passwordBytes = password == null ? null : password.clone();
            StreamLocalServerChannel.Factory streamLocal
                    = new StreamLocalServerChannel.Factory(socketPredicate(List.copyOf(socketDirectories), socketFilter));

            SshServer sshd = SshServer.setUpDefaultServer();
            sshd.setHost(bindAddress.getHostAddress());
            sshd.setPort(port);
            sshd.setKeyPairProvider(KeyPairProvider.wrap(hostKey));

            List<UserAuthFactory> methods = new ArrayList<>();
            methods.add(UserAuthPublicKeyFactory.INSTANCE);
            sshd.setPublickeyAuthenticator((username, key, session) -> isAuthorized(keys, key));
            if (passwordBytes != null) {
                methods.add(UserAuthPasswordFactory.INSTANCE);
                sshd.setPasswordAuthenticator((username, attempt, session) -> passwordUser.equals(username)
                        && attempt != null
                        && MessageDigest.isEqual(passwordBytes, attempt.getBytes(StandardCharsets.UTF_8)));
            } else {
                sshd.setPasswordAuthenticator(null);
            }
            sshd.setKeyboardInteractiveAuthenticator(null);
            sshd.setGSSAuthenticator(null);
            sshd.setHostBasedAuthenticator(null);
            sshd.setUserAuthFactories(methods);

            // MINA's defaults: session + direct-tcpip (an unmodifiable list).
            List<ChannelFactory> channels = new ArrayList<>(sshd.getChannelFactories());
            channels.add(streamLocal);
            sshd.setChannelFactories(channels);
            sshd.setForwardingFilter(new LoopbackOnlyForwardingFilter());
            sshd.setCommandFactory(new IdCommandFactory());
            sshd.setShellFactory(null);

            CoreModuleProperties.IDLE_TIMEOUT.set(sshd, Duration.ZERO);

            try {
                sshd.start();
            } catch (IOException | RuntimeException e) {
                sshd.stop(true);
                throw e;
            }
            int actualPort = boundPort(sshd);
            EmbeddedSshServer server = new EmbeddedSshServer(sshd, streamLocal, bindAddress, actualPort,
                    hostKey.getPublic());
            LOG.info("embedded SSH server listening on {}:{} (host key {} {})", server.host(), actualPort,
                    KeyUtils.getKeyType(hostKey.getPublic()), KeyUtils.getFingerPrint(hostKey.getPublic()));
            return server;
        }

        private static boolean isAuthorized(List<PublicKey> keys, PublicKey offered) {
            for (PublicKey key : keys) {
                if (KeyUtils.compareKeys(key, offered)) {
                    return true;
                }
            }
            return false;
        }

        private static KeyPair generateHostKey() throws IOException {
            try {
                if (SecurityUtils.isEDDSACurveSupported()) {
                    return KeyUtils.generateKeyPair(KeyPairProvider.SSH_ED25519, 256);
                }
                return KeyUtils.generateKeyPair(KeyPairProvider.ECDSA_SHA2_NISTP256, 256);
            } catch (GeneralSecurityException e) {
                throw new IOException("cannot generate a host key: " + e.getMessage(), e);
            }
        }

        private static int boundPort(SshServer sshd) {
            for (SocketAddress address : sshd.getBoundAddresses()) {
                if (address instanceof InetSocketAddress) {
                    return ((InetSocketAddress) address).getPort();
                }
            }
            return sshd.getPort();
        }

        private static Predicate<Path> socketPredicate(List<Path> directories, Predicate<Path> filter) {
            return path -> {
                Path normalized = path.normalize();
                if (!directories.isEmpty() && !insideAny(normalized, directories)) {
                    return false;
                }
                return filter.test(normalized);
            };
        }

        /** An existing socket is judged by its real path (no escape through links), a missing one by its name. */
        private static boolean insideAny(Path socket, List<Path> directories) {
            Path real = realPathIfExists(socket);
            for (Path directory : directories) {
                boolean inside = real != null
                        ? real.startsWith(realPathOrSelf(directory))
                        : socket.startsWith(directory);
                if (inside) {
                    return true;
                }
            }
            return false;
        }

        private static Path realPathIfExists(Path path) {
            try {
                return Files.exists(path) ? path.toRealPath() : null;
            } catch (IOException e) {
                return null;
            }
        }

        private static Path realPathOrSelf(Path path) {
            Path real = realPathIfExists(path);
            return real == null ? path : real;
        }
    }
}
