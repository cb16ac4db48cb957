package io.github.sshcontainer.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

import io.github.sshcontainer.tunnel.SshConnector;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.runtime.RuntimeAdapter;
import io.github.sshcontainer.tunnel.runtime.RuntimeAdapters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/**
 * {@code ssh-container exec TARGET -- CMD ARGS…}: opens tunnels to the runtimes on TARGET, runs a local command
 * with {@code DOCKER_HOST}, {@code CONTAINER_HOST}, {@code CONTAINERD_ADDRESS} pointing at them, and exits with the
 * command's exit code after closing the tunnels.
 */
@Command(name = "exec", separator = " ",
        description = {"Run a local command against the container runtimes on TARGET, through SSH.",
            "Opens a tunnel to each runtime found there (or each --runtime), sets that runtime's variable for "
                + "the command (DOCKER_HOST, CONTAINER_HOST, CONTAINERD_ADDRESS), passes stdin, stdout and stderr "
                + "through, and exits with the command's exit code once the tunnels are closed. The variables of "
                + "runtimes not opened are removed, so the command never reaches a local daemon by mistake.",
            "SIGTERM is passed on to the command; Ctrl-C reaches it from the terminal. The tunnels stay open "
                + "until the command exits."},
        footer = {"", "Examples:", "  ssh-container exec deploy@build-1 -- docker compose up",
            "  ssh-container exec --runtime podman build-1 -- podman --remote ps",
            "  ssh-container exec build-1 -- sh -c 'echo $DOCKER_HOST'",
            "", "Exit code: the command's; 127 when it cannot be started; before it starts, ssh-container's own "
                + "(2 usage, 3 authentication, 4 host key, 5 cannot connect, 6 no runtime socket found or usable)."})
final class ExecCommand implements Callable<Integer> {

    /** Exit code when the command cannot be started, as shells use for "command not found". */
    static final int CANNOT_RUN = 127;

    /** Variables that would make the Docker CLI use TLS or another daemon despite {@code DOCKER_HOST}. */
    private static final List<String> DOCKER_OVERRIDES = List.of("DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH",
            "DOCKER_CONTEXT");

    @Option(names = "--runtime", paramLabel = "NAME", description = "Only this runtime (repeatable): docker, podman,"
            + " containerd (the adapters on the class path decide). Default: every runtime found on TARGET.")
    List<String> runtimes = new ArrayList<>();

    @Mixin
    SshOptionsMixin ssh;

    @Parameters(index = "0", paramLabel = "TARGET",
            description = "ssh://[user@]host[:port][/socket], [user@]host or an ~/.ssh/config alias.")
    String target;

    @Parameters(index = "1..*", paramLabel = "CMD", description = "The local command and its arguments (after --).")
    List<String> command = new ArrayList<>();

    @Spec
    CommandSpec spec;

    /** The running command, once started. */
    private final AtomicReference<Process> child = new AtomicReference<>();
    /** The signal (15 TERM, 2 INT) that asked ssh-container to stop; 0 while none did. */
    private final AtomicInteger stopSignal = new AtomicInteger();

    @Override
    public Integer call() throws Exception {
        if (!command.isEmpty() && command.get(0).equals("--")) {
            // parsing stops at TARGET (so `exec host docker ps -a` works), which keeps the `--` after it
            command = command.subList(1, command.size());
        }
        if (command.isEmpty()) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "no command given: ssh-container exec TARGET -- CMD [ARGS...]");
        }
        RuntimeTunnels.select(runtimes); // unknown names are usage errors before connecting
        SshTarget sshTarget = ssh.target(target);
        onTerm(); // from here on SIGTERM ends in an orderly way: the tunnels are closed
        try (SshConnector connector = SshConnector.create(ssh.toOptions());
                RuntimeTunnels tunnels = RuntimeTunnels.open(sshTarget, connector, runtimes, UnaryOperator.identity())) {
            if (tunnels.opened().isEmpty() || (!runtimes.isEmpty() && !tunnels.problems().isEmpty())) {
                throw tunnels.nothingFound(sshTarget);
            }
            PrintWriter err = spec.commandLine().getErr();
            tunnels.problems().forEach(p -> err.println("ssh-container: " + p.adapter().environmentVariable()
                    + " not set: " + p.error().getMessage()));
            err.flush();
            if (stopSignal.get() != 0) {
                return 128 + stopSignal.get(); // stopped before the command started, as shells report it
            }
            return run(environment(tunnels.opened()));
        }
    }

    /** Starts the command with {@code env}, passes SIGTERM on, and waits for it. */
    private int run(Map<String, String> env) throws InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
        env.forEach((k, v) -> {
            if (v == null) {
                pb.environment().remove(k);
            } else {
                pb.environment().put(k, v);
            }
        });
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("ssh-container: cannot run '" + command.get(0) + "': " + e.getMessage());
            err.flush();
            return CANNOT_RUN;
        }
        child.set(process);
        if (stopSignal.get() != 0) {
            process.destroy(); // SIGTERM came while it was starting
        }
        log().debug("started {} (pid {})", command, process.pid());
        int exit = process.waitFor();
        log().debug("{} exited with {}", command.get(0), exit);
        return exit;
    }

    /** The logger, made only when used: picocli creates this command before {@link Logging} has run. */
    private static Logger log() {
        return LoggerFactory.getLogger(ExecCommand.class);
    }

    /**
     * SIGTERM is passed on to the command once it runs (the tunnels stay until it exits, so it can clean up through
     * them). SIGINT is left to the command, which gets it from the terminal with its process group. Before the
     * command runs, either signal stops ssh-container from starting it (once the tunnels being opened are closed).
     */
    private void onTerm() {
        try {
            Signal.handle(new Signal("TERM"), s -> {
                stopSignal.compareAndSet(0, s.getNumber());
                Process p = child.get();
                if (p != null) {
                    p.destroy();
                }
            });
            Signal.handle(new Signal("INT"), s -> {
                if (child.get() == null) {
                    stopSignal.compareAndSet(0, s.getNumber());
                } else {
                    log().debug("SIGINT: waiting for the command to exit");
                }
            });
        } catch (IllegalArgumentException unsupported) {
            // no such signal here: the JVM's default handling stays
        }
    }

    /**
     * The opened runtimes' variables, and null (remove) for the variables of every other runtime adapter and for
     * Docker settings that would send the docker CLI elsewhere.
     */
    static Map<String, String> environment(Map<RuntimeAdapter<?>, Tunnel> opened) {
        Map<String, String> env = new java.util.HashMap<>();
        for (RuntimeAdapter<?> a : RuntimeAdapters.all()) {
            env.put(a.environmentVariable(), null);
        }
        opened.forEach((adapter, tunnel) -> {
            String value = adapter.environmentValue(tunnel);
            env.put(adapter.environmentVariable(), value);
            log().debug("{}={}", adapter.environmentVariable(), value);
            if ("DOCKER_HOST".equals(adapter.environmentVariable())) {
                DOCKER_OVERRIDES.forEach(v -> env.put(v, null));
            }
        });
        return env;
    }
}
