package io.github.sshcontainer.benchmarks;

import java.util.List;
import java.util.Set;

/**
 * Sizes of one run. {@link #full()} is what the issue asks for; {@link #quick()} takes a few minutes;
 * {@link #tiny()} only proves the harness works (the CI smoke run).
 */
record Config(String mode, long bulkBytes, int streams, long streamBytes, int roundTrips, int opens,
        int concurrent, int concurrentRounds, int coldStarts, int fleet, int fleetCalls, int repeats, int stripes,
        Set<String> only, List<String> contenders) {

    static final List<String> WORKLOADS = List.of("bulk", "parallel", "rtt", "open", "concurrent", "cold", "fleet");
    private static final long MIB = 1024L * 1024;

    static Config full() {
        return new Config("full", 1024 * MIB, 8, 128 * MIB, 20_000, 2_000, 1_000, 10, 5, 100, 3, 3, 2,
                Set.copyOf(WORKLOADS), List.of());
    }

    static Config quick() {
        return new Config("quick", 256 * MIB, 8, 32 * MIB, 5_000, 500, 1_000, 5, 3, 3, 3, 2, 2,
                Set.copyOf(WORKLOADS), List.of());
    }

    static Config tiny() {
        return new Config("tiny", 2 * MIB, 8, MIB, 50, 10, 50, 2, 1, 2, 1, 1, 2, Set.copyOf(WORKLOADS), List.of());
    }

    Config withOnly(Set<String> names) {
        for (String n : names) {
            if (!WORKLOADS.contains(n)) {
                throw new IllegalArgumentException("unknown workload '" + n + "'; the workloads are "
                        + String.join(",", WORKLOADS));
            }
        }
        return new Config(mode, bulkBytes, streams, streamBytes, roundTrips, opens, concurrent, concurrentRounds,
                coldStarts, fleet, fleetCalls, repeats, stripes, Set.copyOf(names), contenders);
    }

    Config withRepeats(int n) {
        return new Config(mode, bulkBytes, streams, streamBytes, roundTrips, opens, concurrent, concurrentRounds,
                coldStarts, fleet, fleetCalls, n, stripes, only, contenders);
    }

    Config withStripes(int n) {
        return new Config(mode, bulkBytes, streams, streamBytes, roundTrips, opens, concurrent, concurrentRounds,
                coldStarts, fleet, fleetCalls, repeats, n, only, contenders);
    }

    Config withFleet(int n) {
        return new Config(mode, bulkBytes, streams, streamBytes, roundTrips, opens, concurrent, concurrentRounds,
                coldStarts, n, fleetCalls, repeats, stripes, only, contenders);
    }

    /** Only the contenders whose label starts with one of {@code prefixes} (e.g. {@code ours-inproc}): for profiling. */
    Config withContenders(List<String> prefixes) {
        return new Config(mode, bulkBytes, streams, streamBytes, roundTrips, opens, concurrent, concurrentRounds,
                coldStarts, fleet, fleetCalls, repeats, stripes, only, List.copyOf(prefixes));
    }

    /** Whether the contender labelled {@code label} runs (all do unless {@code --contenders} names some). */
    boolean runs(Contender c) {
        return contenders.isEmpty() || contenders.stream().anyMatch(c.label()::startsWith);
    }

    boolean runs(String workload) {
        return only.contains(workload);
    }
}
