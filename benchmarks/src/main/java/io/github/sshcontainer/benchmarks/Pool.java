package io.github.sshcontainer.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.DoubleSummaryStatistics;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.github.sshcontainer.tunnel.internal.Json;

/**
 * {@code java -jar benchmarks.jar pool FILE...}: the pairs of several runs, pooled. On a noisy machine one run's three
 * repeats cannot tell a difference of less than ~15% (docs/benchmarks.md); the pairs of several runs can. Each FILE is
 * the saved output of a run; its result line (the JSON line a run prints last) is read, the rest skipped. For every
 * workload and contender that has OpenSSH to pair with: how many runs and pairs, the median of all the pairs'
 * ratios to OpenSSH (above 1 is better, as in the table), in how many ours did at least as well, and their range.
 */
final class Pool {
    private Pool() {
    }

    static void main(String[] args) {
        if (args.length == 0 || args[0].equals("--help")) {
            System.err.println(usage());
            System.exit(args.length == 0 ? 2 : 0);
            return;
        }
        List<String> runs = new ArrayList<>();
        for (String file : args) {
            try {
                runs.addAll(resultLines(file, Files.readAllLines(Path.of(file))));
            } catch (java.nio.file.NoSuchFileException e) {
                fail(file + ": no such file");
            } catch (IOException | UncheckedIOException e) {
                fail("cannot read " + file + ": " + e);
            } catch (IllegalArgumentException e) {
                fail(e.getMessage());
            }
        }
        try {
            System.out.print(markdown(runs));
        } catch (IllegalArgumentException e) {
            fail(e.getMessage());
        }
    }

    static String usage() {
        return "usage: java -jar benchmarks.jar pool FILE...\n"
                + "  FILE: the saved output of a run (java -jar benchmarks.jar ... > FILE); its last line, the JSON"
                + " one, is what counts";
    }

    private static void fail(String why) {
        System.err.println("pool: " + why);
        System.err.println(usage());
        System.exit(2);
    }

    /** The result lines in {@code lines} (one per run; a file may hold several runs' output). */
    static List<String> resultLines(String file, List<String> lines) {
        List<String> found = lines.stream().filter(l -> l.startsWith("{\"mode\":")).toList();
        if (found.isEmpty()) {
            throw new IllegalArgumentException(file + " holds no result line (the JSON line a run of benchmarks.jar"
                    + " prints last); was the run cut short?");
        }
        return found;
    }

    /** The pooled table of the runs whose result lines are {@code runs}. */
    static String markdown(List<String> runs) {
        Map<String, Row> rows = new LinkedHashMap<>();
        for (String line : runs) {
            Report report = report(line);
            for (Result r : report.results) {
                List<Double> ratios = report.pairRatios(r);
                if (ratios != null) {
                    Row row = rows.computeIfAbsent(r.workload + "\n" + r.contender,
                            k -> new Row(r.workload, r.contender));
                    row.runs++;
                    row.ratios.addAll(ratios);
                }
            }
        }
        StringBuilder s = new StringBuilder();
        s.append("| workload | contender | runs | pairs | pooled × OpenSSH | at least as good | min – max |\n");
        s.append("|---|---|---:|---:|---:|---:|---:|\n");
        for (Row row : rows.values()) {
            Report.Paired p = Report.Paired.of(row.ratios);
            DoubleSummaryStatistics range = row.ratios.stream().mapToDouble(Double::doubleValue).summaryStatistics();
            s.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %.2f× | %d of %d | %.2f – %.2f |%n",
                    row.workload, row.contender, row.runs, p.pairs(), p.median(), p.atLeastOne(), p.pairs(),
                    range.getMin(), range.getMax()));
        }
        return s.toString();
    }

    /** A run's report rebuilt from its result line. */
    static Report report(String line) {
        try {
            return reportOf(line);
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new IllegalArgumentException("a result line is not the JSON a run prints (" + e.getMessage() + ")");
        }
    }

    @SuppressWarnings("unchecked")
    private static Report reportOf(String line) {
        Map<String, Object> run = (Map<String, Object>) Json.parse(line);
        Map<String, String> machine = new LinkedHashMap<>();
        ((Map<String, Object>) run.getOrDefault("machine", Map.of()))
                .forEach((k, v) -> machine.put(k, String.valueOf(v)));
        Report report = new Report(String.valueOf(run.get("mode")), machine);
        for (Object o : (List<Object>) run.getOrDefault("results", List.of())) {
            Map<String, Object> m = (Map<String, Object>) o;
            Result r = new Result((String) m.get("workload"), (String) m.get("contender"), (String) m.get("cipher"),
                    (String) m.get("unit"), Boolean.TRUE.equals(m.get("higherIsBetter")));
            for (Object sample : (List<Object>) m.getOrDefault("samples", List.of())) {
                if (sample instanceof Number n) {
                    r.add(n.doubleValue());
                }
            }
            if (!Boolean.TRUE.equals(m.get("ok"))) {
                r.fail(String.valueOf(m.getOrDefault("error", "failed")));
            }
            report.add(r);
        }
        return report;
    }

    private static final class Row {
        final String workload;
        final String contender;
        final List<Double> ratios = new ArrayList<>();
        int runs;

        Row(String workload, String contender) {
            this.workload = workload;
            this.contender = contender;
        }
    }
}
