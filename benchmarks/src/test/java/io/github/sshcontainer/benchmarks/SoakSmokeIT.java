package io.github.sshcontainer.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import io.github.sshcontainer.tunnel.testing.Requirements;
import org.junit.jupiter.api.Test;

/**
 * The soak in small: 20 s, 4 workers, a real sshd SIGKILLed (with its per-connection processes) after 8 s and
 * restarted on the same port 3 s later. The run's own verdict must pass: no wrong answer, every failure near the
 * kill, requests succeeding again within 2 s of the restart, fds and threads back.
 */
class SoakSmokeIT {

    @Test
    void survivesAnSshdKillWithNoWrongAnswerAndRecovers() throws Exception {
        Requirements.require(Sshd.available(),
                "OpenSSH (sshd, ssh, ssh-keygen) is not installed (apt-get install openssh-server openssh-client)");
        Soak.Summary s = new Soak(new Soak.Options(Duration.ofSeconds(20), Duration.ofSeconds(8), 4), System.err)
                .run();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        s.print(new PrintStream(out, true, StandardCharsets.UTF_8));
        String printed = out.toString(StandardCharsets.UTF_8);
        System.out.println(printed);

        assertEquals(1, s.restarts().size(), printed);
        Soak.Restart r = s.restarts().get(0);
        assertTrue(r.recovery() >= 0, () -> "no request succeeded after the restart\n" + printed);
        assertTrue(s.ok() > 0, printed);
        assertEquals(0, s.wrong(), printed);
        assertTrue(s.passed(), printed);
        String[] lines = printed.strip().split("\n");
        String last = lines[lines.length - 1];
        assertTrue(last.startsWith("{\"mode\":\"soak\",\"passed\":true") && last.endsWith("}}"), last);
    }
}
