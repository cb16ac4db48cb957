package io.github.sshcontainer.tunnel;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

import io.github.sshcontainer.tunnel.internal.SshTunnel;

/**
 * Configures and opens a {@link Tunnel}. Default: a private local unix socket, {@link SshOptions#defaults()}.
 *
 * <pre>{@code
 * Tunnel t = Tunnel.to(target, RemoteEndpoint.unixSocket("/run/containerd/containerd.sock"))
 *         .options(options).localTcp(0).open();
 * }</pre>
 */
public final class TunnelBuilder {
    /** The default of {@link #replySpin(Duration)}. */
    public static final Duration DEFAULT_REPLY_SPIN = Duration.ofNanos(200_000);
    private static final Duration MAX_REPLY_SPIN = Duration.ofMillis(1);

    /** How the tunnel is offered locally. */
    public enum LocalMode { PRIVATE_SOCKET, SOCKET_PATH, TCP, IN_PROCESS }

    private final SshTarget target;
    private final RemoteEndpoint remote;
    private SshOptions options;
    private SshConnector connector;
    private LocalMode mode = LocalMode.PRIVATE_SOCKET;
    private Path socketPath;
    private InetAddress tcpAddress;
    private int tcpPort;
    private Duration drainTimeout = Duration.ofSeconds(5);
    private boolean verifyRemote = true;
    private int backlog = 4096;
    private Duration replySpin = DEFAULT_REPLY_SPIN;

    TunnelBuilder(SshTarget target, RemoteEndpoint remote) {
        this.target = Objects.requireNonNull(target, "target");
        this.remote = Objects.requireNonNull(remote, "remote");
    }

    /**
     * SSH options; a connector of its own is made from them.
     *
     * @throws IllegalArgumentException if a shared {@link #connector(SshConnector)} was given: it has its own options
     */
    public TunnelBuilder options(SshOptions sshOptions) {
        Objects.requireNonNull(sshOptions, "options");
        if (connector != null) {
            throw new IllegalArgumentException("both options() and connector() given: a shared connector brings its own"
                    + " options (connector.options()); pass one of them");
        }
        this.options = sshOptions;
        return this;
    }

    /**
     * A connector to share with other tunnels (its MINA client and threads); the tunnel does not close it.
     *
     * @throws IllegalArgumentException if {@link #options(SshOptions)} were given: they would be silently ignored
     */
    public TunnelBuilder connector(SshConnector shared) {
        Objects.requireNonNull(shared, "connector");
        if (options != null) {
            throw new IllegalArgumentException("both options() and connector() given: a shared connector brings its own"
                    + " options (connector.options()); pass one of them");
        }
        this.connector = shared;
        return this;
    }

    /** A private socket: a fresh 0700 directory under {@code $XDG_RUNTIME_DIR} or the temp dir (the default). */
    public TunnelBuilder privateLocalSocket() {
        this.mode = LocalMode.PRIVATE_SOCKET;
        return this;
    }

    /** A local unix socket at {@code path} (mode 0600). An existing non-socket file there is an error, never replaced. */
    public TunnelBuilder localSocket(Path path) {
        this.mode = LocalMode.SOCKET_PATH;
        this.socketPath = Objects.requireNonNull(path, "path");
        return this;
    }

    /** A TCP port on 127.0.0.1 ({@code 0} picks a free one). */
    public TunnelBuilder localTcp(int port) {
        return localTcp(InetAddress.getLoopbackAddress(), port);
    }

    /** A TCP port on a loopback address (127.0.0.1 or ::1); any other address is refused. */
    public TunnelBuilder localTcp(InetAddress loopback, int port) {
        if (!loopback.isLoopbackAddress()) {
            throw new IllegalArgumentException("local TCP address " + loopback.getHostAddress()
                    + " is not a loopback address; the tunnel only listens on 127.0.0.1 or ::1");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("local port " + port + " is not from 0 to 65535");
        }
        this.mode = LocalMode.TCP;
        this.tcpAddress = loopback;
        this.tcpPort = port;
        return this;
    }

    /** No socket file and no port: only {@link Tunnel#openConnection()}. */
    public TunnelBuilder inProcessOnly() {
        this.mode = LocalMode.IN_PROCESS;
        return this;
    }

    /** How long {@link Tunnel#close()} lets live connections finish (default 5 s). */
    public TunnelBuilder drainTimeout(Duration timeout) {
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("drain timeout must not be negative");
        }
        this.drainTimeout = timeout;
        return this;
    }

    /** Whether {@link #open()} checks the remote endpoint answers by opening one channel (default true). */
    public TunnelBuilder verifyRemote(boolean verify) {
        this.verifyRemote = verify;
        return this;
    }

    /**
     * How long a thread reading an in-process connection ({@link Tunnel#openConnection()}) spins (yielding the CPU)
     * for the reply to what it has just written before it parks (default 200 µs; {@link Duration#ZERO} never
     * spins). Waking a parked thread costs tens of microseconds, on a virtual machine often more than the round
     * trip's SSH work, so a short spin makes small requests markedly faster at the cost of CPU while waiting. It is
     * bounded: a connection whose last reply took longer than this parks at once, and at most one thread fewer than
     * there are CPUs spins at a time (none on one CPU). Local-socket connections are not affected.
     *
     * @throws IllegalArgumentException if negative or over 1 ms
     */
    public TunnelBuilder replySpin(Duration spin) {
        if (spin.isNegative() || spin.compareTo(MAX_REPLY_SPIN) > 0) {
            throw new IllegalArgumentException("reply spin must be between 0 (off) and " + MAX_REPLY_SPIN.toMillis()
                    + " ms, got " + spin.toNanos() / 1000 + " µs: a longer spin burns a core while a slow reply comes");
        }
        this.replySpin = spin;
        return this;
    }

    /** The local listen backlog (default 4096, capped by the kernel's somaxconn). */
    public TunnelBuilder backlog(int listenBacklog) {
        if (listenBacklog < 1) {
            throw new IllegalArgumentException("backlog must be positive");
        }
        this.backlog = listenBacklog;
        return this;
    }

    /**
     * Connects, authenticates, checks the remote endpoint, and starts listening. Returns only when the local
     * endpoint accepts connections.
     *
     * @throws SshTunnelException typed by {@link Failure}: host key, authentication, connect, remote unavailable,
     *         usage (bad local path)
     */
    public Tunnel open() throws SshTunnelException {
        return SshTunnel.open(this);
    }

    // accessors for the implementation
    public SshTarget target() {
        return target;
    }

    public RemoteEndpoint remote() {
        return remote;
    }

    public SshOptions options() {
        return options != null ? options : connector != null ? connector.options() : SshOptions.defaults();
    }

    public SshConnector sharedConnector() {
        return connector;
    }

    public LocalMode mode() {
        return mode;
    }

    public Path socketPath() {
        return socketPath;
    }

    public InetAddress tcpAddress() {
        return tcpAddress;
    }

    public int tcpPort() {
        return tcpPort;
    }

    public Duration drainTimeout() {
        return drainTimeout;
    }

    public boolean verifyRemote() {
        return verifyRemote;
    }

    public int backlog() {
        return backlog;
    }

    public Duration replySpin() {
        return replySpin;
    }
}
