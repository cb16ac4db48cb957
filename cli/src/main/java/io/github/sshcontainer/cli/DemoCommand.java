package io.github.sshcontainer.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import io.github.sshcontainer.tunnel.RemoteEndpoint;
import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.embedded.EmbeddedSshServer;
import io.github.sshcontainer.tunnel.runtime.Readiness;
import io.github.sshcontainer.tunnel.runtime.RuntimeAdapter;
import io.github.sshcontainer.tunnel.runtime.RuntimeAdapters;
import io.github.sshcontainer.tunnel.runtime.RuntimeConnection;
import org.apache.sshd.common.config.keys.KeyUtils;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ssh-container demo}: the whole path on one machine. Starts the embedded SSH server on 127.0.0.1 (ephemeral
 * port, fresh host key that the client pins — strict checking, nothing insecure), finds the runtime sockets here
 * (the candidates of every runtime adapter on the class path), and asks each runtime for its version and its
 * containers through an SSH tunnel with the runtime's own client, like {@code ps}. With no runtime installed it
 * says what it probed and how to reach a real host.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Try the tunnel on this machine: an embedded SSH server on 127.0.0.1, the local runtime",
            "sockets forwarded through it, each runtime's version asked for over SSH and its containers listed."})
final class DemoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--socket", paramLabel = "RUNTIME=PATH",
            description = "Probe this socket instead of the default locations (repeatable), e.g. docker=/tmp/d.sock.")
    Map<String, Path> sockets = new LinkedHashMap<>();

    /** A local socket the demo looks for. */
    record Candidate(RuntimeAdapter<?> runtime, Path socket) {
    }

    private List<Candidate> probed() {
        List<Candidate> chosen = new ArrayList<>();
        if (sockets.isEmpty()) {
            int uid = uid();
            for (RuntimeAdapter<?> a : RuntimeAdapters.all()) {
                a.socketCandidates(uid).forEach(p -> chosen.add(new Candidate(a, Paths.get(p))));
            }
        } else {
            sockets.forEach((runtime, path) -> chosen.add(new Candidate(RuntimeAdapters.find(runtime), path)));
        }
        return chosen;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        List<Candidate> probed = probed(); // an unknown runtime name in --socket is a usage error before anything starts
        KeyPair clientKey = KeyUtils.generateKeyPair("ssh-ed25519", 256);
        Path dir = Files.createTempDirectory("ssh-container-demo-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path knownHosts = dir.resolve("known_hosts");
        try (EmbeddedSshServer server = EmbeddedSshServer.builder().authorizedKey(clientKey.getPublic()).start()) {
            Files.writeString(knownHosts, server.knownHostsLine() + "\n", StandardCharsets.US_ASCII);
            SshTarget target = SshTarget.of(System.getProperty("user.name"), server.host(), server.port());
            SshOptions options = SshOptions.builder().identity(clientKey).knownHosts(knownHosts).sshConfig(null)
                    .useAgent(false).connectTimeout(Duration.ofSeconds(10)).build();
            out.println("Embedded SSH server on " + target + ", host key "
                    + KeyUtils.getFingerPrint(server.hostPublicKey()) + " pinned in a private known_hosts.");
            int found = 0;
            String host = server.host() + ":" + server.port();
            List<ContainerTable.Row> rows = new ArrayList<>();
            for (Candidate c : probed) {
                if (Files.exists(c.socket(), LinkOption.NOFOLLOW_LINKS)) {
                    found++;
                    out.println(describe(c, target, options, host, rows));
                }
            }
            if (found == 0) {
                out.println("No container runtime socket found on this machine. Probed:");
                probed.forEach(c -> out.println("  " + c.socket() + "  (" + c.runtime().name() + ")"));
                out.println("To reach a real host, run for example:");
                out.println("  java -jar cli/target/ssh-container.jar ps deploy@build-host");
                out.println("  java -jar cli/target/ssh-container.jar exec deploy@build-host -- docker ps");
                out.println("  java -jar cli/target/ssh-container.jar forward deploy@build-host   (prints DOCKER_HOST=...)");
            } else {
                out.println();
                if (rows.isEmpty()) {
                    out.println("No containers in any of these runtimes (asked through SSH, as `ps --all` would).");
                } else {
                    out.println("Containers (all of them, as `ps --all` lists them), asked through SSH:");
                    ContainerTable.printTable(rows, out);
                }
            }
            out.flush();
            return 0;
        } finally {
            Files.deleteIfExists(knownHosts);
            Files.deleteIfExists(dir);
        }
    }

    /** One line about the runtime behind {@code c}'s socket; its containers (or why not) go to {@code rows}. */
    private static String describe(Candidate c, SshTarget target, SshOptions options, String host,
            List<ContainerTable.Row> rows) {
        String name = c.runtime().name().toLowerCase(Locale.ROOT);
        try {
            Tunnel tunnel = Tunnel.to(target, RemoteEndpoint.unixSocket(c.socket().toString())).options(options).open();
            return "  " + name + "  " + c.socket() + "  " + askThrough(c.runtime(), tunnel, host, rows);
        } catch (IOException | RuntimeException e) {
            rows.add(ContainerTable.Row.error(host, name, "not answering through SSH: " + e.getMessage(),
                    ErrorReporter.exitCode(e)));
            return "  " + name + "  " + c.socket() + "  not answering through SSH: " + e.getMessage();
        }
    }

    /**
     * Builds the runtime's own client over the tunnel, checks it is ready, asks what it is and lists its
     * containers.
     */
    private static <C> String askThrough(RuntimeAdapter<C> adapter, Tunnel tunnel, String host,
            List<ContainerTable.Row> rows) throws IOException {
        try (RuntimeConnection<C> connection = RuntimeConnection.over(adapter, tunnel, Readiness.attempts(1,
                Duration.ZERO))) {
            String what = adapter.describe(connection.client());
            rows.addAll(ContainerLister.listWith(host, adapter, connection.client(), true));
            return what + "  — asked through SSH with the " + adapter.name() + " client ("
                    + tunnel.stats().bytesFromRemote() + " bytes back)";
        }
    }

    private static int uid() {
        try {
            return ((Number) Files.getAttribute(Paths.get("/proc/self"), "unix:uid")).intValue();
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            return 0;
        }
    }
}
