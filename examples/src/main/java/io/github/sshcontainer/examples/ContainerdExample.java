package io.github.sshcontainer.examples;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

import io.github.sshcontainer.containerd.ContainerdAdapter;
import io.github.sshcontainer.containerd.ContainerdClient;
import io.github.sshcontainer.containerd.CriImages;
import io.github.sshcontainer.containerd.RemoteFiles;
import io.github.sshcontainer.containerd.RuntimeSpec;
import io.github.sshcontainer.containerd.Tasks;
import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.runtime.RuntimeConnection;

/**
 * A remote containerd through SSH, over its gRPC API: prints the daemon's version and namespaces, gets busybox onto
 * it (pulled by containerd's CRI plugin from {@value #IMAGE}, or imported from a local archive with
 * {@code --import}), runs {@code busybox echo ok} as a task whose output goes to a file on the remote host, reads that
 * file back over SSH and prints it, then removes the container and the file.
 *
 * <pre>
 * java io.github.sshcontainer.examples.ContainerdExample [-i KEY] [--known-hosts FILE] [--ssh-config none|FILE]
 *     [--import ARCHIVE] TARGET
 *
 * TARGET   ssh://user@host[:port][/path/to/containerd.sock], user@host[:port] or an ~/.ssh/config alias
 * ARCHIVE  an OCI layout or `docker save` tarball of busybox on this machine
 * </pre>
 *
 * The remote user must be allowed to use containerd's socket (root, usually).
 */
public final class ContainerdExample {
    /** The image of the project's local test registry ({@code ci/start-services.sh}). */
    static final String IMAGE = "127.0.0.1:5000/busybox:latest";

    private ContainerdExample() {
    }

    public static void main(String[] args) throws Exception {
        // 1. Where to go and how to log in
        ExampleArgs a = ExampleArgs.parse(args, "ContainerdExample [-i KEY] [--known-hosts FILE]"
                + " [--ssh-config none|FILE] [--import ARCHIVE] TARGET", "--import");
        String importArg = a.option("--import", null);
        Path archive = importArg == null ? null : Path.of(importArg);
        SshTarget sshTarget = SshTarget.parse(a.target());
        SshOptions options = a.ssh();

        // 2. Connect: an SSH tunnel to the remote containerd.sock and a gRPC client that has answered Version.
        //    Namespace k8s.io, where containerd's CRI plugin keeps the images it pulls.
        ContainerdAdapter adapter = new ContainerdAdapter().withNamespace(CriImages.NAMESPACE);
        try (RuntimeConnection<ContainerdClient> containerd = RuntimeConnection.open(adapter, sshTarget, options)) {
            ContainerdClient client = containerd.client();
            System.out.println(adapter.describe(client));
            System.out.println("Namespaces: " + client.namespaces().stream().map(ContainerdClient.Namespace::name)
                    .toList());

            // 3. The image: imported from this machine, or pulled by the daemon itself
            String image;
            if (archive != null) {
                image = client.importer().importArchive(archive).get(0).name();
                System.out.println("imported " + archive + " as " + image);
            } else if (client.introspection().criLoaded()) {
                System.out.println("pulled " + IMAGE + ": " + client.cri().pull(IMAGE));
                image = IMAGE;
            } else {
                System.out.println("containerd has no CRI plugin to pull " + IMAGE + "; pass --import ARCHIVE");
                return;
            }

            // 4. Run a container; its output goes to a file on the remote host, read back over SSH
            String id = "sshc-example-" + UUID.randomUUID().toString().substring(0, 8);
            String output = "/tmp/" + id + ".log";
            RemoteFiles files = new RemoteFiles(sshTarget, options);
            client.runner().create(id, image, RuntimeSpec.of("echo", "ok"));
            try {
                Tasks.Exit exit = client.runner().run(id, output, Duration.ofSeconds(60));
                String text = new String(files.read(output, 1 << 20), StandardCharsets.UTF_8).strip();
                System.out.println("busybox echo ok: " + text + (exit.status() == 0 ? "" : " (exit " + exit.status()
                        + ")"));
            } finally {
                try {
                    client.runner().remove(id);
                } finally {
                    files.delete(output);
                }
            }
        }
    }
}
