package io.github.sshcontainer.tunnel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.github.sshcontainer.tunnel.internal.ChaChaPolyCipher;
import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.common.kex.KexProposalOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Algorithms like OpenSSH's client (8.8 and later): modern key exchange and host key signatures are negotiated, and
 * a server that offers only SHA-1 ones is refused with a message that says so, instead of being used quietly.
 */
class AlgorithmsIT {
    @TempDir
    Path dir;

    @Test
    void aModernServerNegotiatesNoSha1() throws Exception {
        try (OpenSshServer sshd = OpenSshServer.startOrSkip(OpenSshServer.builder());
                SshConnector connector = SshConnector.create(sshd.clientOptions(dir.resolve("kh")).build());
                ClientSession session = connector.connect(sshd.target())) {
            String kex = session.getNegotiatedKexParameter(KexProposalOption.ALGORITHMS);
            String hostKey = session.getNegotiatedKexParameter(KexProposalOption.SERVERKEYS);
            assertFalse(kex.contains("sha1"), kex);
            assertEquals("ssh-ed25519", hostKey);
            assertFalse(session.getNegotiatedKexParameter(KexProposalOption.C2SMAC).contains("sha1")
                    && !session.getNegotiatedKexParameter(KexProposalOption.C2SENC).contains("gcm"), "an AEAD cipher "
                    + "or a SHA-2 MAC");
        }
    }

    @Test
    void aServerWithOnlySha1KeyExchangeIsRefusedWithTheReason() throws Exception {
        try (OpenSshServer sshd = OpenSshServer.startOrSkip(OpenSshServer.builder()
                .extraConfig("KexAlgorithms diffie-hellman-group14-sha1,diffie-hellman-group1-sha1"));
                SshConnector connector = SshConnector.create(sshd.clientOptions(dir.resolve("kh")).build())) {
            SshTunnelException e = assertThrows(SshTunnelException.class, () -> connector.connect(sshd.target()).close());
            assertEquals(Failure.CONNECT, e.failure(), e.getMessage());
            assertTrue(e.getMessage().contains("key exchange"), e.getMessage());
            assertTrue(e.getMessage().contains("diffie-hellman-group14-sha1"), "names what the server offers: "
                    + e.getMessage());
            assertTrue(e.getMessage().contains("SHA-1"), e.getMessage());
        }
    }

    @Test
    void anRsaKeyIsNeverSignedWithSha1() throws Exception {
        Path rsa = dir.resolve("id_rsa");
        Process keygen = new ProcessBuilder("ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", rsa.toString())
                .redirectErrorStream(true).start();
        assertTrue(keygen.waitFor(60, TimeUnit.SECONDS) && keygen.exitValue() == 0, "ssh-keygen");
        // the server accepts RSA keys only with SHA-1 signatures ("ssh-rsa"), as OpenSSH before 7.2 did
        try (OpenSshServer sshd = OpenSshServer.startOrSkip(OpenSshServer.builder()
                .extraConfig("PubkeyAcceptedAlgorithms ssh-rsa"))) {
            Files.write(sshd.dir().resolve("authorized_keys"), Files.readAllBytes(dir.resolve("id_rsa.pub")),
                    StandardOpenOption.APPEND);
            SshOptions options = SshOptions.builder().identity(rsa).knownHosts(dir.resolve("kh"))
                    .hostKeyPolicy(HostKeyPolicy.ACCEPT_NEW).sshConfig(null).useAgent(false).build();
            try (SshConnector connector = SshConnector.create(options)) {
                AuthenticationException e = assertThrows(AuthenticationException.class,
                        () -> connector.connect(sshd.target()).close());
                assertTrue(e.getMessage().contains("publickey"), e.getMessage());
            }
        }
        // the same key with SHA-2 signatures (rsa-sha2-256/512, the server's default) is accepted
        try (OpenSshServer sshd = OpenSshServer.startOrSkip(OpenSshServer.builder())) {
            Files.write(sshd.dir().resolve("authorized_keys"), Files.readAllBytes(dir.resolve("id_rsa.pub")),
                    StandardOpenOption.APPEND);
            SshOptions options = SshOptions.builder().identity(rsa).knownHosts(dir.resolve("kh2"))
                    .hostKeyPolicy(HostKeyPolicy.ACCEPT_NEW).sshConfig(null).useAgent(false).build();
            try (SshConnector connector = SshConnector.create(options);
                    ClientSession session = connector.connect(sshd.target())) {
                assertTrue(session.isAuthenticated());
            }
        }
    }

    /**
     * Rekeying as OpenSSH does by default: after 2^32 blocks with AES (RFC 4344; 64 GiB), not after every gigabyte
     * (MINA's own default), which stalls a bulk transfer with a key exchange once a second.
     */
    @Test
    void moreThanAGigabyteWithAesGcmNeedsNoNewKeyExchange() throws Exception {
        long size = (1L << 30) + (64L << 20);
        try (OpenSshServer sshd = OpenSshServer.startOrSkip(OpenSshServer.builder());
                SshConnector connector = SshConnector.create(sshd.clientOptions(dir.resolve("kh"))
                        .ciphers(List.of("aes128-gcm@openssh.com")).build());
                ClientSession session = connector.connect(sshd.target())) {
            AtomicInteger keyExchanges = new AtomicInteger();
            session.addSessionListener(new SessionListener() {
                @Override
                public void sessionEvent(Session s, Event event) {
                    if (event == Event.KeyEstablished) {
                        keyExchanges.incrementAndGet();
                    }
                }
            });
            AtomicLong received = new AtomicLong();
            try (ChannelExec exec = session.createExecChannel("head -c " + size + " /dev/zero")) {
                exec.setOut(new OutputStream() {
                    @Override
                    public void write(int b) {
                        received.incrementAndGet();
                    }

                    @Override
                    public void write(byte[] b, int off, int len) {
                        received.addAndGet(len);
                    }
                });
                exec.open().verify(Duration.ofSeconds(30));
                exec.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), Duration.ofMinutes(3));
            }
            assertEquals(size, received.get(), "bytes received");
            assertEquals(0, keyExchanges.get(), "key exchanges after the first");
        }
    }

    /**
     * ChaCha20-Poly1305 is ours (the JDK's ChaCha20, our Poly1305), and OpenSSH agrees with it both ways, before and
     * after a new key exchange (new keys, the sequence numbers going on).
     */
    @Test
    void chaCha20Poly1305IsOursAndOpenSshAgreesBothWaysAcrossANewKey() throws Exception {
        try (OpenSshServer sshd = OpenSshServer.startOrSkip(OpenSshServer.builder());
                SshConnector connector = SshConnector.create(sshd.clientOptions(dir.resolve("kh"))
                        .ciphers(List.of(ChaChaPolyCipher.NAME)).build());
                ClientSession session = connector.connect(sshd.target())) {
            assertEquals(ChaChaPolyCipher.NAME, session.getNegotiatedKexParameter(KexProposalOption.C2SENC));
            assertInstanceOf(ChaChaPolyCipher.class, session.getCipherInformation(true));
            assertInstanceOf(ChaChaPolyCipher.class, session.getCipherInformation(false));
            Random random = new Random(11);
            for (int round = 0; round < 2; round++) {
                byte[] data = new byte[(4 << 20) + 1234];
                random.nextBytes(data);
                ByteArrayOutputStream echoed = new ByteArrayOutputStream();
                try (ChannelExec cat = session.createExecChannel("cat")) {
                    cat.setIn(new ByteArrayInputStream(data));
                    cat.setOut(echoed);
                    cat.open().verify(Duration.ofSeconds(30));
                    cat.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), Duration.ofMinutes(2));
                }
                assertArrayEquals(data, echoed.toByteArray(), "round " + round + ": echoed by sshd's cat");
                if (round == 0) {
                    assertTrue(session.reExchangeKeys().verify(Duration.ofSeconds(30)).isDone());
                }
            }
        }
    }
}
