package io.github.sshcontainer.docker;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.runtime.ContainerSummary;
import io.github.sshcontainer.tunnel.runtime.RuntimeAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link RuntimeAdapter} for Docker: a docker-java {@link DockerClient} over the tunnel's local socket, using
 * docker-java's zerodep HTTP transport. Found by {@link java.util.ServiceLoader} as {@code "docker"}; most programs
 * use {@link DockerOverSsh} instead of this class.
 *
 * <pre>{@code
 * RuntimeAdapter<DockerClient> docker = RuntimeAdapters.find("docker", DockerClient.class);
 * try (RuntimeConnection<DockerClient> c = RuntimeConnection.open(docker, target, sshOptions)) {
 *     c.client().versionCmd().exec();
 * }
 * }</pre>
 *
 * <p>The client's configuration starts from docker-java's defaults
 * ({@link DefaultDockerClientConfig#createDefaultConfigBuilder()}: {@code DOCKER_CONFIG} and the other environment
 * variables, {@code ~/.docker-java.properties}, system properties; {@code ~/.docker/config.json} for registry
 * credentials), with TLS verification off; the customizers
 * given to the constructor may change any of it. The Docker host is always the tunnel's. No API version is set
 * unless the customizer sets one: docker-java then sends unversioned paths ({@code /containers/json}) and the
 * daemon answers with its own current API version.
 *
 * <p>Timeouts: docker-java 3.5.1's transport reads unix sockets through the JDK's socket channels and ignores
 * {@code connectionTimeout} and {@code responseTimeout} there (they apply to a {@code localTcp} tunnel only, where a
 * response timeout also ends long silent calls such as {@code waitContainerCmd}). The readiness ping is bounded on its
 * own ({@link #withPingTimeout(Duration)}).
 */
public final class DockerAdapter implements RuntimeAdapter<DockerClient> {
    /** The name users type: {@code docker}. */
    public static final String NAME = "docker";

    /** How long the HTTP client waits to connect to a {@code localTcp} tunnel, unless the customizer says otherwise. */
    public static final Duration DEFAULT_CONNECTION_TIMEOUT = Duration.ofSeconds(30);

    /** How long one readiness ping ({@code GET /_ping}) may wait for the daemon's answer. */
    public static final Duration DEFAULT_PING_TIMEOUT = Duration.ofSeconds(10);

    private static final Logger LOG = LoggerFactory.getLogger(DockerAdapter.class);

    private final UnaryOperator<DefaultDockerClientConfig.Builder> configCustomizer;
    private final UnaryOperator<ZerodepDockerHttpClient.Builder> httpClientCustomizer;
    private final Duration pingTimeout;

    /** The adapter with docker-java's defaults (what {@link java.util.ServiceLoader} creates). */
    public DockerAdapter() {
        this(UnaryOperator.identity(), UnaryOperator.identity());
    }

    /**
     * An adapter whose clients are configured further by the two customizers, which run after this adapter has set
     * its defaults and before the tunnel's address is set as the Docker host.
     *
     * @param configCustomizer changes docker-java's client configuration (API version, registry credentials...)
     * @param httpClientCustomizer changes the HTTP transport (timeouts, maximum connections)
     */
    public DockerAdapter(UnaryOperator<DefaultDockerClientConfig.Builder> configCustomizer,
            UnaryOperator<ZerodepDockerHttpClient.Builder> httpClientCustomizer) {
        this(configCustomizer, httpClientCustomizer, DEFAULT_PING_TIMEOUT);
    }

    private DockerAdapter(UnaryOperator<DefaultDockerClientConfig.Builder> configCustomizer,
            UnaryOperator<ZerodepDockerHttpClient.Builder> httpClientCustomizer, Duration pingTimeout) {
        this.configCustomizer = Objects.requireNonNull(configCustomizer, "configCustomizer");
        this.httpClientCustomizer = Objects.requireNonNull(httpClientCustomizer, "httpClientCustomizer");
        this.pingTimeout = Objects.requireNonNull(pingTimeout, "pingTimeout");
        if (pingTimeout.isNegative() || pingTimeout.isZero()) {
            throw new IllegalArgumentException("ping timeout must be positive");
        }
    }

    /** This adapter with another limit for one readiness ping (default {@link #DEFAULT_PING_TIMEOUT}). */
    public DockerAdapter withPingTimeout(Duration timeout) {
        return new DockerAdapter(configCustomizer, httpClientCustomizer, timeout);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Class<DockerClient> clientType() {
        return DockerClient.class;
    }

    /** {@code /var/run/docker.sock} (rootful), then {@code /run/user/UID/docker.sock} (rootless). */
    @Override
    public List<String> socketCandidates(int remoteUid) {
        return List.of("/var/run/docker.sock", "/run/user/" + remoteUid + "/docker.sock");
    }

    @Override
    public String environmentVariable() {
        return "DOCKER_HOST";
    }

    /**
     * Builds a client for the tunnel's local unix socket (or loopback TCP port); does not connect yet.
     *
     * @throws IllegalArgumentException for a tunnel without a local socket or port ({@code inProcessOnly()})
     */
    @Override
    public DockerClient createClient(Tunnel tunnel) {
        URI host = localAddress(tunnel);
        DefaultDockerClientConfig.Builder configBuilder = DefaultDockerClientConfig.createDefaultConfigBuilder()
                // DOCKER_TLS_VERIFY and DOCKER_CERT_PATH describe this machine's Docker, not the tunnel's plain socket
                .withDockerTlsVerify(false);
        configBuilder = Objects.requireNonNull(configCustomizer.apply(configBuilder),
                "the Docker config customizer returned null");
        DockerClientConfig config = configBuilder.withDockerHost(host.toString()).build();

        ZerodepDockerHttpClient.Builder httpBuilder = new ZerodepDockerHttpClient.Builder()
                .connectionTimeout(DEFAULT_CONNECTION_TIMEOUT);
        httpBuilder = Objects.requireNonNull(httpClientCustomizer.apply(httpBuilder),
                "the HTTP client customizer returned null");
        ZerodepDockerHttpClient http = httpBuilder.dockerHost(config.getDockerHost()).sslConfig(null).build();
        LOG.debug("docker client for {} on {} over {}", tunnel.remote(), tunnel.target(), host);
        return DockerClientImpl.getInstance(config, http);
    }

    private static URI localAddress(Tunnel tunnel) {
        try {
            return tunnel.localUri();
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException("the docker adapter needs a tunnel with a local unix socket or TCP "
                    + "port (TunnelBuilder.privateLocalSocket(), the default, or localTcp(0)); this one has neither", e);
        }
    }

    /**
     * Sends {@code GET /_ping} and waits at most the ping timeout for the answer.
     *
     * @throws IOException saying what the daemon answered (status and body), that it did not answer in time, or why
     *         the connection failed
     */
    @Override
    public void checkReady(DockerClient client) throws IOException {
        FutureTask<Void> ping = new FutureTask<>(() -> client.pingCmd().exec());
        Thread pinger = new Thread(ping, "ssh-container-docker-ping");
        pinger.setDaemon(true);
        pinger.start();
        try {
            ping.get(pingTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            ping.cancel(true); // a read on a unix socket channel ends when its thread is interrupted
            throw new IOException("the Docker daemon did not answer GET /_ping within " + pingTimeout.toMillis()
                    + " ms", e);
        } catch (InterruptedException e) {
            ping.cancel(true);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the Docker daemon's answer to GET /_ping");
        } catch (ExecutionException e) {
            throw describe(e.getCause());
        }
    }

    private static IOException describe(Throwable failure) {
        if (failure instanceof DockerException) {
            // docker-java's message is "Status <code>: <body>"
            return new IOException("the Docker daemon answered GET /_ping with " + failure.getMessage(), failure);
        }
        return new IOException("no answer from the Docker daemon to GET /_ping: " + rootCause(failure), failure);
    }

    /** The innermost cause, as {@code Type: message}: docker-java wraps transport errors in RuntimeExceptions. */
    private static String rootCause(Throwable t) {
        Throwable cause = t;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause.getMessage() == null ? cause.getClass().getName()
                : cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }

    /** The server's version line, from {@code GET /version}. */
    @Override
    public String describe(DockerClient client) throws IOException {
        try {
            com.github.dockerjava.api.model.Version v = client.versionCmd().exec();
            return "Docker Engine " + v.getVersion() + ", API " + v.getApiVersion() + ", " + v.getOperatingSystem() + "/"
                    + v.getArch();
        } catch (RuntimeException e) {
            throw new IOException("the Docker daemon did not answer GET /version: " + rootCause(e), e);
        }
    }

    /** {@code GET /containers/json}: Docker's id, image, state, status ({@code Up 3 minutes}) and names. */
    @Override
    public List<ContainerSummary> listContainers(DockerClient client, boolean all) throws IOException {
        try {
            List<ContainerSummary> result = new ArrayList<>();
            for (Container c : client.listContainersCmd().withShowAll(all).exec()) {
                List<String> names = new ArrayList<>();
                if (c.getNames() != null) {
                    for (String name : c.getNames()) {
                        names.add(name.startsWith("/") ? name.substring(1) : name);
                    }
                }
                String state = c.getState() == null ? "unknown" : c.getState().toLowerCase(Locale.ROOT);
                result.add(new ContainerSummary(c.getId(), String.valueOf(c.getImage()), state,
                        c.getStatus() == null ? state : c.getStatus(), names));
            }
            return result;
        } catch (RuntimeException e) {
            throw new IOException("the Docker daemon did not answer GET /containers/json: " + rootCause(e), e);
        }
    }

    /** Closes the client's HTTP connection pool. */
    @Override
    public void closeClient(DockerClient client) throws IOException {
        client.close();
    }
}
