package io.github.sshcontainer.benchmarks;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * CPU time used by groups of processes over one sample, in cores (CPU seconds per wall second): the client side
 * (this JVM, plus the {@code ssh} processes of the OpenSSH contender), {@code sshd} with every process it forked,
 * and the far-end server. On two cores it says who the bottleneck is, and what a contender costs per byte.
 */
final class CpuMeter {
    private final Map<String, Supplier<Stream<ProcessHandle>>> groups = new LinkedHashMap<>();

    /** Adds a group; its processes are listed anew at every snapshot (sshd forks one per connection). */
    CpuMeter group(String name, Supplier<Stream<ProcessHandle>> processes) {
        groups.merge(name, processes, (a, b) -> () -> Stream.concat(a.get(), b.get()));
        return this;
    }

    /** A reading to pass to {@link #coresSince}. */
    Snapshot snapshot() {
        Map<String, Long> nanos = new LinkedHashMap<>();
        groups.forEach((name, processes) -> nanos.put(name, processes.get().mapToLong(CpuMeter::cpuNanos).sum()));
        return new Snapshot(System.nanoTime(), nanos);
    }

    /** Cores each group used since {@code start}, in the groups' order. */
    Map<String, Double> coresSince(Snapshot start) {
        Snapshot now = snapshot();
        double wall = Math.max(1, now.wallNanos - start.wallNanos);
        Map<String, Double> cores = new LinkedHashMap<>();
        now.cpuNanos.forEach((name, n) -> cores.put(name, Math.max(0, n - start.cpuNanos.getOrDefault(name, 0L)) / wall));
        return cores;
    }

    private static long cpuNanos(ProcessHandle p) {
        return p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    }

    /** CPU nanoseconds per group at one moment. */
    record Snapshot(long wallNanos, Map<String, Long> cpuNanos) {
    }
}
