package io.github.sshcontainer.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * The result of {@code ssh-container doctor}: checks in the order they ran, each passed, failed, a warning or
 * skipped, with what was found and, for a failure, what to do. Renders as text (one line per check, the fix indented
 * below) or JSON.
 */
final class Diagnosis {
    /** How a check came out. */
    enum Status {
        OK("✓", "[ok]"), WARN("!", "[warn]"), FAIL("✗", "[FAIL]"), SKIP("-", "[skip]");

        final String symbol;
        final String ascii;

        Status(String symbol, String ascii) {
            this.symbol = symbol;
            this.ascii = ascii;
        }
    }

    /** One check: a short name ({@code tcp}, {@code host key}, {@code docker socket}), what was found, the fix. */
    record Check(String name, Status status, String detail, String fix) {
    }

    private final String target;
    private final List<Check> checks = new ArrayList<>();
    private boolean runtimeReachable;

    Diagnosis(String target) {
        this.target = target;
    }

    Check add(String name, Status status, String detail, String fix) {
        Check c = new Check(name, status, detail, fix);
        checks.add(c);
        return c;
    }

    Check ok(String name, String detail) {
        return add(name, Status.OK, detail, null);
    }

    Check fail(String name, String detail, String fix) {
        return add(name, Status.FAIL, detail, fix);
    }

    Check skip(String name, String detail) {
        return add(name, Status.SKIP, detail, null);
    }

    List<Check> checks() {
        return List.copyOf(checks);
    }

    /** The first check named {@code name}, or null. */
    Check find(String name) {
        return checks.stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
    }

    void runtimeReachable() {
        runtimeReachable = true;
    }

    /** Whether some runtime answered: the doctor's exit code is 0 only then. */
    boolean isRuntimeReachable() {
        return runtimeReachable;
    }

    /** One line per check: {@code ✓ name: detail}, a failed check's fix on the next line after {@code fix:}. */
    String toText(boolean unicode) {
        StringBuilder sb = new StringBuilder("ssh-container doctor ").append(target).append('\n');
        for (Check c : checks) {
            sb.append(unicode ? c.status().symbol : c.status().ascii).append(' ').append(c.name()).append(": ")
                    .append(c.detail()).append('\n');
            if (c.fix() != null && c.status() != Status.OK) {
                sb.append("    fix: ").append(c.fix()).append('\n');
            }
        }
        sb.append(runtimeReachable ? "A container runtime is reachable." : "No container runtime is reachable.")
                .append('\n');
        return sb.toString();
    }

    /** {@code {"target":..., "runtimeReachable":..., "checks":[{"name","status","detail","fix"}...]}}. */
    String toJson() {
        StringBuilder sb = new StringBuilder("{\"target\":").append(quote(target)).append(",\"runtimeReachable\":")
                .append(runtimeReachable).append(",\"checks\":[");
        for (int i = 0; i < checks.size(); i++) {
            Check c = checks.get(i);
            sb.append(i == 0 ? "" : ",").append("{\"name\":").append(quote(c.name())).append(",\"status\":")
                    .append(quote(c.status().name().toLowerCase(java.util.Locale.ROOT))).append(",\"detail\":")
                    .append(quote(c.detail())).append(",\"fix\":").append(c.fix() == null ? "null" : quote(c.fix()))
                    .append('}');
        }
        return sb.append("]}").toString();
    }

    static String quote(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (ch < 0x20) {
                        sb.append(String.format("\\u%04x", (int) ch));
                    } else {
                        sb.append(ch);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
