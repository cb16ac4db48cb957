package io.github.sshcontainer.testcontainers;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.PrintWriter;

import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs one test class with the JUnit Platform in this JVM and exits 0 only when at least one test ran and none
 * failed or was skipped: the child JVM of {@link TestcontainersOverSshIT}.
 */
public final class ScenarioMain {
    private ScenarioMain() {
    }

    public static void main(String[] args) throws ClassNotFoundException {
        Class<?> testClass = Class.forName(args[0]);
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request().selectors(selectClass(testClass))
                .build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        launcher.execute(request, summary);
        TestExecutionSummary result = summary.getSummary();
        PrintWriter out = new PrintWriter(System.out, true);
        result.printFailuresTo(out, 30);
        result.printTo(out);
        out.printf("scenario result: succeeded=%d failed=%d skipped=%d%n", result.getTestsSucceededCount(),
                result.getTotalFailureCount(), result.getTestsSkippedCount() + result.getTestsAbortedCount());
        out.flush();
        boolean ok = result.getTestsSucceededCount() > 0 && result.getTotalFailureCount() == 0
                && result.getTestsSkippedCount() == 0 && result.getTestsAbortedCount() == 0;
        System.exit(ok ? 0 : 1);
    }
}
