package io.github.sshcontainer.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import io.github.sshcontainer.tunnel.testing.Requirements;
import org.junit.jupiter.api.Test;

/**
 * The harness end to end at tiny sizes against a real sshd: it completes, every contender produced a result on every
 * workload, and every transfer's checksum (or echo) matched. Speed is not asserted.
 */
class BenchmarksSmokeIT {

    @Test
    void tinyRunCompletesWithAResultFromEveryContender() throws Exception {
        Requirements.require(Sshd.available(),
                "OpenSSH (sshd, ssh, ssh-keygen) is not installed (apt-get install openssh-server openssh-client)");
        Report report;
        try (Harness harness = new Harness(Config.tiny(), System.err)) {
            report = harness.run();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Main.print(report, new PrintStream(out, true, StandardCharsets.UTF_8));
        String printed = out.toString(StandardCharsets.UTF_8);
        System.out.println(report.markdown());

        for (Result r : report.results) {
            assertTrue(r.ok(), () -> r.workload + " / " + r.contender + " failed: " + r.error());
            assertTrue(r.checksumsMatched(), () -> r.workload + " / " + r.contender + ": data not verified");
        }
        Set<String> workloads = report.results.stream().map(r -> r.workload.split(" ")[0])
                .collect(Collectors.toCollection(LinkedHashSet::new));
        assertEquals(List.of("1", "2", "3", "4", "5", "6", "7"), List.copyOf(workloads));

        Set<String> gcm = Set.of("direct", "openssh aes128-gcm", "ours-socket aes128-gcm", "ours-inproc aes128-gcm");
        for (String w : List.of("1 bulk up", "1 bulk down", "2 parallel up", "2 parallel down", "3 round trips echo",
                "4 open", "5 concurrent")) {
            Set<String> seen = report.results.stream().filter(r -> r.workload.startsWith(w)).map(r -> r.contender)
                    .collect(Collectors.toSet());
            assertTrue(seen.containsAll(gcm), () -> w + " lacks a contender: " + seen);
            if (w.startsWith("2") || w.startsWith("5")) {
                assertTrue(seen.contains("ours-striped-2 aes128-gcm"), () -> w + " lacks the striped contender");
            }
        }
        // rows with a warm-up say how many were needed until the JIT settled (1 to 6), and every timed row how long
        // the JIT compiled during its samples
        for (Result r : report.results) {
            if (r.workload.startsWith("1") || r.workload.startsWith("2") || r.workload.startsWith("3")
                    || r.workload.startsWith("4")) {
                int warmUps = Integer.parseInt(r.notes.getOrDefault("warm-ups", "0"));
                assertTrue(warmUps >= 1 && warmUps <= Harness.MAX_WARM_UPS, () -> r.workload + " / " + r.contender
                        + ": warm-ups " + r.notes.get("warm-ups"));
            }
            if (!r.workload.startsWith("7")) {
                assertTrue(r.notes.containsKey("jit ms"), () -> r.workload + " / " + r.contender + ": no jit ms");
            }
        }
        // the single JSON line comes last
        String[] lines = printed.strip().split("\n");
        String last = lines[lines.length - 1];
        assertTrue(last.startsWith("{\"mode\":\"tiny\"") && last.endsWith("]}"), last);
        assertTrue(printed.contains("| workload | contender | median |"), "no Markdown table");
    }
}
