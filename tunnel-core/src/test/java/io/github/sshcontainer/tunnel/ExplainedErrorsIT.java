package io.github.sshcontainer.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Socket;
import java.nio.file.Path;

import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Failures that used to surface as "connection closed", explained with the sshd setting behind them. */
class ExplainedErrorsIT {
    @TempDir
    Path dir;

    @Test
    void aConnectionDroppedBeforeTheBannerNamesMaxStartups() throws Exception {
        try (OpenSshServer sshd = OpenSshServer.startOrSkip(OpenSshServer.builder().extraConfig("MaxStartups 1:100:1"));
                Socket holder = sshd.holdUnauthenticatedConnection();
                SshConnector connector = SshConnector.create(sshd.clientOptions(dir.resolve("kh")).build())) {
            SshTunnelException e = assertThrows(SshTunnelException.class, () -> connector.connect(sshd.target()).close());
            assertEquals(Failure.CONNECT, e.failure(), e.getMessage());
            assertTrue(e.getMessage().contains("closed it before identifying itself"), e.getMessage());
            assertTrue(e.getMessage().contains("MaxStartups"), e.getMessage());
        }
    }

    @Test
    void aRefusedKeyListsWhatTheServerOfferedAndWhatWasTried() throws Exception {
        try (OpenSshServer sshd = OpenSshServer.startOrSkip(OpenSshServer.builder().passwordAuthentication(true))) {
            SshOptions options = sshd.clientOptions(dir.resolve("kh")).build().toBuilder().build();
            SshOptions wrongKey = SshOptions.builder().identity(sshd.unauthorizedKey()).knownHosts(options.knownHosts()
                    .get(0)).sshConfig(null).useAgent(false).build();
            try (SshConnector connector = SshConnector.create(wrongKey)) {
                AuthenticationException e = assertThrows(AuthenticationException.class,
                        () -> connector.connect(sshd.target()).close());
                assertTrue(e.getMessage().contains("the server offers publickey,password, we tried publickey"),
                        e.getMessage());
            }
        }
    }
}
