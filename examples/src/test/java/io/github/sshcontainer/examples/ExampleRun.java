package io.github.sshcontainer.examples;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.github.sshcontainer.tunnel.testing.OpenSshServer;

/** Runs an example's {@code main} as its own program, with this module's class path and no ssh-agent. */
final class ExampleRun {
    private ExampleRun() {
    }

    record Result(int exit, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    /** The SSH arguments every example takes, for {@code sshd} (writes {@code knownHosts}). */
    static List<String> sshArgs(OpenSshServer sshd, Path knownHosts) {
        sshd.writeKnownHosts(knownHosts);
        return List.of("-i", sshd.clientKey().toString(), "--known-hosts", knownHosts.toString(), "--ssh-config",
                "none");
    }

    /** {@code ssh://USER@127.0.0.1:PORT} of {@code sshd}. */
    static String target(OpenSshServer sshd) {
        return "ssh://" + sshd.user() + "@" + sshd.host() + ":" + sshd.port();
    }

    static Result run(Class<?> main, Path tmp, List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(args);
        Path out = Files.createTempFile(tmp, main.getSimpleName(), ".out");
        Path err = Files.createTempFile(tmp, main.getSimpleName(), ".err");
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().remove("SSH_AUTH_SOCK");
        Process p = pb.start();
        if (!p.waitFor(100, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(main.getSimpleName() + " did not end in 100 s; stderr: " + Files.readString(err));
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }
}
