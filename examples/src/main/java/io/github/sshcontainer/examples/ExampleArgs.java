package io.github.sshcontainer.examples;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.github.sshcontainer.tunnel.SshOptions;

/**
 * The command line every example takes: {@code [-i KEY] [--known-hosts FILE] [--ssh-config none|FILE]}, options of
 * its own that each take a value, and a TARGET. A mistake prints the problem and the usage and exits with 2.
 */
final class ExampleArgs {
    private final String usage;
    private final SshOptions.Builder ssh = SshOptions.builder();
    private final Map<String, String> own = new HashMap<>();
    private String target;

    private ExampleArgs(String usage) {
        this.usage = usage;
    }

    /**
     * @param usage the example's synopsis, e.g. {@code "TunnelExample [-i KEY] ... TARGET"}
     * @param ownOptions the example's own options, each followed by a value
     */
    static ExampleArgs parse(String[] args, String usage, String... ownOptions) {
        ExampleArgs a = new ExampleArgs(usage);
        List<String> owned = List.of(ownOptions);
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "-i" -> a.ssh.identity(Path.of(a.value(args, ++i)));
                case "--known-hosts" -> a.ssh.knownHosts(Path.of(a.value(args, ++i)));
                case "--ssh-config" -> {
                    String file = a.value(args, ++i);
                    a.ssh.sshConfig(file.equals("none") ? null : Path.of(file));
                }
                default -> {
                    if (owned.contains(args[i])) {
                        a.own.put(args[i], a.value(args, ++i));
                    } else {
                        a.target = args[i];
                    }
                }
            }
        }
        if (a.target == null) {
            a.fail("no TARGET");
        }
        return a;
    }

    /** How to log in, from the SSH options given (OpenSSH's defaults for the rest). */
    SshOptions ssh() {
        return ssh.build();
    }

    /** The TARGET as given: {@code ssh://user@host[:port][/path]}, {@code user@host[:port]} or an alias. */
    String target() {
        return target;
    }

    /** The value of one of the example's own options, or {@code fallback} when it was not given. */
    String option(String name, String fallback) {
        return own.getOrDefault(name, fallback);
    }

    /** Prints {@code problem} and the usage, and exits with 2. */
    void fail(String problem) {
        System.err.println(problem);
        System.err.println("usage: " + usage);
        System.exit(2);
    }

    private String value(String[] args, int i) {
        if (i >= args.length) {
            fail(args[i - 1] + " needs a value");
        }
        return args[i];
    }
}
