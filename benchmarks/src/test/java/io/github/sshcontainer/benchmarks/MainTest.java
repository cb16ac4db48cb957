package io.github.sshcontainer.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;

import org.junit.jupiter.api.Test;

class MainTest {

    @Test
    void quickWithOnlyPicksWorkloads() {
        Config c = Main.parse(new String[] {"--quick", "--only", "bulk,rtt", "--repeats", "4"});
        assertEquals("quick", c.mode());
        assertEquals(Set.of("bulk", "rtt"), c.only());
        assertEquals(4, c.repeats());
        assertTrue(c.runs("bulk"));
        assertTrue(!c.runs("fleet"));
    }

    @Test
    void fullIsTheDefaultWithAFleetOfAHundred() {
        Config c = Main.parse(new String[0]);
        assertEquals("full", c.mode());
        assertEquals(100, c.fleet());
        assertEquals(1L << 30, c.bulkBytes());
    }

    @Test
    void contendersAreChosenByTheirLabelsStart() {
        Config c = Main.parse(new String[] {"--tiny", "--contenders", "ours-inproc,openssh aes"});
        assertTrue(c.runs(contender("ours-inproc", Ciphers.AES_GCM)));
        assertTrue(c.runs(contender("ours-inproc", Ciphers.CHACHA)));
        assertTrue(c.runs(contender("openssh", Ciphers.AES_GCM)));
        assertTrue(!c.runs(contender("openssh", Ciphers.CHACHA)));
        assertTrue(!c.runs(new Contender.Direct(java.util.Map.of())));
        assertTrue(Main.parse(new String[] {"--tiny"}).runs(new Contender.Direct(java.util.Map.of())), "all by default");
    }

    private static Contender contender(String name, String cipher) {
        return new Contender(name, cipher) {
            @Override
            Conn connect(Remote remote) {
                throw new UnsupportedOperationException();
            }
        };
    }

    @Test
    void badArgumentsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Main.parse(new String[] {"--only", "bulk,nope"}));
        assertTrue(e.getMessage().contains("'nope'") && e.getMessage().contains("bulk,parallel"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Main.parse(new String[] {"--repeats", "0"}));
        assertTrue(e.getMessage().contains("--repeats"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Main.parse(new String[] {"--fast"}));
        assertTrue(e.getMessage().contains("--fast"), e.getMessage());
        assertNull(Main.parse(new String[] {"--help"}));
    }

    @Test
    void ratioIsAboveOneWhenBetterThanOpenSshWhicheverWayTheUnitGoes() {
        Report report = new Report("t", new java.util.LinkedHashMap<>());
        Result ossh = new Result("w", "openssh aes128-gcm", Ciphers.AES_GCM, "ms", false);
        Result ours = new Result("w", "ours", Ciphers.AES_GCM, "ms", false);
        ossh.add(200);
        ours.add(100);
        report.add(ossh);
        report.add(ours);
        assertEquals(2.0, report.ratio(ours), 1e-9);
        Result up = new Result("v", "openssh aes128-gcm", Ciphers.AES_GCM, "MiB/s", true);
        Result fast = new Result("v", "ours", Ciphers.AES_GCM, "MiB/s", true);
        up.add(100);
        fast.add(150);
        report.add(up);
        report.add(fast);
        assertEquals(1.5, report.ratio(fast), 1e-9);
    }

    @Test
    void pairedRatioComparesEachRepeatWithOpenSshsSampleOfTheSameRepeat() {
        Report report = new Report("t", new java.util.LinkedHashMap<>());
        Result ossh = new Result("w", "openssh aes128-gcm", Ciphers.AES_GCM, "MiB/s", true);
        Result ours = new Result("w", "ours", Ciphers.AES_GCM, "MiB/s", true);
        // a slow spell in repeat 2 hits both: the medians say 0.80x, every pair says better than OpenSSH
        double[] theirs = {1000, 500, 1000};
        double[] mine = {1100, 550, 800};
        for (int i = 0; i < 3; i++) {
            ossh.add(theirs[i]);
            ours.add(mine[i]);
        }
        report.add(ossh);
        report.add(ours);
        assertEquals(0.8, report.ratio(ours), 1e-9);
        Report.Paired p = report.paired(ours);
        assertEquals(1.1, p.median(), 1e-9);
        assertEquals(2, p.atLeastOne());
        assertEquals(3, p.pairs());
        assertNull(report.paired(ossh), "OpenSSH is not paired with itself");
        assertTrue(report.markdown().contains("| 0.80× | 1.10× (2 of 3) |"), report.markdown());
        assertTrue(report.json().contains("\"paired\":{\"median\":1.100,\"atLeastOne\":2,\"pairs\":3}"), report.json());

        Result lower = new Result("l", "openssh aes128-gcm", Ciphers.AES_GCM, "ms", false);
        Result fewer = new Result("l", "ours", Ciphers.AES_GCM, "ms", false);
        lower.add(10);
        lower.add(30);
        fewer.add(5);
        report.add(lower);
        report.add(fewer);
        assertNull(report.paired(fewer), "a contender that missed a repeat has no pairs");
        fewer.add(30);
        assertEquals(1.5, report.paired(fewer).median(), 1e-9, "time: OpenSSH's over ours, 2.0 and 1.0");
        assertEquals(2, report.paired(fewer).atLeastOne(), "a tie is at least as good");
    }
}
