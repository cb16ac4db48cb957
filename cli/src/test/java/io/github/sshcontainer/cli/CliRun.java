package io.github.sshcontainer.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.github.sshcontainer.tunnel.testing.OpenSshServer;

/** Runs the real {@code ssh-container.jar} as a process and collects what it wrote. */
final class CliRun {
    private CliRun() {
    }

    /** Exit code, stdout and stderr of one run. */
    record Result(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    /** The SSH options for {@code sshd}, as CLI arguments (key, known_hosts, no ssh_config, no agent, port). */
    static List<String> sshArgs(OpenSshServer sshd, Path knownHosts) {
        return List.of("-i", sshd.clientKey().toString(), "--known-hosts", knownHosts.toString(), "--ssh-config",
                "none", "--no-agent", "--connect-timeout", "5", "-p", String.valueOf(sshd.port()));
    }

    /** Runs the jar with {@code args}, stdin from {@code stdin} (null: /dev/null), extra environment {@code env}. */
    static Result run(Path tmp, String stdin, Map<String, String> env, List<String> args) throws Exception {
        ProcessBuilder pb = start(tmp, stdin, env, args);
        Path out = tmp.resolve("cli.out");
        Path err = tmp.resolve("cli.err");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("ssh-container " + args + " did not end in 90 s; stderr: " + Files.readString(err));
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    static Result run(Path tmp, List<String> args) throws Exception {
        return run(tmp, null, Map.of(), args);
    }

    /** A process builder for the jar; the caller redirects output and starts it. */
    static ProcessBuilder start(Path tmp, String stdin, Map<String, String> env, List<String> args)
            throws IOException {
        ProcessBuilder pb = new ProcessBuilder(ForwardCliIT.command(args.toArray(String[]::new)));
        if (stdin == null) {
            pb.redirectInput(new File("/dev/null"));
        } else {
            Path in = Files.createTempFile(tmp, "stdin", ".txt");
            Files.writeString(in, stdin, StandardCharsets.UTF_8);
            pb.redirectInput(in.toFile());
        }
        pb.environment().remove("SSH_AUTH_SOCK");
        pb.environment().putAll(env);
        return pb;
    }

    /** {@code a} followed by {@code more}. */
    static List<String> concat(List<String> a, String... more) {
        List<String> all = new ArrayList<>(a);
        all.addAll(List.of(more));
        return all;
    }

    static void assertContains(String haystack, String needle, Result r) {
        assertTrue(haystack.contains(needle), () -> "expected '" + needle + "' in:\n" + r);
    }
}
