package io.github.sshcontainer.examples;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.Version;
import io.github.sshcontainer.docker.DockerOverSsh;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.runtime.RuntimeConnection;

/**
 * A remote Docker daemon through SSH, with docker-java: prints the daemon's version and containers, then runs
 * {@code busybox echo ok} if the daemon has (or can pull) {@value #IMAGE}.
 *
 * <pre>
 * java io.github.sshcontainer.examples.DockerExample [-i KEY] [--known-hosts FILE] [--ssh-config none|FILE] TARGET
 *
 * TARGET   ssh://user@host[:port][/path/to/docker.sock], user@host[:port] or an ~/.ssh/config alias
 * </pre>
 *
 * Without options it authenticates like OpenSSH would: ssh-agent, {@code ~/.ssh/config}, {@code ~/.ssh/known_hosts}.
 */
public final class DockerExample {
    /** The image of the project's local test registry ({@code ci/start-services.sh}). */
    static final String IMAGE = "127.0.0.1:5000/busybox:latest";

    private DockerExample() {
    }

    public static void main(String[] args) throws Exception {
        // 1. Where to go and how to log in
        ExampleArgs a = ExampleArgs.parse(args,
                "DockerExample [-i KEY] [--known-hosts FILE] [--ssh-config none|FILE] TARGET");

        // 2. Connect: an SSH tunnel to the remote docker.sock and a DockerClient that has answered a ping.
        //    Closing the connection closes the client, then the tunnel.
        try (RuntimeConnection<DockerClient> docker = DockerOverSsh.connect(SshTarget.parse(a.target()), a.ssh())) {
            DockerClient client = docker.client();

            Version version = client.versionCmd().exec();
            System.out.println("Docker " + version.getVersion() + " (API " + version.getApiVersion() + ") on "
                    + version.getOperatingSystem() + "/" + version.getArch());

            System.out.println("Containers:");
            for (Container c : client.listContainersCmd().withShowAll(true).exec()) {
                System.out.printf("  %.12s  %-30s  %s%n", c.getId(), c.getImage(), c.getStatus());
            }

            // 3. Run a container and print what it wrote
            if (hasImage(client)) {
                System.out.println("busybox echo ok: " + run(client, "echo", "ok"));
            } else {
                System.out.println("no " + IMAGE + " on the daemon; not running a container");
            }
        }
    }

    /** Whether the daemon has {@link #IMAGE}, pulling it if it can. */
    static boolean hasImage(DockerClient client) {
        try {
            client.inspectImageCmd(IMAGE).exec();
            return true;
        } catch (NotFoundException e) {
            try {
                return client.pullImageCmd(IMAGE).start().awaitCompletion(60, TimeUnit.SECONDS);
            } catch (RuntimeException | InterruptedException pullFailed) {
                return false;
            }
        }
    }

    /** Runs {@link #IMAGE} with {@code cmd}, waits for it to exit, removes it and returns its output. */
    static String run(DockerClient client, String... cmd) throws InterruptedException {
        String id = client.createContainerCmd(IMAGE).withCmd(cmd).exec().getId();
        try {
            client.startContainerCmd(id).exec();
            int exit = client.waitContainerCmd(id).start().awaitStatusCode(60, TimeUnit.SECONDS);
            StringBuilder output = new StringBuilder();
            client.logContainerCmd(id).withStdOut(true).withStdErr(true).exec(new ResultCallback.Adapter<Frame>() {
                @Override
                public void onNext(Frame frame) {
                    output.append(new String(frame.getPayload(), StandardCharsets.UTF_8));
                }
            }).awaitCompletion(60, TimeUnit.SECONDS);
            return output.toString().strip() + (exit == 0 ? "" : " (exit " + exit + ")");
        } finally {
            client.removeContainerCmd(id).withForce(true).exec();
        }
    }
}
