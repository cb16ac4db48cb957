package io.github.sshcontainer.tunnel.ssh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.github.sshcontainer.tunnel.HostKeyException;
import io.github.sshcontainer.tunnel.SshConnector;
import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import org.apache.sshd.client.session.ClientSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code @cert-authority}: a real sshd serving a host certificate signed by a CA made here with ssh-keygen. */
class HostCertificateIT {
    @TempDir
    static Path caDir;
    private static OpenSshServer sshd;
    private static String caPublic;
    private static String otherCaPublic;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        keygen(caDir.resolve("ca"));
        keygen(caDir.resolve("other_ca"));
        caPublic = Files.readString(caDir.resolve("ca.pub"), StandardCharsets.US_ASCII).trim();
        otherCaPublic = Files.readString(caDir.resolve("other_ca.pub"), StandardCharsets.US_ASCII).trim();
        sshd = OpenSshServer.startOrSkip(OpenSshServer.builder().hostCertificate(caDir.resolve("ca"), "127.0.0.1"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (sshd != null) {
            sshd.close();
        }
    }

    private static void keygen(Path file) throws Exception {
        Process p = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test-ca", "-f",
                file.toString()).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, "ssh-keygen failed");
    }

    private SshOptions options(Path knownHosts) {
        return SshOptions.builder().identity(sshd.clientKey()).knownHosts(knownHosts).sshConfig(null).useAgent(false)
                .build();
    }

    @Test
    void aHostCertificateSignedByATrustedCaIsAccepted() throws Exception {
        assertTrue(Files.readString(sshd.configFile()).contains("HostCertificate "));
        Path knownHosts = dir.resolve("known_hosts");
        Files.writeString(knownHosts, "# only the CA is known, not the host key\n@cert-authority 127.0.0.1,[127.0.0.1]:*"
                + " " + caPublic + "\n");
        try (SshConnector connector = SshConnector.create(options(knownHosts));
                ClientSession session = connector.connect(sshd.target())) {
            assertTrue(session.isAuthenticated());
            assertEquals("@cert-authority " + knownHosts.toAbsolutePath() + ":2",
                    session.getAttribute(KnownHostsVerifier.HOST_KEY_SOURCE));
        }
    }

    @Test
    void aCertificateFromAnotherCaIsJudgedAsAPlainKey() throws Exception {
        Path knownHosts = dir.resolve("known_hosts");
        Files.writeString(knownHosts, "@cert-authority * " + otherCaPublic + "\n");
        try (SshConnector connector = SshConnector.create(options(knownHosts))) {
            HostKeyException e = assertThrows(HostKeyException.class, () -> connector.connect(sshd.target()).close());
            assertTrue(e.getMessage().startsWith("host key for [127.0.0.1]:" + sshd.port() + " is not known (ssh-ed25519"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("files consulted: " + knownHosts.toAbsolutePath()), e.getMessage());
        }
        // the plain host key listed as usual still works next to an untrusted CA
        Files.writeString(knownHosts, "@cert-authority * " + otherCaPublic + "\n[127.0.0.1]:" + sshd.port() + " "
                + sshd.hostKeyPublicLine() + "\n");
        try (SshConnector connector = SshConnector.create(options(knownHosts));
                ClientSession session = connector.connect(sshd.target())) {
            assertEquals(knownHosts.toAbsolutePath() + ":2", session.getAttribute(KnownHostsVerifier.HOST_KEY_SOURCE));
        }
    }

    @Test
    void aRevokedCaIsRefused() throws Exception {
        Path knownHosts = dir.resolve("known_hosts");
        Files.writeString(knownHosts, "@cert-authority * " + caPublic + "\n@revoked * " + caPublic + "\n");
        try (SshConnector connector = SshConnector.create(options(knownHosts))) {
            HostKeyException e = assertThrows(HostKeyException.class, () -> connector.connect(sshd.target()).close());
            assertTrue(e.getMessage().contains("REVOKED"), e.getMessage());
        }
    }
}
