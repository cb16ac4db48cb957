package io.github.sshcontainer.examples;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import io.github.sshcontainer.tunnel.RemoteEndpoint;
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
        ExampleArgs a = ExampleArgs.parse(args, "TunnelExample [-i KEY] [--known-hosts FILE] [--ssh-config none|FILE]"
                + " [--socket PATH] [--path HTTP-PATH] TARGET", "--socket", "--path");
        String socket = a.option("--socket", "/var/run/docker.sock");
        String path = a.option("--path", "/_ping");

        // 1. The remote socket on a free loopback port (127.0.0.1 only, never a wider address)
        try (Tunnel tunnel = Tunnel.to(SshTarget.parse(a.target()), RemoteEndpoint.unixSocket(socket))
                .options(a.ssh()).localTcp(0).open()) {
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
}
