package io.github.sshcontainer.cli;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import io.github.sshcontainer.cli.ContainerTable.Row;
import io.github.sshcontainer.tunnel.SshConnector;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.runtime.ContainerSummary;
import io.github.sshcontainer.tunnel.runtime.Readiness;
import io.github.sshcontainer.tunnel.runtime.RuntimeAdapter;
import io.github.sshcontainer.tunnel.runtime.RuntimeConnection;

/** Lists containers through tunnels with each runtime's own client; every failure becomes a row, never a throw. */
final class ContainerLister {
    /** One readiness check, no retries: {@code ps} reports what it finds now. */
    private static final Readiness ONCE = Readiness.attempts(1, Duration.ZERO);

    private ContainerLister() {
    }

    /**
     * The rows of every runtime on {@code target} ({@code names}, or every runtime found): containers, a note for a
     * runtime whose adapter cannot list, an error row for a runtime that fails, or one error row for the host.
     */
    static List<Row> listTarget(String host, SshTarget target, SshConnector connector, List<String> names,
            boolean all) {
        List<Row> rows = new ArrayList<>();
        try (RuntimeTunnels tunnels = RuntimeTunnels.open(target, connector, names, UnaryOperator.identity())) {
            for (Map.Entry<RuntimeAdapter<?>, Tunnel> e : tunnels.opened().entrySet()) {
                rows.addAll(listRuntime(host, e.getKey(), e.getValue(), all));
            }
            tunnels.problems().forEach(p -> rows.add(Row.error(host, p.adapter().name(), p.error().getMessage(),
                    ErrorReporter.exitCode(p.error()))));
            if (tunnels.opened().isEmpty() && tunnels.problems().isEmpty()) {
                Exception none = tunnels.nothingFound(target);
                rows.add(Row.error(host, null, none.getMessage(), ErrorReporter.exitCode(none)));
            }
        } catch (IOException | RuntimeException e) {
            rows.add(Row.error(host, null, message(e), ErrorReporter.exitCode(e)));
        }
        return rows;
    }

    /**
     * The rows of one runtime through {@code tunnel}, which this closes: its containers (none is no row), a note
     * when the adapter cannot list containers, or an error row.
     */
    static <C> List<Row> listRuntime(String host, RuntimeAdapter<C> adapter, Tunnel tunnel, boolean all) {
        List<Row> rows = new ArrayList<>();
        try (RuntimeConnection<C> connection = RuntimeConnection.over(adapter, tunnel, ONCE)) {
            rows.addAll(listWith(host, adapter, connection.client(), all));
        } catch (IOException | RuntimeException e) {
            rows.add(Row.error(host, adapter.name(), message(e), ErrorReporter.exitCode(e)));
        } finally {
            tunnel.close();
        }
        return rows;
    }

    /**
     * The rows of one runtime with a ready {@code client}: its containers, or a note when the adapter cannot list
     * them.
     *
     * @throws IOException the runtime's failure to answer
     */
    static <C> List<Row> listWith(String host, RuntimeAdapter<C> adapter, C client, boolean all) throws IOException {
        List<Row> rows = new ArrayList<>();
        try {
            for (ContainerSummary c : adapter.listContainers(client, all)) {
                rows.add(Row.container(host, adapter.name(), c));
            }
        } catch (UnsupportedOperationException e) {
            rows.add(Row.note(host, adapter.name(), "(" + message(e) + ")"));
        }
        return rows;
    }

    static String message(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m.replace('\n', ' ');
    }
}
