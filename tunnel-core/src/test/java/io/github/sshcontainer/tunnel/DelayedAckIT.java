package io.github.sshcontainer.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.github.sshcontainer.tunnel.testing.Cleanup;
import io.github.sshcontainer.tunnel.testing.OpenSshServer;
import io.github.sshcontainer.tunnel.testing.UnixEchoServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * sshd sends a channel's last data, then its EOF and close, as separate small TCP writes, with Nagle's algorithm on:
 * the later ones wait until the client acknowledges the earlier. If the client's kernel holds that ACK back (Linux's
 * delayed ACK, up to 40 ms), every short exchange stalls; the transport acknowledges every read at once so that it
 * does not. Measured without that: nearly every cycle below took 40–50 ms, at every size from 100 bytes to 150 KB
 * (skipping it only for large reads kept the stalls from 40 KB up). A stall is a protocol effect, not a speed: the
 * bound below is a tenth of the cycles, far above what a slow machine's scheduling noise gives.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DelayedAckIT {
    private static final int CYCLES = 60;
    private static final long STALL_MILLIS = 30;

    static OpenSshServer sshd;
    static UnixEchoServer echo;
    static Tunnel tunnel;

    @BeforeAll
    static void start() throws Exception {
        sshd = OpenSshServer.startOrSkip(OpenSshServer.builder());
        echo = UnixEchoServer.start();
        Path knownHosts = sshd.dir().resolve("known_hosts_delayed_ack");
        sshd.writeKnownHosts(knownHosts);
        tunnel = Tunnel.to(TunnelBehaviourIT.target(sshd), RemoteEndpoint.unixSocket(echo.path().toString()))
                .options(TunnelBehaviourIT.keyOptions(sshd, knownHosts).build()).inProcessOnly().open();
    }

    @AfterAll
    static void stop() {
        Cleanup.closeAll(tunnel, echo, sshd);
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {100, 40_000, 150_000})
    void shortExchangesEndWithoutWaitingForADelayedAck(int size) throws Exception {
        byte[] data = new byte[size];
        byte[] buf = new byte[64 * 1024];
        int stalls = 0;
        for (int i = 0; i < CYCLES; i++) {
            long start = System.nanoTime();
            try (TunnelConnection c = tunnel.openConnection()) {
                c.outputStream().write(data);
                c.shutdownOutput();
                InputStream in = c.inputStream();
                long got = 0;
                for (int n; (n = in.read(buf)) > 0; ) {
                    got += n;
                }
                assertEquals(size, got, "the echo of cycle " + i);
            }
            if (System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(STALL_MILLIS)) {
                stalls++;
            }
        }
        assertTrue(stalls <= CYCLES / 10, stalls + " of " + CYCLES + " open-echo-EOF-close cycles of " + size
                + " bytes took " + STALL_MILLIS + " ms or more: the client's ACKs are being delayed");
    }
}
