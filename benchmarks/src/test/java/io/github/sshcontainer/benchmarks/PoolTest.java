package io.github.sshcontainer.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** Pooling the pairs of several runs, read back from the result lines the runs printed. */
class PoolTest {

    private static String run(double[] openssh, double[] ours, double[] failedOurs) {
        Map<String, String> machine = new LinkedHashMap<>();
        machine.put("cpu", "AMD \"EPYC\"\n2 cores"); // escapes survive the round trip
        Report report = new Report("full", machine);
        Result base = new Result("1 bulk down 1 GiB", "openssh aes128-gcm", Ciphers.AES_GCM, "MiB/s", true);
        Result mine = new Result("1 bulk down 1 GiB", "ours-inproc aes128-gcm", Ciphers.AES_GCM, "MiB/s", true);
        Result broken = new Result("1 bulk down 1 GiB", "ours-socket aes128-gcm", Ciphers.AES_GCM, "MiB/s", true);
        for (int i = 0; i < openssh.length; i++) {
            base.add(openssh[i]);
            mine.add(ours[i]);
            broken.add(failedOurs[i]);
        }
        broken.fail("download checksum mismatch");
        report.add(base);
        report.add(mine);
        report.add(broken);
        return report.json();
    }

    @Test
    void poolsEveryPairOfEveryRunAndLeavesOutFailedRows() {
        String first = run(new double[] {1000, 1000, 1000}, new double[] {1100, 900, 1200}, new double[] {1, 1, 1});
        String second = run(new double[] {800, 800}, new double[] {800, 720}, new double[] {1, 1});
        String table = Pool.markdown(List.of(first, second));
        // ratios 1.1, 0.9, 1.2, 1.0, 0.9: median 1.0, three of five at least as good
        assertTrue(table.contains(
                "| 1 bulk down 1 GiB | ours-inproc aes128-gcm | 2 | 5 | 1.00× | 3 of 5 | 0.90 – 1.20 |"), table);
        assertTrue(!table.contains("ours-socket"), "a failed row has no pairs: " + table);
        assertTrue(!table.contains("| openssh"), "OpenSSH is the reference, not a row: " + table);
        assertEquals(3, table.lines().count(), table);
    }

    @Test
    void aResultLineReadsBackAsTheReportThatPrintedIt() {
        String line = run(new double[] {10, 20}, new double[] {15, 30}, new double[] {1, 2});
        Report back = Pool.report(line);
        assertEquals("full", back.mode);
        assertEquals("AMD \"EPYC\"\n2 cores", back.machine.get("cpu"));
        assertEquals(3, back.results.size());
        Result mine = back.results.get(1);
        assertEquals(List.of(15.0, 30.0), mine.samples());
        assertTrue(mine.ok() && mine.higherIsBetter);
        assertTrue(!back.results.get(2).ok(), "the failed row stays failed");
        assertEquals(line, back.json(), "printed again, the same line");
    }

    @Test
    void filesWithoutAResultLineAndBrokenLinesAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Pool.resultLines("run1.out", List.of("  1 bulk up 1 GiB  openssh  800 MiB/s", "| table |")));
        assertTrue(e.getMessage().contains("run1.out") && e.getMessage().contains("no result line"), e.getMessage());
        assertEquals(List.of("{\"mode\":\"a\"}", "{\"mode\":\"b\"}"),
                Pool.resultLines("two.out", List.of("x", "{\"mode\":\"a\"}", "y", "{\"mode\":\"b\"}")));
        e = assertThrows(IllegalArgumentException.class,
                () -> Pool.markdown(List.of("{\"mode\":\"full\",\"results\":[")));
        assertTrue(e.getMessage().contains("not the JSON a run prints"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Pool.markdown(List.of("{\"mode\":\"full\",\"results\":[1]}")));
        assertTrue(e.getMessage().contains("not the JSON a run prints"),
                "valid JSON of another shape: " + e.getMessage());
    }
}
