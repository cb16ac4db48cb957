package io.github.sshcontainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

import io.github.sshcontainer.tunnel.runtime.RuntimeAdapter;
import io.github.sshcontainer.tunnel.runtime.RuntimeAdapters;

import org.junit.jupiter.api.Test;

/** Parsing, help and usage errors: no SSH server needed. */
class CommandLineTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void helpWorksForEveryCommand() {
        assertEquals(0, run("--help"));
        assertTrue(out.toString().contains("forward"), out.toString());
        assertTrue(out.toString().contains("Exit codes"), out.toString());
        assertEquals(0, run("forward", "--help"));
        assertTrue(out.toString().contains("--remote-socket"), out.toString());
        assertTrue(out.toString().contains("--host-key-policy"), out.toString());
    }

    @Test
    void versionNamesTheProgram() {
        assertEquals(0, run("--version"));
        assertTrue(out.toString().startsWith("ssh-container "), out.toString());
    }

    @Test
    void everyCommandHasHelpAndVersion() {
        for (String command : List.of("forward", "demo", "exec", "ps")) {
            out.getBuffer().setLength(0);
            assertEquals(0, run(command, "--version"), command);
            assertTrue(out.toString().startsWith("ssh-container "), command + ": " + out);
            out.getBuffer().setLength(0);
            assertEquals(0, run(command, "--help"), command);
            assertTrue(out.toString().contains("Usage: ssh-container " + command), out.toString());
            assertTrue(out.toString().contains("--verbose"), command + ": " + out);
        }
    }

    @Test
    void execNeedsACommandAndPsATarget() {
        assertEquals(2, run("exec", "--ssh-config", "none", "h"));
        assertTrue(err.toString().contains("no command given: ssh-container exec TARGET -- CMD"), err.toString());
        assertEquals(2, run("exec", "--ssh-config", "none", "h", "--"));
        assertEquals(2, run("ps", "--ssh-config", "none"));
        assertTrue(err.toString().contains("TARGET"), err.toString());
    }

    @Test
    void unknownRuntimeNamesAreUsageErrorsBeforeAnyConnection() {
        assertEquals(2, run("exec", "--ssh-config", "none", "--runtime", "lxc", "h", "--", "true"));
        assertTrue(err.toString().contains("no adapter for runtime 'lxc'"), err.toString());
        assertEquals(2, run("ps", "--ssh-config", "none", "--runtime", "docker", "--runtime", "lxc", "h"));
        assertEquals(2, run("ps", "--ssh-config", "none", "--timeout", "0", "h"));
        assertTrue(err.toString().contains("--timeout must be at least 1 second"), err.toString());
        assertEquals(2, run("ps", "--ssh-config", "none", "h", "user@"));
        assertTrue(err.toString().contains("expected ssh://[user@]host[:port]"), err.toString());
    }

    @Test
    void noCommandIsAUsageError() {
        assertEquals(2, run());
        assertTrue(err.toString().matches("(?s)ssh-container: a command is required \\(forward, demo, .*exec.*ps.*\\).*"),
                err.toString());
    }

    @Test
    void badTargetIsAUsageErrorSayingTheExpectedForms() {
        assertEquals(2, run("forward", "--ssh-config", "none", "user@"));
        assertTrue(err.toString().contains("expected ssh://[user@]host[:port]"), err.toString());
        assertEquals(1, err.toString().lines().count(), "one line: " + err);
    }

    @Test
    void conflictingOptionsAreUsageErrors() {
        assertEquals(2, run("forward", "--remote-socket", "/a.sock", "--runtime", "docker", "h"));
        assertTrue(err.toString().contains("mutually exclusive"), err.toString());
        assertEquals(2, run("forward", "--local-socket", "/tmp/x.sock", "--local-tcp", "h"));
    }

    @Test
    void unknownRuntimeListsTheAvailableAdapters() {
        assertEquals(2, run("forward", "--ssh-config", "none", "--runtime", "lxc", "h"));
        // (the tunnel-core test jar on this class path adds its "echo" adapter)
        assertTrue(err.toString().matches("(?s).*no adapter for runtime 'lxc'; available: containerd, docker, (echo, )?"
                + "podman\\R"), err.toString());
    }

    @Test
    void theCommandKnowsEveryRuntimeOfThisProject() {
        // the shaded jar carries all three adapters; the ITs check the merged services file in the real jar
        List<String> names = RuntimeAdapters.all().stream().map(RuntimeAdapter::name).toList();
        assertTrue(names.containsAll(List.of("containerd", "docker", "podman")), names.toString());
        assertEquals("podman", RuntimeAdapters.find("podman").name());
        assertEquals("CONTAINERD_ADDRESS", RuntimeAdapters.find("containerd").environmentVariable());
    }

    @Test
    void hostKeyPolicyNeverDefaultsToInsecure() {
        assertEquals(2, run("forward", "--host-key-policy", "no", "h"));
        assertTrue(err.toString().contains("strict, accept-new, insecure"), err.toString());
    }

    @Test
    void missingKeyFileIsAUsageError() {
        assertEquals(2, run("forward", "--ssh-config", "none", "-i", "/nonexistent/id_ed25519", "h"));
        assertTrue(err.toString().contains("/nonexistent/id_ed25519"), err.toString());
    }

    @Test
    void relativeRemoteSocketIsRefused() {
        assertEquals(2, run("forward", "--ssh-config", "none", "--remote-socket", "docker.sock", "h"));
        assertTrue(err.toString().contains("must be absolute"), err.toString());
    }
}
