package io.github.sshcontainer.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The top-level {@code ssh-container} command; the work is in its subcommands. */
@Command(name = "ssh-container", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        scope = picocli.CommandLine.ScopeType.INHERIT, // --help, --version and the exit codes on every subcommand
        description = "Drive Docker, containerd, Podman — any runtime on a unix socket — on a remote machine"
                + " through SSH alone.",
        subcommands = {ForwardCommand.class, DemoCommand.class,
            ExecCommand.class, PsCommand.class, DoctorCommand.class},
        footer = {"", "Exit codes: 0 ok, 1 other error, 2 usage, 3 authentication, 4 host key,",
            "5 cannot connect, 6 remote socket unavailable or forwarding refused."})
final class SshContainerCommand implements Runnable {

    @Option(names = {"-v", "--verbose"}, description = "Debug logging to stderr.", scope =
            picocli.CommandLine.ScopeType.INHERIT)
    boolean verbose;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a command is required ("
                + String.join(", ", spec.subcommands().keySet()) + ")");
    }
}
