package io.github.sshcontainer.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import io.github.sshcontainer.tunnel.RemoteEndpoint;
import io.github.sshcontainer.tunnel.SshConnector;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.TunnelBuilder;
import io.github.sshcontainer.tunnel.runtime.RuntimeAdapter;
import io.github.sshcontainer.tunnel.runtime.RuntimeAdapters;
import io.github.sshcontainer.tunnel.runtime.SocketDiscovery;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code ssh-container forward}: carries a remote runtime socket to a private local socket (or a loopback TCP
 * port), prints the one line a client needs ({@code DOCKER_HOST=unix:///…}), and holds the tunnel until
 * SIGINT or SIGTERM.
 */
@Command(name = "forward", mixinStandardHelpOptions = true, separator = " ",
        description = {"Forward a remote unix socket (default /var/run/docker.sock) to a private local socket over SSH.",
            "Prints one line, e.g. DOCKER_HOST=unix:///tmp/ssh-container-123/docker.sock (then one per --tcp forward),",
            "then holds the tunnel",
            "until interrupted (Ctrl-C or SIGTERM), removes the socket and exits 0."},
        footer = {"", "Examples:", "  ssh-container forward deploy@build-1",
            "  ssh-container forward --runtime podman ssh://core@podman-1:2222",
            "  ssh-container forward --remote-socket /run/user/1000/docker.sock --local-tcp 2375 build-1",
            "  ssh-container forward --tcp 8080:127.0.0.1:32768 deploy@build-1"})
final class ForwardCommand implements Callable<Integer> {

    static final class RemoteChoice {
        @Option(names = "--remote-socket", paramLabel = "PATH", description = "Remote unix socket to forward.")
        String remoteSocket;

        @Option(names = "--runtime", paramLabel = "NAME",
                description = "Runtime whose default socket to forward and whose variable to print (docker; the"
                        + " adapters on the class path decide).")
        String runtime;
    }

    static final class LocalChoice {
        @Option(names = "--local-socket", paramLabel = "PATH",
                description = "Local socket path (mode 0600). Default: a fresh private directory (0700) under"
                        + " $XDG_RUNTIME_DIR or the temp dir.")
        Path localSocket;

        @Option(names = "--local-tcp", paramLabel = "PORT", arity = "0..1", fallbackValue = "0",
                description = "Listen on 127.0.0.1:PORT instead (no PORT: a free one). Never on other addresses.")
        Integer localTcp;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    RemoteChoice remote = new RemoteChoice();

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    LocalChoice local = new LocalChoice();

    @Option(names = "--tcp", paramLabel = "[LOCALPORT:]HOST:PORT", converter = TcpForward.Converter.class,
            description = {"Also forward 127.0.0.1:LOCALPORT to HOST:PORT as the SSH server resolves it (like ssh -L),"
                    + " over the same SSH session, e.g. a container's published port: --tcp 8080:127.0.0.1:32768."
                    + " Repeatable. No LOCALPORT, or 0: a free port. Each is printed after the first line as"
                    + " tcp://127.0.0.1:LOCALPORT -> HOST:PORT."})
    List<TcpForward> tcpForwards = new ArrayList<>();

    @Mixin
    SshOptionsMixin ssh;

    @Parameters(paramLabel = "TARGET", description = "ssh://[user@]host[:port], [user@]host or an ~/.ssh/config alias.")
    String target;

    @Spec
    CommandSpec spec;

    /**
     * The named remote socket, else the target's path, else the runtime's candidates (rootful, then rootless for the
     * remote uid) — the first that exists.
     */
    private Tunnel open(RuntimeAdapter<?> runtime, SshTarget sshTarget, SshConnector connector) throws IOException {
        if (remote.remoteSocket != null) {
            return local(Tunnel.to(sshTarget, RemoteEndpoint.unixSocket(remote.remoteSocket)).connector(connector))
                    .open();
        }
        return SocketDiscovery.open(runtime, sshTarget, connector, this::local);
    }

    private TunnelBuilder local(TunnelBuilder builder) {
        if (local.localSocket != null) {
            builder.localSocket(local.localSocket);
        } else if (local.localTcp != null) {
            builder.localTcp(local.localTcp);
        }
        return builder;
    }

    @Override
    public Integer call() throws Exception {
        RuntimeAdapter<?> runtime = RuntimeAdapters.find(remote.runtime == null ? "docker" : remote.runtime);
        SshTarget sshTarget = ssh.target(target);
        CountDownLatch stop = Signals.onTermination();
        try (SshConnector connector = SshConnector.create(ssh.toOptions()); Tunnel tunnel = open(runtime, sshTarget,
                connector)) {
            List<String> forwarded = new ArrayList<>();
            for (TcpForward tcp : tcpForwards) {
                Tunnel forward = tunnel.forward(tcp.remote(), tcp.localPort());
                forwarded.add(forward.localUri() + " -> " + tcp.remote());
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println(runtime.environmentVariable() + "=" + runtime.environmentValue(tunnel));
            forwarded.forEach(out::println);
            out.flush();
            stop.await();
        }
        return 0;
    }
}
