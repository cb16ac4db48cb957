package io.github.sshcontainer.cli;

import java.io.PrintWriter;

import picocli.CommandLine;

/** Entry point of the {@code ssh-container} command. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (see {@link io.github.sshcontainer.tunnel.Failure}). */
    public static int run(String... args) {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** Runs the command line with the given standard output and error; returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cmd = new CommandLine(new SshContainerCommand())
                .setOut(out)
                .setErr(err)
                .setExecutionExceptionHandler(new ErrorReporter())
                .setParameterExceptionHandler(new ErrorReporter())
                // logging is set up from what was parsed, so a -v meant for exec's command is not ours
                .setExecutionStrategy(parsed -> {
                    Logging.configure(ErrorReporter.isVerbose(parsed));
                    return new CommandLine.RunLast().execute(parsed);
                });
        // `exec TARGET docker ps -a`: everything after TARGET belongs to the command, even without `--`
        cmd.getSubcommands().get("exec").setStopAtPositional(true);
        return cmd.execute(args);
    }
}
