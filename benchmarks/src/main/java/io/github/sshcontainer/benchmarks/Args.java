package io.github.sshcontainer.benchmarks;

import java.util.function.Function;

/** Command-line parsing shared by the harness ({@link Main}) and the soak ({@link Soak}). */
final class Args {
    private Args() {
    }

    /**
     * Parses {@code args}; on bad input prints the problem and the usage to stderr and exits with 2.
     *
     * @param parser returns null for {@code --help}
     * @return the parsed options, or null after printing the usage for {@code --help}
     */
    static <T> T parseOrExit(String command, String[] args, Function<String[], T> parser, String usage) {
        T parsed;
        try {
            parsed = parser.apply(args);
        } catch (IllegalArgumentException e) {
            System.err.println(command + ": " + e.getMessage());
            System.err.println(usage);
            System.exit(2);
            return null;
        }
        if (parsed == null) {
            System.out.println(usage);
        }
        return parsed;
    }

    /** The value after an option, or a clear error when it is missing. */
    static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    /** A positive whole number after an option. */
    static int positive(String[] args, int i, String option) {
        String v = value(args, i, option);
        try {
            int n = Integer.parseInt(v);
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs a positive number, not '" + v + "'");
        }
    }
}
