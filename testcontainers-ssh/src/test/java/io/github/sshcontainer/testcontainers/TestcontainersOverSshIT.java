package io.github.sshcontainer.testcontainers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.Requirements;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plain Testcontainers test {@link RemoteHttpdScenario} in a child JVM configured only by
 * {@code DOCKER_HOST=ssh://USER@127.0.0.1:PORT} (a real OpenSSH sshd in front of this machine's Docker daemon), a
 * {@code ~/.ssh/known_hosts} with that server's key and a {@code ~/.ssh/id_ed25519} it accepts, in a private home
 * ({@code -Duser.home}): exactly what a user sets up. A child JVM because the server's port is only known once it
 * runs, and Testcontainers reads {@code DOCKER_HOST} from the environment once per JVM.
 *
 * <p>Ryuk is disabled there ({@code TESTCONTAINERS_RYUK_DISABLED=true}): its image is on Docker Hub, which this
 * machine cannot reach. Testcontainers then removes the containers itself when they stop or the JVM exits.
 */
class TestcontainersOverSshIT {
    static final Path DOCKER_SOCK = Path.of(System.getenv().getOrDefault("DOCKER_SOCK", "/var/run/docker.sock"));
    static final String REGISTRY = System.getenv().getOrDefault("SSHC_REGISTRY", "127.0.0.1:5000");
    static final long CHILD_TIMEOUT_SECONDS = 100;

    static OpenSshServer sshd;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() {
        requireDockerAndRegistry();
        sshd = OpenSshServer.startOrSkip(OpenSshServer.builder());
    }

    static void requireDockerAndRegistry() {
        Requirements.requireUnixSocket(DOCKER_SOCK);
        Requirements.require(DOCKER_SOCK.equals(Path.of("/var/run/docker.sock")),
                "the strategy finds the daemon at its default path only (DOCKER_SOCK=" + DOCKER_SOCK + ")");
        String[] hostPort = REGISTRY.split(":");
        boolean up;
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])), 2000);
            up = true;
        } catch (IOException e) {
            up = false;
        }
        Requirements.require(up, "no registry at " + REGISTRY + " (ci/start-services.sh starts it with busybox)");
    }

    @AfterAll
    static void stop() {
        if (sshd != null) {
            sshd.close();
        }
    }

    @Test
    void aPlainTestcontainersTestRunsOnTheDaemonBehindSshd() throws Exception {
        Path home = privateHome();
        // kept in target/ for a look after the run (the child's Testcontainers and ssh-container logs)
        Path output = Files.createDirectories(Path.of("target")).resolve("testcontainers-scenario.log");
        ProcessBuilder child = new ProcessBuilder(javaExecutable(), "-Duser.home=" + home, "-cp", testClassPath(),
                ScenarioMain.class.getName(), RemoteHttpdScenario.class.getName())
                .redirectErrorStream(true).redirectOutput(output.toFile()).redirectInput(new File("/dev/null"));
        Map<String, String> env = child.environment();
        env.keySet().removeIf(k -> k.startsWith("DOCKER_") || k.startsWith("TESTCONTAINERS_") || k.equals("SSH_AUTH_SOCK"));
        env.put("HOME", home.toString());
        env.put("DOCKER_HOST", "ssh://" + sshd.user() + "@127.0.0.1:" + sshd.port());
        env.put("TESTCONTAINERS_RYUK_DISABLED", "true");
        env.put("SSHC_REGISTRY", REGISTRY);

        Process process = child.start();
        if (!process.waitFor(CHILD_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            fail("the scenario did not end within " + CHILD_TIMEOUT_SECONDS + " s:\n" + read(output));
        }
        String log = read(output);
        assertEquals(0, process.exitValue(), log);
        assertTrue(log.contains("scenario result: succeeded=3 failed=0 skipped=0"), log);
        // Testcontainers chose this strategy (and remembers it in the private home, not the user's)
        assertTrue(log.contains("through an SSH tunnel (ssh-container)"), log);
        String remembered = read(home.resolve(".testcontainers.properties"));
        assertTrue(remembered.contains("docker.client.strategy=" + SshDockerClientProviderStrategy.class.getName()),
                remembered);
    }

    /** A 0700 home with {@code .ssh/known_hosts} and {@code .ssh/id_ed25519}, as a user would have them. */
    static Path privateHome() throws IOException {
        Path home = Files.createDirectories(tmp.resolve("home"));
        Path ssh = Files.createDirectories(home.resolve(".ssh"));
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
        Files.setPosixFilePermissions(ssh, PosixFilePermissions.fromString("rwx------"));
        sshd.writeKnownHosts(ssh.resolve("known_hosts"));
        Path key = ssh.resolve("id_ed25519");
        Files.copy(sshd.clientKey(), key);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        return home;
    }

    static String javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The test class path: failsafe's own property (java.class.path may be a manifest-only jar), else the JVM's. */
    static String testClassPath() {
        String path = System.getProperty("surefire.test.class.path");
        return path != null && !path.isBlank() ? path : System.getProperty("java.class.path");
    }

    static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    }
}
