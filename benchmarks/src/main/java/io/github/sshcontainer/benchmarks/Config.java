package io.github.sshcontainer.benchmarks;

import java.util.List;
import java.util.Set;

/**
 * Sizes of one run. {@link #full()} is what the issue asks for; {@link #quick()} takes a few minutes;
 * {@link #tiny()} only proves the harness works (the CI smoke run).
 */
record Config(String mode, long bulkBytes, int streams, long streamBytes, int roundTrips, int opens,
        int concurrent, int concurrentRounds, int coldStarts, int fleet, int fleetCalls, int repeats, int stripes,
        Set<String> only) {

    static final List<String> WORKLOADS = List.of("bulk", "parallel", "rtt", "open", "concurrent", "cold", "fleet");
    private static final long MIB = 1024L * 1024;

    static Config full() {
        return new Config("full", 1024 * MIB, 8, 128 * MIB, 20_000, 2_000, 1_000, 10, 5, 100, 3, 3, 2,
                Set.copyOf(WORKLOADS));
    }

    static Config quick() {
        return new Config("quick", 256 * MIB, 8, 32 * MIB, 5_000, 500, 1_000, 5, 3, 3, 3, 2, 2,
                Set.copyOf(WORKLOADS));
    }

    static Config tiny() {
        return new Config("tiny", 2 * MIB, 8, MIB, 50, 10, 50, 2, 1, 2, 1, 1, 2, Set.copyOf(WORKLOADS));
    }

    Config withOnly(Set<String> names) {
        for (String n : names) {
            if (!WORKLOADS.contains(n)) {
                throw new IllegalArgumentException("unknown workload '" + n + "'; the workloads are "
                        + String.join(",", WORKLOADS));
            }
        }
        return new Config(mode, bulkBytes, streams, streamBytes, roundTrips, opens, concurrent, concurrentRounds,
                coldStarts, fleet, fleetCalls, repeats, stripes, Set.copyOf(names));
    }

    Config withRepeats(int n) {
        return new Config(mode, bulkBytes, streams, streamBytes, roundTrips, opens, concurrent, concurrentRounds,
                coldStarts, fleet, fleetCalls, n, stripes, only);
    }

    Config withStripes(int n) {
        return new Config(mode, bulkBytes, streams, streamBytes, roundTrips, opens, concurrent, concurrentRounds,
                coldStarts, fleet, fleetCalls, repeats, n, only);
    }

    Config withFleet(int n) {
        return new Config(mode, bulkBytes, streams, streamBytes, roundTrips, opens, concurrent, concurrentRounds,
                coldStarts, n, fleetCalls, repeats, stripes, only);
    }

    boolean runs(String workload) {
        return only.contains(workload);
    }
}
