package io.github.sshcontainer.examples;

import java.util.stream.Collectors;

import io.github.sshcontainer.examples.registry.RegistryAdapter;
import io.github.sshcontainer.examples.registry.RegistryClient;
import io.github.sshcontainer.tunnel.RemoteEndpoint;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.TunnelBuilder;
import io.github.sshcontainer.tunnel.runtime.Readiness;
import io.github.sshcontainer.tunnel.runtime.RuntimeAdapter;
import io.github.sshcontainer.tunnel.runtime.RuntimeAdapters;
import io.github.sshcontainer.tunnel.runtime.RuntimeConnection;

/**
 * A custom runtime through the SPI: {@link RegistryAdapter} lives only in this module, is registered by a services
 * file, and is picked by name with {@link RuntimeAdapters#find(String, Class)} — no change to ssh-container. It
 * reaches a Docker registry's HTTP API on the remote host through SSH and lists its repositories and tags.
 *
 * <pre>
 * java io.github.sshcontainer.examples.CustomRuntimeExample [-i KEY] [--known-hosts FILE] [--ssh-config none|FILE]
 *      [--registry HOST:PORT] TARGET
 *
 * --registry  the registry's address as the remote host sees it (default 127.0.0.1:5000)
 * </pre>
 */
public final class CustomRuntimeExample {
    private CustomRuntimeExample() {
    }

    public static void main(String[] args) throws Exception {
        ExampleArgs a = ExampleArgs.parse(args, "CustomRuntimeExample [-i KEY] [--known-hosts FILE]"
                + " [--ssh-config none|FILE] [--registry HOST:PORT] TARGET", "--registry");
        String registryAddress = a.option("--registry", "127.0.0.1:5000");
        int colon = registryAddress.lastIndexOf(':');
        if (colon < 1) {
            a.fail("--registry needs HOST:PORT");
        }

        // 1. The adapter, found by name among those on the class path (ServiceLoader)
        System.out.println("runtimes on the class path: " + RuntimeAdapters.all().stream().map(RuntimeAdapter::name)
                .sorted().collect(Collectors.joining(", ")));
        RuntimeAdapter<RegistryClient> registry = RuntimeAdapters.find("registry", RegistryClient.class);

        // 2. A tunnel to the registry's TCP port on the remote side, in-process only (no local file or port),
        //    and the adapter's client over it, checked ready. Closing closes the client, then the tunnel.
        TunnelBuilder tunnel = Tunnel.to(SshTarget.parse(a.target()), RemoteEndpoint.tcp(
                registryAddress.substring(0, colon), Integer.parseInt(registryAddress.substring(colon + 1))))
                .options(a.ssh()).inProcessOnly();
        try (RuntimeConnection<RegistryClient> connection = RuntimeConnection.open(registry, tunnel,
                Readiness.DEFAULT)) {
            RegistryClient client = connection.client();
            System.out.println(registry.name() + ": " + registry.describe(client) + " at " + registryAddress
                    + " on " + connection.tunnel().target());
            System.out.println("repositories:");
            for (String repository : client.repositories()) {
                System.out.println("  " + repository + ": " + String.join(" ", client.tags(repository)));
            }
        }
    }
}
