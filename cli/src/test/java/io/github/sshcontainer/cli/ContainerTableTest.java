package io.github.sshcontainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

import io.github.sshcontainer.cli.ContainerTable.Row;
import io.github.sshcontainer.tunnel.runtime.ContainerSummary;
import org.junit.jupiter.api.Test;

/** The table and JSON that {@code ps} prints, from rows. */
class ContainerTableTest {
    private static final ContainerSummary WEB = new ContainerSummary("0123456789abcdef0123", "nginx:1.25", "running",
            "Up 3 minutes", List.of("web", "web-alias"));
    private static final List<Row> ROWS = List.of(
            Row.container("build-1", "docker", WEB),
            Row.note("build-1", "podman", "(the podman adapter cannot list containers)"),
            Row.error("build-2", null, "cannot connect to root@build-2:22 (build-2): connection refused", 5));

    @Test
    void tableAlignsColumnsAndMessagesRunToTheEndOfTheLine() {
        StringWriter out = new StringWriter();
        ContainerTable.printTable(ROWS, new PrintWriter(out));
        assertEquals(List.of(
                "HOST     RUNTIME  ID            IMAGE       STATUS        NAMES",
                "build-1  docker   0123456789ab  nginx:1.25  Up 3 minutes  web,web-alias",
                "build-1  podman   (the podman adapter cannot list containers)",
                "build-2  -        error: cannot connect to root@build-2:22 (build-2): connection refused"),
                out.toString().lines().toList());
    }

    @Test
    void theExitCodeIsTheFirstErrorsAndNotesAreNotErrors() {
        assertEquals(5, ContainerTable.exitCode(ROWS));
        assertEquals(0, ContainerTable.exitCode(ROWS.subList(0, 2)));
        assertEquals(6, ContainerTable.exitCode(List.of(Row.error("a", "docker", "x", 6), Row.error("b", null, "y",
                5))));
    }

    @Test
    void jsonIsOneArrayWithEscapedStrings() {
        StringWriter out = new StringWriter();
        List<Row> rows = List.of(ROWS.get(0), ROWS.get(1), Row.error("h\"1", null, "a\\b\n\u0001", 1));
        ContainerTable.printJson(rows, new PrintWriter(out));
        assertEquals("[\n"
                + "  {\"host\": \"build-1\", \"runtime\": \"docker\", \"id\": \"0123456789abcdef0123\", \"image\": "
                + "\"nginx:1.25\", \"state\": \"running\", \"status\": \"Up 3 minutes\", \"names\": [\"web\", "
                + "\"web-alias\"]},\n"
                + "  {\"host\": \"build-1\", \"runtime\": \"podman\", \"note\": \"(the podman adapter cannot list "
                + "containers)\"},\n"
                + "  {\"host\": \"h\\\"1\", \"runtime\": null, \"error\": \"a\\\\b\\n\\u0001\", \"exitCode\": 1}\n"
                + "]\n", out.toString());
    }

    @Test
    void noRowsIsAnEmptyArrayAndAHeader() {
        StringWriter json = new StringWriter();
        ContainerTable.printJson(List.of(), new PrintWriter(json));
        assertEquals("[]\n", json.toString());
        StringWriter table = new StringWriter();
        ContainerTable.printTable(List.of(), new PrintWriter(table));
        assertEquals("HOST  RUNTIME  ID  IMAGE  STATUS  NAMES\n", table.toString());
    }
}
