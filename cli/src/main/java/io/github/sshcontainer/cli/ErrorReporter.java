package io.github.sshcontainer.cli;

import java.io.PrintWriter;

import io.github.sshcontainer.tunnel.Failure;
import io.github.sshcontainer.tunnel.SshTunnelException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * Turns failures into one readable line on stderr and an exit code that tells the failure kind: 2 usage,
 * 3 authentication, 4 host key, 5 cannot connect, 6 remote socket unavailable or forwarding refused, 1 other.
 * The stack trace is shown only with {@code --verbose}.
 */
final class ErrorReporter implements IExecutionExceptionHandler, IParameterExceptionHandler {

    @Override
    public int handleParseException(ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println("ssh-container: " + e.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
        err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for usage.");
        err.flush();
        return Failure.USAGE.exitCode();
    }

    @Override
    public int handleExecutionException(Exception e, CommandLine cmd, ParseResult parsed) {
        PrintWriter err = cmd.getErr();
        err.println("ssh-container: " + message(e));
        if (isVerbose(parsed)) {
            e.printStackTrace(err);
        }
        err.flush();
        return exitCode(e);
    }

    static int exitCode(Throwable e) {
        if (e instanceof SshTunnelException) {
            return ((SshTunnelException) e).failure().exitCode();
        }
        if (e instanceof IllegalArgumentException) {
            return Failure.USAGE.exitCode();
        }
        return Failure.OTHER.exitCode();
    }

    private static String message(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    /** Whether {@code --verbose} was given to the command or any of its subcommands. */
    static boolean isVerbose(ParseResult parsed) {
        for (ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }
}
