package io.github.sshcontainer.examples;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import io.github.sshcontainer.tunnel.RemoteEndpoint;
import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.Tunnel;

/**
 * The tunnel alone, with a plain HTTP client: a remote unix socket that speaks HTTP (Docker's, Podman's, any
 * other) is offered on a free 127.0.0.1 port, and the JDK's {@link HttpClient} — which knows nothing of unix
 * sockets or SSH — sends one GET to it.
 *
 * <pre>
 * java io.github.sshcontainer.examples.TunnelExample [-i KEY] [--known-hosts FILE] [--ssh-config none|FILE]
 *      [--socket PATH] [--path HTTP-PATH] TARGET
 *
 * --socket  the remote unix socket (default /var/run/docker.sock)
 * --path    what to GET (default /_ping)
 * </pre>
 */
public final class TunnelExample {
    private TunnelExample() {
    }

    public static void main(String[] args) throws Exception {
        SshOptions.Builder ssh = SshOptions.builder();
        String target = null;
        String socket = "/var/run/docker.sock";
        String path = "/_ping";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "-i" -> ssh.identity(Path.of(value(args, ++i)));
                case "--known-hosts" -> ssh.knownHosts(Path.of(value(args, ++i)));
                case "--ssh-config" -> {
                    String file = value(args, ++i);
                    ssh.sshConfig(file.equals("none") ? null : Path.of(file));
                }
                case "--socket" -> socket = value(args, ++i);
                case "--path" -> path = value(args, ++i);
                default -> target = args[i];
            }
        }
        if (target == null) {
            usage("no TARGET");
        }

        // 1. The remote socket on a free loopback port (127.0.0.1 only, never a wider address)
        try (Tunnel tunnel = Tunnel.to(SshTarget.parse(target), RemoteEndpoint.unixSocket(socket))
                .options(ssh.build()).localTcp(0).open()) {
            int port = tunnel.localTcpAddress().orElseThrow().getPort();
            System.out.println(socket + " on " + tunnel.target() + " is at " + tunnel.localUri());

            // 2. Any HTTP client works now
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + path)).timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
            System.out.println("GET " + path + " -> " + answer.statusCode() + " " + answer.body().strip());
            answer.headers().firstValue("Server").ifPresent(s -> System.out.println("Server: " + s));
            System.out.println(tunnel.stats().bytesFromRemote() + " bytes came back through SSH");
        }
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            usage(args[i - 1] + " needs a value");
        }
        return args[i];
    }

    private static void usage(String problem) {
        System.err.println(problem);
        System.err.println("usage: TunnelExample [-i KEY] [--known-hosts FILE] [--ssh-config none|FILE] [--socket PATH]"
                + " [--path HTTP-PATH] TARGET");
        System.exit(2);
    }
}
