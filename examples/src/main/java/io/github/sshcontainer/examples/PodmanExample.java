package io.github.sshcontainer.examples;

import java.io.IOException;

import io.github.sshcontainer.podman.PodmanClient;
import io.github.sshcontainer.podman.PodmanException;
import io.github.sshcontainer.podman.PodmanOverSsh;
import io.github.sshcontainer.podman.PodmanVersion;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.runtime.ContainerSummary;
import io.github.sshcontainer.tunnel.runtime.RuntimeConnection;

/**
 * A remote Podman API service through SSH, with the libpod client: prints Podman's version and containers, pulls
 * {@value #IMAGE} and runs {@code busybox echo hello}, printing what it wrote.
 *
 * <pre>
 * java io.github.sshcontainer.examples.PodmanExample [-i KEY] [--known-hosts FILE] [--ssh-config none|FILE] TARGET
 *
 * TARGET   ssh://user@host[:port][/path/to/podman.sock], user@host[:port] or an ~/.ssh/config alias
 * </pre>
 *
 * Without a socket path the service is looked for at {@code /run/podman/podman.sock}, then at the remote user's
 * {@code /run/user/UID/podman/podman.sock}. Without options it authenticates like OpenSSH would: ssh-agent,
 * {@code ~/.ssh/config}, {@code ~/.ssh/known_hosts}.
 */
public final class PodmanExample {
    /** The image of the project's local test registry ({@code ci/start-services.sh}): plain HTTP on loopback. */
    static final String IMAGE = "127.0.0.1:5000/busybox:latest";

    private PodmanExample() {
    }

    public static void main(String[] args) throws Exception {
        // 1. Where to go and how to log in
        ExampleArgs a = ExampleArgs.parse(args,
                "PodmanExample [-i KEY] [--known-hosts FILE] [--ssh-config none|FILE] TARGET");

        // 2. Connect: an SSH tunnel to the remote podman.sock and a client that has answered a ping.
        //    Closing the connection closes the client, then the tunnel.
        try (RuntimeConnection<PodmanClient> podman = PodmanOverSsh.connect(SshTarget.parse(a.target()), a.ssh())) {
            PodmanClient client = podman.client();

            PodmanVersion version = client.version();
            System.out.println("Podman " + version.version() + " (libpod API " + client.apiVersion() + ") on "
                    + version.os() + "/" + version.arch());

            System.out.println("Containers:");
            for (ContainerSummary c : client.containers().list(true)) {
                System.out.printf("  %s  %-30s  %s%n", c.shortId(), c.image(), c.status());
            }

            // 3. Pull (the test registry is plain HTTP: no TLS verification), run a container, print what it wrote
            client.images().pull(IMAGE, false, line -> { });
            System.out.println("busybox echo hello: " + run(client, "echo", "hello"));
        } catch (PodmanException e) {
            System.err.println("Podman refused " + e.request() + " (" + e.kind() + "): " + e.getMessage());
            System.exit(1);
        }
    }

    /** Runs {@link #IMAGE} with {@code cmd}, waits for it to exit, removes it and returns its output. */
    static String run(PodmanClient client, String... cmd) throws IOException {
        String id = client.containers().create(IMAGE, cmd);
        try {
            client.containers().start(id);
            int exit = client.containers().waitFor(id);
            return client.containers().logs(id).strip() + (exit == 0 ? "" : " (exit " + exit + ")");
        } finally {
            client.containers().remove(id);
        }
    }
}
