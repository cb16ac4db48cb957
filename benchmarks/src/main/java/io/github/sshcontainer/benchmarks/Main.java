package io.github.sshcontainer.benchmarks;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code java -jar benchmarks.jar [--quick|--tiny] [--only bulk,rtt,...] [--repeats N] [--stripes N] [--fleet N]}:
 * runs the side-by-side benchmarks and prints a Markdown table, then one JSON line (last). Progress goes to stderr.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws Exception {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        if (args.length > 0 && args[0].equals("soak")) {
            Soak.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        if (args.length > 0 && args[0].equals("floor")) {
            Floor.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        if (args.length > 0 && args[0].equals("pool")) {
            Pool.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        Config config = Args.parseOrExit("benchmarks", args, Main::parse, usage());
        if (config == null) {
            return;
        }
        Report report;
        try (Harness h = new Harness(config, System.err)) {
            // Ctrl-C must not leave sshd, ssh -L or the far-end server running
            Thread hook = new Thread(h::close, "benchmarks-cleanup");
            Runtime.getRuntime().addShutdownHook(hook);
            report = h.run();
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        print(report, System.out);
        boolean ok = report.results.stream().allMatch(Result::ok);
        System.exit(ok ? 0 : 1);
    }

    static void print(Report report, PrintStream out) {
        out.println();
        out.println("Machine: " + report.machine);
        out.println("Mode: " + report.mode + "; × OpenSSH: above 1 is better than OpenSSH (more per second, or less"
                + " time), same cipher; direct and cold start compare with OpenSSH aes128-gcm.");
        out.println();
        out.print(report.markdown());
        out.println();
        out.println(report.json());
        out.flush();
    }

    static String usage() {
        return "usage: java -jar benchmarks.jar [--quick | --tiny] [--only " + String.join(",", Config.WORKLOADS)
                + "] [--repeats N] [--stripes N] [--fleet N]\n"
                + "       [--contenders direct,openssh,ours-socket,ours-inproc,ours-striped]  (label prefixes; for profiling)\n"
                + "  full (default): 1 GiB bulk, 8x128 MiB streams, 20k round trips, 2k opens, 1,000 concurrent,"
                + " fleet of 100 sshd\n"
                + "  --quick: 256 MiB bulk, fleet of 3; --tiny: a smoke run (MiB sizes)\n"
                + "   or: java -jar benchmarks.jar soak [--minutes 5] [--restart-every 60] [--workers 16]\n"
                + "   or: java -jar benchmarks.jar floor [--mib 2048]  (the least a JVM SSH client spends per MiB)\n"
                + "   or: java -jar benchmarks.jar pool FILE...  (the pairs of several saved runs, pooled)";
    }

    /** The configuration the arguments ask for; null for --help. */
    static Config parse(String[] args) {
        Config c = Config.full();
        Set<String> only = null;
        Integer repeats = null;
        Integer stripes = null;
        Integer fleet = null;
        List<String> contenders = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick":
                    c = Config.quick();
                    break;
                case "--tiny":
                    c = Config.tiny();
                    break;
                case "--only":
                    only = new LinkedHashSet<>(Arrays.asList(Args.value(args, ++i, "--only").split(",")));
                    break;
                case "--repeats":
                    repeats = Args.positive(args, ++i, "--repeats");
                    break;
                case "--stripes":
                    stripes = Args.positive(args, ++i, "--stripes");
                    break;
                case "--fleet":
                    fleet = Args.positive(args, ++i, "--fleet");
                    break;
                case "--contenders":
                    contenders = Arrays.asList(Args.value(args, ++i, "--contenders").split(","));
                    break;
                case "-h":
                case "--help":
                    return null;
                default:
                    throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
            }
        }
        if (only != null) {
            c = c.withOnly(only);
        }
        if (repeats != null) {
            c = c.withRepeats(repeats);
        }
        if (stripes != null) {
            c = c.withStripes(stripes);
        }
        if (fleet != null) {
            c = c.withFleet(fleet);
        }
        if (contenders != null) {
            c = c.withContenders(contenders);
        }
        return c;
    }
}
