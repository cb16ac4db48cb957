package io.github.sshcontainer.benchmarks;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The samples one contender produced on one workload, plus notes; failed if any sample failed its check. */
final class Result {
    final String workload;
    final String contender;
    final String cipher;
    final String unit;
    final boolean higherIsBetter;
    final List<Double> samples = new ArrayList<>();
    final Map<String, String> notes = new LinkedHashMap<>();
    private String error;
    private boolean checked;

    Result(String workload, Contender c, String unit, boolean higherIsBetter) {
        this(workload, c.label(), c.cipher(), unit, higherIsBetter);
    }

    Result(String workload, String contender, String cipher, String unit, boolean higherIsBetter) {
        this.workload = workload;
        this.contender = contender;
        this.cipher = cipher;
        this.unit = unit;
        this.higherIsBetter = higherIsBetter;
    }

    synchronized void add(double sample) {
        samples.add(sample);
    }

    /** Records that the data was verified (checksum or echo compare) and matched. */
    synchronized void checked() {
        checked = true;
    }

    synchronized void note(String key, Object value) {
        notes.put(key, String.valueOf(value));
    }

    private final Map<String, List<Double>> noteSamples = new LinkedHashMap<>();

    /** A per-repeat figure shown as its median over the repeats. */
    synchronized void noteMedian(String key, double value) {
        List<Double> list = noteSamples.computeIfAbsent(key, k -> new ArrayList<>());
        list.add(value);
        notes.put(key, Report.num(percentileOf(list, 50)));
    }

    /** A per-repeat count shown as its total over the repeats. */
    synchronized void noteTotal(String key, long value) {
        List<Double> list = noteSamples.computeIfAbsent(key, k -> new ArrayList<>());
        list.add((double) value);
        notes.put(key, Long.toString(list.stream().mapToLong(Double::longValue).sum()));
    }

    synchronized void fail(String why) {
        if (error == null) {
            error = why;
        }
    }

    synchronized String error() {
        return error;
    }

    synchronized boolean ok() {
        return error == null && !samples.isEmpty();
    }

    synchronized boolean checksumsMatched() {
        return checked && error == null;
    }

    /** The samples so far, in the order of the repeats. */
    synchronized List<Double> samples() {
        return List.copyOf(samples);
    }

    synchronized double median() {
        return percentileOf(samples, 50);
    }

    synchronized double min() {
        return samples.isEmpty() ? Double.NaN : Collections.min(samples);
    }

    synchronized double max() {
        return samples.isEmpty() ? Double.NaN : Collections.max(samples);
    }

    static double percentileOf(List<Double> values, double p) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        if (p == 50 && sorted.size() % 2 == 0) {
            return (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    /** The p-th percentile of nanosecond latencies, in microseconds. */
    static double percentileMicros(long[] nanos, int count, double p) {
        if (count == 0) {
            return Double.NaN;
        }
        long[] copy = java.util.Arrays.copyOf(nanos, count);
        java.util.Arrays.sort(copy);
        int i = (int) Math.ceil(p / 100.0 * count) - 1;
        return copy[Math.max(0, Math.min(count - 1, i))] / 1000.0;
    }
}
