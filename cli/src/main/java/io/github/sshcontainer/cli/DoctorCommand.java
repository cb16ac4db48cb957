package io.github.sshcontainer.cli;

import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.util.concurrent.Callable;

import io.github.sshcontainer.tunnel.runtime.RuntimeAdapters;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code ssh-container doctor TARGET}: runs every check between this machine and the container runtimes on TARGET,
 * prints one line per check with ✓ or ✗ and a fix, and exits 0 only if a runtime is reachable.
 */
@Command(name = "doctor", mixinStandardHelpOptions = true, separator = " ",
        description = {"Check, step by step, why a runtime on TARGET can or cannot be reached over SSH: ssh_config,",
            "DNS, TCP and latency, the server's banner, the host key (and which known_hosts line matched),",
            "authentication (methods offered and the one that worked), each runtime's sockets and permissions,",
            "the daemon's version, streamlocal forwarding and the docker dial-stdio fallback.",
            "Exits 0 if a runtime is reachable, 1 otherwise."},
        footer = {"", "Examples:", "  ssh-container doctor deploy@build-1", "  ssh-container doctor --json build-1"})
final class DoctorCommand implements Callable<Integer> {

    @Mixin
    SshOptionsMixin ssh;

    @Option(names = "--json", description = "Print the result as one JSON object.")
    boolean json;

    @Parameters(paramLabel = "TARGET", description = "ssh://[user@]host[:port], [user@]host or an ~/.ssh/config alias.")
    String target;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Diagnosis d = new Doctor(ssh.toOptions(), ssh.target(target), RuntimeAdapters.all()).run();
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? d.toJson() + "\n" : d.toText(Charset.defaultCharset().newEncoder().canEncode("✓✗")));
        out.flush();
        return d.isRuntimeReachable() ? 0 : 1;
    }
}
