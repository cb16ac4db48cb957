package io.github.sshcontainer.cli;

import java.io.PrintWriter;

import picocli.CommandLine;

/** Entry point of the {@code ssh-container} command. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        Logging.configure(args);
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (see {@link io.github.sshcontainer.tunnel.Failure}). */
    public static int run(String... args) {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** Runs the command line with the given standard output and error; returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return new CommandLine(new SshContainerCommand())
                .setOut(out)
                .setErr(err)
                .setExecutionExceptionHandler(new ErrorReporter())
                .setParameterExceptionHandler(new ErrorReporter())
                .execute(args);
    }
}
