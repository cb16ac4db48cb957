package io.github.sshcontainer.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** All results of a run: a Markdown table and one JSON line. */
final class Report {
    final List<Result> results = new ArrayList<>();
    final Map<String, String> machine;
    final String mode;

    Report(String mode, Map<String, String> machine) {
        this.mode = mode;
        this.machine = machine;
    }

    synchronized void add(Result r) {
        results.add(r);
    }

    /**
     * The result as a multiple of OpenSSH's on the same workload and cipher (direct compares with OpenSSH on AES-GCM):
     * above 1 is better than OpenSSH whichever way the unit goes (more per second, or less time). NaN if none.
     */
    double ratio(Result r) {
        Result base = openSsh(r);
        if (base == null || !base.ok() || !r.ok()) {
            return Double.NaN;
        }
        double a = r.median();
        double b = base.median();
        return r.higherIsBetter ? a / b : b / a;
    }

    /**
     * Each sample of {@code r} over OpenSSH's sample of the same repeat (the contenders alternate, so a pair ran
     * seconds apart, under the same load), oriented like {@link #ratio}: the steadier verdict on a noisy machine, where
     * a slow spell can move one contender's median. Null if there is no OpenSSH row to pair with, or the two did not
     * run the same repeats.
     */
    List<Double> pairRatios(Result r) {
        Result base = openSsh(r);
        if (base == null || base == r || !base.ok() || !r.ok()) {
            return null;
        }
        List<Double> ours = r.samples();
        List<Double> theirs = base.samples();
        if (ours.size() != theirs.size()) {
            return null;
        }
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < ours.size(); i++) {
            ratios.add(r.higherIsBetter ? ours.get(i) / theirs.get(i) : theirs.get(i) / ours.get(i));
        }
        return ratios;
    }

    /** The median of {@link #pairRatios}, and how many pairs were at least as good; null if unpaired. */
    Paired paired(Result r) {
        List<Double> ratios = pairRatios(r);
        return ratios == null ? null : Paired.of(ratios);
    }

    /** The median of the per-repeat ratios, and in how many of the pairs the contender did at least as well. */
    record Paired(double median, int atLeastOne, int pairs) {
        static Paired of(List<Double> ratios) {
            int atLeastOne = (int) ratios.stream().filter(x -> x >= 1).count();
            return new Paired(Result.percentileOf(ratios, 50), atLeastOne, ratios.size());
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%.2f× (%d of %d)", median, atLeastOne, pairs);
        }
    }

    private Result openSsh(Result r) {
        String cipher = r.cipher == null ? Ciphers.AES_GCM : r.cipher;
        for (Result o : results) {
            if (o.workload.equals(r.workload) && o.contender.startsWith("openssh") && cipher.equals(o.cipher)) {
                return o;
            }
        }
        return null;
    }

    String markdown() {
        StringBuilder s = new StringBuilder();
        s.append("| workload | contender | median | min – max | unit | × OpenSSH | paired × (≥ 1) | notes |\n");
        s.append("|---|---|---:|---:|---|---:|---:|---|\n");
        for (Result r : results) {
            s.append("| ").append(r.workload).append(" | ").append(r.contender).append(" | ");
            if (r.ok()) {
                s.append(num(r.median())).append(" | ").append(num(r.min())).append(" – ").append(num(r.max()));
            } else {
                s.append("FAILED | –");
            }
            s.append(" | ").append(r.unit).append(" | ");
            double ratio = ratio(r);
            s.append(Double.isNaN(ratio) ? "" : String.format(Locale.ROOT, "%.2f×", ratio)).append(" | ");
            Paired paired = paired(r);
            s.append(paired == null ? "" : paired.toString()).append(" | ");
            List<String> notes = new ArrayList<>();
            r.notes.forEach((k, v) -> notes.add(k + " " + v));
            if (r.error() != null) {
                notes.add("error: " + r.error().replace('|', '/'));
            }
            notes.add("n=" + r.samples.size());
            s.append(String.join(", ", notes)).append(" |\n");
        }
        return s.toString();
    }

    String json() {
        StringBuilder s = new StringBuilder("{\"mode\":").append(str(mode)).append(",\"machine\":{");
        boolean first = true;
        for (Map.Entry<String, String> e : machine.entrySet()) {
            s.append(first ? "" : ",").append(str(e.getKey())).append(':').append(str(e.getValue()));
            first = false;
        }
        s.append("},\"results\":[");
        for (int i = 0; i < results.size(); i++) {
            Result r = results.get(i);
            s.append(i == 0 ? "" : ",").append("{\"workload\":").append(str(r.workload))
                    .append(",\"contender\":").append(str(r.contender))
                    .append(",\"cipher\":").append(r.cipher == null ? "null" : str(r.cipher))
                    .append(",\"unit\":").append(str(r.unit))
                    .append(",\"higherIsBetter\":").append(r.higherIsBetter)
                    .append(",\"ok\":").append(r.ok())
                    .append(",\"checksumsMatched\":").append(r.checksumsMatched())
                    .append(",\"median\":").append(jnum(r.median()))
                    .append(",\"min\":").append(jnum(r.min()))
                    .append(",\"max\":").append(jnum(r.max()))
                    .append(",\"ratioToOpenSsh\":").append(jnum(ratio(r)))
                    .append(",\"paired\":").append(pairedJson(paired(r)))
                    .append(",\"samples\":[");
            for (int j = 0; j < r.samples.size(); j++) {
                s.append(j == 0 ? "" : ",").append(jnum(r.samples.get(j)));
            }
            s.append("],\"notes\":{");
            boolean f = true;
            for (Map.Entry<String, String> e : r.notes.entrySet()) {
                s.append(f ? "" : ",").append(str(e.getKey())).append(':').append(str(e.getValue()));
                f = false;
            }
            s.append('}');
            if (r.error() != null) {
                s.append(",\"error\":").append(str(r.error()));
            }
            s.append('}');
        }
        return s.append("]}").toString();
    }

    private static String pairedJson(Paired p) {
        return p == null ? "null" : "{\"median\":" + jnum(p.median()) + ",\"atLeastOne\":" + p.atLeastOne()
                + ",\"pairs\":" + p.pairs() + "}";
    }

    static String num(double v) {
        if (Double.isNaN(v)) {
            return "–";
        }
        double a = Math.abs(v);
        if (a >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%.3g", v);
    }

    private static String jnum(double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? "null" : String.format(Locale.ROOT, "%.4g", v);
    }

    static String str(String v) {
        StringBuilder s = new StringBuilder("\"");
        for (char c : v.toCharArray()) {
            switch (c) {
                case '"':
                    s.append("\\\"");
                    break;
                case '\\':
                    s.append("\\\\");
                    break;
                case '\n':
                    s.append("\\n");
                    break;
                default:
                    if (c < 0x20) {
                        s.append(String.format("\\u%04x", (int) c));
                    } else {
                        s.append(c);
                    }
            }
        }
        return s.append('"').toString();
    }
}
