package io.github.sshcontainer.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * What groups of processes cost over one sample: CPU in cores (CPU seconds per wall second) and context switches
 * (all threads, voluntary and not, from {@code /proc}). The groups are the client side (this JVM, plus the
 * {@code ssh} processes of the OpenSSH contender), {@code sshd} with every process it forked, and the far-end
 * server. On two cores this says who the bottleneck is and what a contender costs per byte or per round trip.
 */
final class CpuMeter {
    private final Map<String, Supplier<Stream<ProcessHandle>>> groups = new LinkedHashMap<>();

    /** Adds a group (or more processes to one); its processes are listed anew at every snapshot. */
    CpuMeter group(String name, Supplier<Stream<ProcessHandle>> processes) {
        groups.merge(name, processes, (a, b) -> () -> Stream.concat(a.get(), b.get()));
        return this;
    }

    /** A reading to pass to {@link #since}. */
    Snapshot snapshot() {
        Map<String, Long> nanos = new LinkedHashMap<>();
        Map<String, Long> switches = new LinkedHashMap<>();
        groups.forEach((name, processes) -> {
            List<ProcessHandle> list = processes.get().toList();
            nanos.put(name, list.stream().mapToLong(CpuMeter::cpuNanos).sum());
            switches.put(name, list.stream().mapToLong(CpuMeter::contextSwitches).sum());
        });
        return new Snapshot(System.nanoTime(), nanos, switches);
    }

    /** What each group used since {@code start}, in the groups' order. */
    Usage since(Snapshot start) {
        Snapshot now = snapshot();
        double wall = Math.max(1, now.wallNanos - start.wallNanos);
        Map<String, Double> cores = new LinkedHashMap<>();
        Map<String, Long> switches = new LinkedHashMap<>();
        now.cpuNanos.forEach((name, n) -> cores.put(name, Math.max(0, n - start.cpuNanos.getOrDefault(name, 0L)) / wall));
        now.switches.forEach((name, n) -> switches.put(name, Math.max(0, n - start.switches.getOrDefault(name, 0L))));
        return new Usage(wall / 1e9, cores, switches);
    }

    private static long cpuNanos(ProcessHandle p) {
        return p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    }

    /** Context switches of all the process's threads so far; 0 once it is gone (or without /proc). */
    private static long contextSwitches(ProcessHandle p) {
        Path tasks = Path.of("/proc", Long.toString(p.pid()), "task");
        try (Stream<Path> threads = Files.list(tasks)) {
            return threads.mapToLong(CpuMeter::threadSwitches).sum();
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static long threadSwitches(Path task) {
        try (Stream<String> lines = Files.lines(task.resolve("status"))) {
            return lines.filter(l -> l.startsWith("voluntary_ctxt_switches:") || l.startsWith("nonvoluntary_ctxt_switches:"))
                    .mapToLong(l -> Long.parseLong(l.substring(l.indexOf(':') + 1).trim())).sum();
        } catch (IOException | RuntimeException e) {
            return 0; // the thread ended meanwhile
        }
    }

    /** CPU nanoseconds and context switches per group at one moment. */
    record Snapshot(long wallNanos, Map<String, Long> cpuNanos, Map<String, Long> switches) {
    }

    /** Over one sample: its wall time, and per group the cores used and the context switches made. */
    record Usage(double seconds, Map<String, Double> cores, Map<String, Long> switches) {
    }
}
