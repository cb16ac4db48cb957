package io.github.sshcontainer.benchmarks;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * A small run of {@code floor}: every packet sealed, sent, received and opened, and the last ChaCha20-sealed one
 * opened again (a wrong byte throws); costs > 0.
 */
class FloorTest {
    @Test
    void aSmallRunChecksEveryPacketAndReportsEachCost() throws Exception {
        Floor.Costs c = Floor.measure(16);
        for (double ms : new double[] {c.send(), c.receive(), c.receiveHandedOff(), c.seal(), c.sealChaCha()}) {
            assertTrue(ms > 0 && Double.isFinite(ms), "a CPU cost per MiB: " + c);
        }
        assertTrue(c.mibPerSecond() > 0, c.toString());
    }
}
