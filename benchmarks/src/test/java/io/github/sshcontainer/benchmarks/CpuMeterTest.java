package io.github.sshcontainer.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

class CpuMeterTest {

    @Test
    void aBusyProcessCountsAsCoresAndASleepingOneAsNone() throws Exception {
        Process busy = new ProcessBuilder("sh", "-c", "while :; do :; done").start();
        Process idle = new ProcessBuilder("sleep", "30").start();
        try {
            CpuMeter meter = new CpuMeter().group("busy", () -> Stream.of(busy.toHandle()))
                    .group("idle", () -> Stream.of(idle.toHandle()));
            CpuMeter.Snapshot start = meter.snapshot();
            Thread.sleep(1_500);
            Map<String, Double> cores = meter.since(start).cores();
            assertEquals(List.of("busy", "idle"), List.copyOf(cores.keySet()), "groups in the order they were added");
            assertTrue(cores.get("busy") > 0.3, "a spinning shell used " + cores.get("busy") + " cores");
            assertTrue(cores.get("busy") < 1.2, "one process cannot use more than one core: " + cores.get("busy"));
            assertTrue(cores.get("idle") < 0.05, "sleep used " + cores.get("idle") + " cores");
        } finally {
            busy.destroyForcibly();
            idle.destroyForcibly();
        }
    }

    @Test
    void aGroupAddedTwiceSumsBothAndAGoneProcessCountsNothing() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        CpuMeter meter = new CpuMeter().group("g", () -> Stream.of(gone.toHandle()))
                .group("g", () -> Stream.of(ProcessHandle.current()));
        CpuMeter.Snapshot start = meter.snapshot();
        long until = System.nanoTime() + 300_000_000L;
        long spin = 0;
        while (System.nanoTime() < until) {
            spin++;
        }
        Map<String, Double> cores = meter.since(start).cores();
        assertEquals(1, cores.size());
        assertTrue(cores.get("g") > 0.2, "this JVM spinning (" + spin + ") counts: " + cores.get("g"));
    }

    @Test
    void everySleepIsAContextSwitch() throws Exception {
        CpuMeter meter = new CpuMeter().group("self", () -> Stream.of(ProcessHandle.current()));
        CpuMeter.Snapshot start = meter.snapshot();
        for (int i = 0; i < 200; i++) {
            Thread.sleep(1);
        }
        CpuMeter.Usage used = meter.since(start);
        long switches = used.switches().get("self");
        assertTrue(switches >= 200, "200 sleeps made only " + switches + " context switches");
        assertTrue(used.seconds() >= 0.2, "wall time " + used.seconds());
    }
}
