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
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.github.sshcontainer.tunnel.RemoteEndpoint;
import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.TunnelConnection;
import io.github.sshcontainer.tunnel.embedded.EmbeddedSshServer;
import org.apache.sshd.common.config.keys.KeyUtils;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code ssh-container demo}: the whole path on one machine. Starts the embedded SSH server on 127.0.0.1 (ephemeral
 * port, fresh host key that the client pins — strict checking, nothing insecure), finds the runtime sockets here,
 * and asks each runtime for its version through an SSH tunnel. With no runtime installed it says what it probed.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Try the tunnel on this machine: an embedded SSH server on 127.0.0.1, the local runtime",
            "sockets forwarded through it, and each runtime's version asked for over SSH."})
final class DemoCommand implements Callable<Integer> {
    private static final Pattern VERSION = Pattern.compile("\"Version\"\\s*:\\s*\"([^\"]+)\"");
    private static final Pattern API_VERSION = Pattern.compile("\"ApiVersion\"\\s*:\\s*\"([^\"]+)\"");

    @Spec
    CommandSpec spec;

    @picocli.CommandLine.Option(names = "--socket", paramLabel = "RUNTIME=PATH",
            description = "Probe this socket instead of the default locations (repeatable), e.g. docker=/tmp/d.sock.")
    java.util.Map<String, Path> sockets = new java.util.LinkedHashMap<>();

    /** A local socket the demo looks for. */
    record Candidate(KnownRuntime runtime, Path socket) {
    }

    private List<Candidate> probed() {
        if (sockets.isEmpty()) {
            return candidates();
        }
        List<Candidate> chosen = new ArrayList<>();
        sockets.forEach((runtime, path) -> chosen.add(new Candidate(KnownRuntime.parse(runtime), path)));
        return chosen;
    }

    static List<Candidate> candidates() {
        String uid = uid();
        List<Candidate> c = new ArrayList<>();
        c.add(new Candidate(KnownRuntime.DOCKER, Paths.get("/var/run/docker.sock")));
        c.add(new Candidate(KnownRuntime.DOCKER, Paths.get("/run/user/" + uid + "/docker.sock")));
        c.add(new Candidate(KnownRuntime.PODMAN, Paths.get("/run/podman/podman.sock")));
        c.add(new Candidate(KnownRuntime.PODMAN, Paths.get("/run/user/" + uid + "/podman/podman.sock")));
        c.add(new Candidate(KnownRuntime.CONTAINERD, Paths.get("/run/containerd/containerd.sock")));
        return c;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        probed(); // an unknown runtime name in --socket is a usage error before anything starts
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
            List<Candidate> probed = probed();
            for (Candidate c : probed) {
                if (!Files.exists(c.socket(), LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                found++;
                out.println(describe(c, target, options));
            }
            if (found == 0) {
                out.println("No container runtime socket found on this machine. Probed:");
                probed.forEach(c -> out.println("  " + c.socket() + "  (" + c.runtime().name().toLowerCase() + ")"));
                out.println("To reach a real host, run for example:");
                out.println("  java -jar cli/target/ssh-container.jar forward deploy@build-host");
                out.println("and use the DOCKER_HOST line it prints.");
            }
            out.flush();
            return 0;
        } finally {
            Files.deleteIfExists(knownHosts);
            Files.deleteIfExists(dir);
        }
    }

    private static String describe(Candidate c, SshTarget target, SshOptions options) {
        String name = c.runtime().name().toLowerCase();
        try (Tunnel tunnel = Tunnel.to(target, RemoteEndpoint.unixSocket(c.socket().toString())).options(options)
                .inProcessOnly().open()) {
            if (c.runtime() == KnownRuntime.CONTAINERD) {
                return "  " + name + "  " + c.socket() + "  reachable through SSH (gRPC)";
            }
            String body = get(tunnel, "/version");
            return "  " + name + "  " + c.socket() + "  version " + find(VERSION, body) + ", API " + find(API_VERSION, body)
                    + "  — asked through SSH (" + tunnel.stats().bytesFromRemote() + " bytes back)";
        } catch (IOException | RuntimeException e) {
            return "  " + name + "  " + c.socket() + "  not answering through SSH: " + e.getMessage();
        }
    }

    /** One HTTP/1.0 GET over an in-process tunnel connection; the body of a 200 answer. */
    static String get(Tunnel tunnel, String path) throws IOException {
        try (TunnelConnection c = tunnel.openConnection()) {
            c.outputStream().write(("GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String response = new String(c.inputStream().readAllBytes(), StandardCharsets.UTF_8);
            int headerEnd = response.indexOf("\r\n\r\n");
            String status = response.lines().findFirst().orElse("");
            if (!status.matches("HTTP/1\\.\\d 200.*") || headerEnd < 0) {
                throw new IOException("unexpected answer: " + status);
            }
            return response.substring(headerEnd + 4);
        }
    }

    private static String find(Pattern p, String body) {
        Matcher m = p.matcher(body);
        return m.find() ? m.group(1) : "?";
    }

    private static String uid() {
        try {
            return String.valueOf(Files.getAttribute(Paths.get("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "0";
        }
    }
}
