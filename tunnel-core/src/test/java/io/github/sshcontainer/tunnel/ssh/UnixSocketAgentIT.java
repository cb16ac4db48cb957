package io.github.sshcontainer.tunnel.ssh;

import io.github.sshcontainer.tunnel.testing.Requirements;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.apache.sshd.agent.SshAgent;
import org.apache.sshd.agent.SshAgentFactory;
import org.apache.sshd.agent.SshAgentServer;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.FactoryManager;
import org.apache.sshd.common.NamedFactory;
import org.apache.sshd.common.channel.ChannelFactory;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;
import org.apache.sshd.common.session.ConnectionService;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionContext;
import org.apache.sshd.common.signature.BuiltinSignatures;
import org.apache.sshd.common.signature.Signature;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link UnixSocketAgent} and {@link UnixSocketAgentFactory} against a real OpenSSH {@code ssh-agent} holding keys made
 * by {@code ssh-keygen}, and an in-test MINA {@link SshServer} that checks the agent's signatures.
 */
class UnixSocketAgentIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private static Path dir;
    private static AgentProcess keyed;
    private static AgentProcess empty;
    private static PublicKey ed25519;
    private static PublicKey rsa;
    /** Absolute paths of the OpenSSH tools, by name. */
    private static final Map<String, Path> TOOLS = new java.util.HashMap<>();

    @BeforeAll
    static void startAgents() throws Exception {
        requireTools("ssh-agent", "ssh-add", "ssh-keygen");
        // unix socket paths are limited to ~100 bytes: keep the directory short
        Path base = Files.isDirectory(Path.of("/tmp")) ? Path.of("/tmp") : Path.of(System.getProperty("java.io.tmpdir"));
        dir = Files.createTempDirectory(base, "agent-it");

        run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "it-ed25519", "-f", dir.resolve("id_ed25519").toString()), Map.of());
        run(List.of("ssh-keygen", "-q", "-t", "rsa", "-b", "3072", "-N", "", "-C", "it-rsa", "-f", dir.resolve("id_rsa").toString()), Map.of());
        ed25519 = readPublicKey(dir.resolve("id_ed25519.pub"));
        rsa = readPublicKey(dir.resolve("id_rsa.pub"));

        keyed = AgentProcess.start(dir.resolve("keyed.sock"));
        keyed.add(dir.resolve("id_ed25519"));
        keyed.add(dir.resolve("id_rsa"));
        empty = AgentProcess.start(dir.resolve("empty.sock"));
    }

    @AfterAll
    static void stopAgents() throws IOException {
        for (AgentProcess agent : new AgentProcess[] {keyed, empty}) {
            if (agent != null) {
                agent.stop();
            }
        }
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    // (a)
    @Test
    void listsTheAgentsKeys() throws Exception {
        try (UnixSocketAgent agent = new UnixSocketAgent(keyed.socket)) {
            List<Map.Entry<PublicKey, String>> ids = new ArrayList<>();
            agent.getIdentities().forEach(ids::add);

            assertEquals(2, ids.size(), "identities: " + ids.size());
            assertEquals("it-ed25519", commentOf(ids, ed25519).orElseThrow(() -> new AssertionError("no ed25519 key")));
            assertEquals("it-rsa", commentOf(ids, rsa).orElseThrow(() -> new AssertionError("no RSA key")));
        }
    }

    @Test
    void oneAgentServesConcurrentCallersOneAtATime() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try (UnixSocketAgent agent = new UnixSocketAgent(keyed.socket)) {
            List<Future<Integer>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                results.add(pool.submit(() -> {
                    int seen = 0;
                    for (int j = 0; j < 25; j++) {
                        for (Map.Entry<PublicKey, String> ignored : agent.getIdentities()) {
                            seen++;
                        }
                        byte[] data = randomBytes(64);
                        Map.Entry<String, byte[]> sig = agent.sign(null, ed25519, "ssh-ed25519", data);
                        assertTrue(verify(BuiltinSignatures.ed25519, ed25519, data, sig.getValue()));
                    }
                    return seen;
                }));
            }
            for (Future<Integer> r : results) {
                assertEquals(50, r.get(60, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // (b) signatures, checked directly
    @Test
    void signsWithEd25519() throws Exception {
        byte[] data = randomBytes(1000);
        try (UnixSocketAgent agent = new UnixSocketAgent(keyed.socket)) {
            Map.Entry<String, byte[]> sig = agent.sign(null, ed25519, "ssh-ed25519", data);
            assertEquals("ssh-ed25519", sig.getKey());
            assertTrue(verify(BuiltinSignatures.ed25519, ed25519, data, sig.getValue()));
            assertFalse(verify(BuiltinSignatures.ed25519, ed25519, randomBytes(1000), sig.getValue()));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"rsa-sha2-256", "rsa-sha2-512"})
    void signsWithRsaSha2(String algorithm) throws Exception {
        byte[] data = randomBytes(1000);
        try (UnixSocketAgent agent = new UnixSocketAgent(keyed.socket)) {
            Map.Entry<String, byte[]> sig = agent.sign(null, rsa, algorithm, data);
            assertEquals(algorithm, sig.getKey());
            assertTrue(verify(BuiltinSignatures.fromFactoryName(algorithm), rsa, data, sig.getValue()));
        }
    }

    // (b) end to end: MINA's client authenticates with nothing but the agent
    @Test
    void authenticatesWithTheAgentsEd25519Key() throws Exception {
        List<String> algorithms = new CopyOnWriteArrayList<>();
        try (SshServer server = startServer(ed25519, null);
             SshClient client = startClient(new RecordingFactory(keyed.socket, algorithms));
             ClientSession session = connect(client, server)) {
            session.auth().verify(TIMEOUT);
            assertTrue(session.isAuthenticated());
        }
        assertEquals(List.of("ssh-ed25519"), algorithms);
    }

    @ParameterizedTest
    @ValueSource(strings = {"rsa-sha2-256", "rsa-sha2-512"})
    void authenticatesWithTheAgentsRsaKeyUsingSha2(String algorithm) throws Exception {
        List<String> algorithms = new CopyOnWriteArrayList<>();
        // the server only accepts this one RSA signature algorithm (plus ECDSA for its own host key)
        List<NamedFactory<Signature>> serverSignatures = List.of(BuiltinSignatures.nistp256,
                BuiltinSignatures.fromFactoryName(algorithm));
        try (SshServer server = startServer(rsa, serverSignatures);
             SshClient client = startClient(new RecordingFactory(keyed.socket, algorithms));
             ClientSession session = connect(client, server)) {
            session.auth().verify(TIMEOUT);
            assertTrue(session.isAuthenticated());
        }
        // the ed25519 key was offered first and refused without a signature; only the RSA key was asked to sign
        assertEquals(List.of(algorithm), algorithms);
    }

    @Test
    void theFactoryPlugsIntoSshClient() throws Exception {
        try (SshServer server = startServer(ed25519, null);
             SshClient client = startClient(new UnixSocketAgentFactory(keyed.socket));
             ClientSession session = connect(client, server)) {
            session.auth().verify(TIMEOUT);
            assertTrue(session.isAuthenticated());
        }
    }

    // (c)
    @Test
    void anAgentWithoutKeysFailsAuthenticationWithoutHanging() throws Exception {
        try (SshServer server = startServer(ed25519, null);
             SshClient client = startClient(new UnixSocketAgentFactory(empty.socket));
             ClientSession session = connect(client, server)) {
            IOException e = assertTimeoutPreemptively(Duration.ofSeconds(20),
                    () -> assertThrows(IOException.class, () -> session.auth().verify(TIMEOUT)));
            assertFalse(session.isAuthenticated(), e.toString());
        }
    }

    // (d)
    @Test
    void aMissingSocketIsAClearError() throws Exception {
        Path missing = dir.resolve("missing.sock");
        try (UnixSocketAgent agent = new UnixSocketAgent(missing)) {
            IOException e = assertThrows(IOException.class, agent::getIdentities);
            assertEquals("cannot reach ssh-agent at " + missing + " (SSH_AUTH_SOCK): No such file or directory",
                    e.getMessage());
        }
    }

    @Test
    void aMissingSocketFailsAuthenticationNamingThePath() throws Exception {
        Path missing = dir.resolve("missing.sock");
        try (SshServer server = startServer(ed25519, null);
             SshClient client = startClient(new UnixSocketAgentFactory(missing));
             ClientSession session = connect(client, server)) {
            IOException e = assertTimeoutPreemptively(Duration.ofSeconds(20),
                    () -> assertThrows(IOException.class, () -> session.auth().verify(TIMEOUT)));
            assertTrue(causes(e).anyMatch(t -> String.valueOf(t.getMessage()).contains(missing.toString())),
                    "the failure should name " + missing + ": " + e);
        }
    }

    // --- fixtures

    /** A MINA server on 127.0.0.1 that accepts only {@code allowed}, for user "it". */
    private static SshServer startServer(PublicKey allowed, List<NamedFactory<Signature>> signatures) throws IOException {
        SshServer server = SshServer.setUpDefaultServer();
        server.setHost("127.0.0.1");
        server.setPort(0);
        SimpleGeneratorHostKeyProvider hostKeys = new SimpleGeneratorHostKeyProvider(); // in memory
        hostKeys.setAlgorithm(KeyUtils.EC_ALGORITHM);
        hostKeys.setKeySize(256);
        server.setKeyPairProvider(hostKeys);
        if (signatures != null) {
            server.setSignatureFactories(signatures);
        }
        server.setPublickeyAuthenticator((user, key, session) -> "it".equals(user) && KeyUtils.compareKeys(allowed, key));
        server.start();
        return server;
    }

    /** A MINA client with no key of its own: the agent is its only source of keys. */
    private static SshClient startClient(SshAgentFactory agentFactory) {
        SshClient client = SshClient.setUpDefaultClient();
        // Only in this test: the server is an in-process one with a throw-away host key made a moment ago, so there is
        // nothing to verify it against. Production code must never accept every host key.
        client.setServerKeyVerifier(AcceptAllServerKeyVerifier.INSTANCE);
        client.setHostConfigEntryResolver(HostConfigEntryResolver.EMPTY); // ignore ~/.ssh/config
        client.setKeyIdentityProvider(KeyIdentityProvider.EMPTY_KEYS_PROVIDER); // ignore ~/.ssh/id_*
        client.setAgentFactory(agentFactory);
        client.start();
        return client;
    }

    private static ClientSession connect(SshClient client, SshServer server) throws IOException {
        return client.connect("it", "127.0.0.1", server.getPort()).verify(TIMEOUT).getSession();
    }

    private static boolean verify(NamedFactory<Signature> factory, PublicKey key, byte[] data, byte[] signature)
            throws Exception {
        Signature verifier = factory.create();
        verifier.initVerifier(null, key);
        verifier.update(null, data);
        return verifier.verify(null, signature);
    }

    private static PublicKey readPublicKey(Path pub) throws Exception {
        String line = Files.readString(pub, StandardCharsets.UTF_8).trim();
        return PublicKeyEntry.parsePublicKeyEntry(line)
                .resolvePublicKey(null, Collections.emptyMap(), PublicKeyEntryResolver.FAILING);
    }

    private static Optional<String> commentOf(List<Map.Entry<PublicKey, String>> ids, PublicKey key) {
        return ids.stream().filter(e -> KeyUtils.compareKeys(key, e.getKey())).map(Map.Entry::getValue).findFirst();
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    private static Stream<Throwable> causes(Throwable t) {
        List<Throwable> all = new ArrayList<>();
        for (Throwable c = t; c != null && !all.contains(c); c = c.getCause()) {
            all.add(c);
            Collections.addAll(all, c.getSuppressed());
        }
        return all.stream();
    }

    /** Records the signature algorithm of each sign request MINA's client makes through the agent. */
    private static final class RecordingFactory implements SshAgentFactory {
        private final Path socket;
        private final List<String> algorithms;

        RecordingFactory(Path socket, List<String> algorithms) {
            this.socket = socket;
            this.algorithms = algorithms;
        }

        @Override
        public List<ChannelFactory> getChannelForwardingFactories(FactoryManager manager) {
            return Collections.emptyList();
        }

        @Override
        public SshAgent createClient(Session session, FactoryManager manager) {
            return new UnixSocketAgent(socket) {
                @Override
                public Map.Entry<String, byte[]> sign(SessionContext s, PublicKey key, String algo, byte[] data)
                        throws IOException {
                    algorithms.add(algo);
                    return super.sign(s, key, algo, data);
                }
            };
        }

        @Override
        public SshAgentServer createServer(ConnectionService service) {
            throw new UnsupportedOperationException();
        }
    }

    // --- processes

    /** A real {@code ssh-agent -D -a SOCKET}. */
    private static final class AgentProcess {
        final Path socket;
        final Process process;

        private AgentProcess(Path socket, Process process) {
            this.socket = socket;
            this.process = process;
        }

        static AgentProcess start(Path socket) throws Exception {
            Path log = socket.resolveSibling(socket.getFileName() + ".log");
            Process p = new ProcessBuilder(TOOLS.get("ssh-agent").toString(), "-D", "-a", socket.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            p.getOutputStream().close();
            AgentProcess agent = new AgentProcess(socket, p);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!Files.exists(socket)) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    agent.stop();
                    fail("ssh-agent did not create " + socket + ": " + Files.readString(log));
                }
                Thread.sleep(20);
            }
            return agent;
        }

        void add(Path key) throws Exception {
            run(List.of("ssh-add", key.toString()), Map.of(SshAgent.SSH_AUTHSOCKET_ENV_NAME, socket.toString()));
        }

        void stop() {
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }

    private static void run(List<String> command, Map<String, String> env) throws Exception {
        List<String> resolved = new ArrayList<>(command);
        resolved.set(0, TOOLS.getOrDefault(command.get(0), Path.of(command.get(0))).toString());
        ProcessBuilder pb = new ProcessBuilder(resolved).redirectErrorStream(true);
        pb.environment().putAll(env);
        pb.environment().remove("SSH_ASKPASS"); // the keys have no passphrase; never prompt
        Process p = pb.start();
        p.getOutputStream().close();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", command) + " did not finish: " + output);
        }
        if (p.exitValue() != 0) {
            fail(String.join(" ", command) + " exited with " + p.exitValue() + ": " + output);
        }
    }

    /** Skips the tests when an OpenSSH tool is missing, except on CI (CI=true), where that is a failure. */
    private static void requireTools(String... tools) {
        for (String tool : tools) {
            Optional<Path> found = findOnPath(tool);
            found.ifPresent(p -> TOOLS.put(tool, p));
            if (found.isEmpty()) {
                Requirements.require(false, tool + " (OpenSSH client tools) is not installed");
            }
        }
    }

    private static Optional<Path> findOnPath(String tool) {
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("") + File.pathSeparator + "/usr/bin";
        return Stream.of(path.split(File.pathSeparator))
                .filter(d -> !d.isEmpty())
                .map(d -> Path.of(d, tool))
                .filter(Files::isExecutable)
                .findFirst();
    }
}
