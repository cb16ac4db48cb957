package io.github.sshcontainer.cli;

import java.util.concurrent.CountDownLatch;

import sun.misc.Signal;

/**
 * SIGINT and SIGTERM as an orderly stop: the command closes its tunnels (removing socket files) and exits 0,
 * instead of the JVM's default 130/143.
 */
final class Signals {
    private Signals() {
    }

    /** A latch that opens on the first SIGINT or SIGTERM. */
    static CountDownLatch onTermination() {
        CountDownLatch latch = new CountDownLatch(1);
        for (String name : new String[] {"INT", "TERM"}) {
            try {
                Signal.handle(new Signal(name), s -> latch.countDown());
            } catch (IllegalArgumentException unsupported) {
                // signal not available on this platform: the JVM's default handling stays
            }
        }
        return latch;
    }
}
