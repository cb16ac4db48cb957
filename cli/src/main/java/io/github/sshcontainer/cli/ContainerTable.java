package io.github.sshcontainer.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

import io.github.sshcontainer.tunnel.runtime.ContainerSummary;

/**
 * The rows {@code ps} and {@code demo} print: one per container, and one per host or runtime that could not be
 * listed (an error, which makes the exit code non-zero, or a note such as "this adapter cannot list containers").
 * Printed as an aligned table ({@code HOST RUNTIME ID IMAGE STATUS NAMES}) or as one JSON array.
 */
final class ContainerTable {

    /**
     * One row: a container, or a message about {@code host}/{@code runtime} ({@code runtime} null when the whole host
     * failed).
     *
     * @param exitCode 0 for a container or a note; the failure's exit code for an error
     */
    record Row(String host, String runtime, ContainerSummary container, String message, int exitCode) {
        static Row container(String host, String runtime, ContainerSummary c) {
            return new Row(host, runtime, c, null, 0);
        }

        static Row note(String host, String runtime, String message) {
            return new Row(host, runtime, null, message, 0);
        }

        static Row error(String host, String runtime, String message, int exitCode) {
            return new Row(host, runtime, null, message, exitCode);
        }

        boolean isError() {
            return exitCode != 0;
        }
    }

    private static final String[] HEADER = {"HOST", "RUNTIME", "ID", "IMAGE", "STATUS", "NAMES"};

    private ContainerTable() {
    }

    /** 0 when no row is an error, else the exit code of the first error row. */
    static int exitCode(List<Row> rows) {
        return rows.stream().filter(Row::isError).mapToInt(Row::exitCode).findFirst().orElse(0);
    }

    /** The rows as a table with a header, columns two spaces apart; a message fills the columns after RUNTIME. */
    static void printTable(List<Row> rows, PrintWriter out) {
        List<String[]> cells = new ArrayList<>();
        cells.add(HEADER);
        for (Row r : rows) {
            String runtime = r.runtime() == null ? "-" : r.runtime();
            if (r.container() != null) {
                ContainerSummary c = r.container();
                cells.add(new String[] {r.host(), runtime, c.shortId(), c.image(), c.status(),
                    String.join(",", c.names())});
            } else {
                cells.add(new String[] {r.host(), runtime, (r.isError() ? "error: " : "") + r.message()});
            }
        }
        int[] width = new int[HEADER.length];
        for (String[] row : cells) {
            // a message row only widens HOST and RUNTIME: its text runs to the end of the line
            int measured = row.length == HEADER.length ? row.length : 2;
            for (int i = 0; i < measured; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        for (String[] row : cells) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(row[i]);
                if (i < row.length - 1) {
                    line.append(" ".repeat(width[i] - row[i].length() + 2));
                }
            }
            out.println(line.toString().stripTrailing());
        }
        out.flush();
    }

    /**
     * The rows as one JSON array: containers as {@code {"host","runtime","id","image","state","status","names"}},
     * errors as {@code {"host","runtime","error","exitCode"}}, notes as {@code {"host","runtime","note"}}.
     */
    static void printJson(List<Row> rows, PrintWriter out) {
        StringBuilder json = new StringBuilder("[");
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            json.append(i == 0 ? "\n  {" : ",\n  {");
            field(json, "host", r.host()).append(", ");
            field(json, "runtime", r.runtime());
            if (r.container() != null) {
                ContainerSummary c = r.container();
                json.append(", ");
                field(json, "id", c.id()).append(", ");
                field(json, "image", c.image()).append(", ");
                field(json, "state", c.state()).append(", ");
                field(json, "status", c.status()).append(", \"names\": [");
                for (int n = 0; n < c.names().size(); n++) {
                    json.append(n == 0 ? "" : ", ").append(quote(c.names().get(n)));
                }
                json.append(']');
            } else if (r.isError()) {
                json.append(", ");
                field(json, "error", r.message()).append(", \"exitCode\": ").append(r.exitCode());
            } else {
                json.append(", ");
                field(json, "note", r.message());
            }
            json.append('}');
        }
        json.append(rows.isEmpty() ? "]" : "\n]");
        out.println(json);
        out.flush();
    }

    private static StringBuilder field(StringBuilder json, String name, String value) {
        return json.append(quote(name)).append(": ").append(value == null ? "null" : quote(value));
    }

    /** A JSON string literal (RFC 8259): quotes, backslashes and control characters escaped. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
