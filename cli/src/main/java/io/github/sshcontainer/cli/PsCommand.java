package io.github.sshcontainer.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.github.sshcontainer.cli.ContainerTable.Row;
import io.github.sshcontainer.tunnel.Failure;
import io.github.sshcontainer.tunnel.SshConnector;
import io.github.sshcontainer.tunnel.SshTarget;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ssh-container ps TARGET…}: one table of the containers of every runtime on every target, the targets asked
 * in parallel. A target or runtime that fails is one error row, and the exit code is non-zero; the others are still
 * listed.
 */
@Command(name = "ps", separator = " ",
        description = {"List the containers of every runtime on every TARGET, through SSH, in one table: HOST, "
                + "RUNTIME, ID, IMAGE, STATUS, NAMES. Targets are asked in parallel. A host or runtime that fails is "
                + "one error row and makes the exit code non-zero; the others are listed anyway."},
        footer = {"", "Examples:", "  ssh-container ps build-1 build-2",
            "  ssh-container ps --all --runtime docker --json deploy@build-1",
            "", "Exit codes: 0 when every target was listed; else the first error row's: 1 other, 3 "
                + "authentication, 4 host key, 5 cannot connect or no answer in time, 6 no runtime socket found or "
                + "usable."})
final class PsCommand implements Callable<Integer> {
    /** At most this many targets are asked at once. */
    static final int PARALLEL = 8;

    @Option(names = "--runtime", paramLabel = "NAME", description = "Only this runtime (repeatable): docker, podman,"
            + " containerd (the adapters on the class path decide). Default: every runtime found.")
    List<String> runtimes = new ArrayList<>();

    @Option(names = {"-a", "--all"}, description = "All containers, not only running ones.")
    boolean all;

    @Option(names = "--json", description = "One JSON array instead of the table.")
    boolean json;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "How long one target may take in all, after which it is an error row (default:"
                    + " ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Mixin
    SshOptionsMixin ssh;

    @Parameters(arity = "1..*", paramLabel = "TARGET",
            description = "ssh://[user@]host[:port][/socket], [user@]host or an ~/.ssh/config alias.")
    List<String> targets = new ArrayList<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (timeoutSeconds < 1) {
            throw new IllegalArgumentException("--timeout must be at least 1 second");
        }
        RuntimeTunnels.select(runtimes); // unknown names are usage errors before connecting
        List<SshTarget> parsed = new ArrayList<>();
        for (String t : targets) {
            parsed.add(ssh.target(t)); // every target is checked before any is asked
        }
        List<Row> rows = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(PARALLEL, targets.size()), r -> {
            Thread thread = new Thread(r, "ssh-container-ps");
            thread.setDaemon(true);
            return thread;
        });
        try (SshConnector connector = SshConnector.create(ssh.toOptions())) {
            List<Future<List<Row>>> answers = new ArrayList<>();
            for (int i = 0; i < parsed.size(); i++) {
                String host = targets.get(i);
                SshTarget target = parsed.get(i);
                answers.add(pool.submit(() -> ContainerLister.listTarget(host, target, connector, runtimes, all)));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
            for (int i = 0; i < answers.size(); i++) {
                rows.addAll(await(targets.get(i), answers.get(i), deadline));
            }
        } finally {
            pool.shutdownNow();
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ContainerTable.printJson(rows, out);
        } else {
            ContainerTable.printTable(rows, out);
        }
        return ContainerTable.exitCode(rows);
    }

    private List<Row> await(String host, Future<List<Row>> answer, long deadline) throws InterruptedException {
        try {
            return answer.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            answer.cancel(true);
            return List.of(Row.error(host, null, "no answer within " + timeoutSeconds + " s (--timeout)",
                    Failure.CONNECT.exitCode()));
        } catch (ExecutionException e) {
            return List.of(Row.error(host, null, ContainerLister.message(e.getCause()),
                    ErrorReporter.exitCode(e.getCause())));
        }
    }
}
