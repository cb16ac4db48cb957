package io.github.sshcontainer.tunnel.internal;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import io.github.sshcontainer.tunnel.TunnelStats;

/** The live counters behind {@link TunnelStats}. */
public final class StatsCounter {
    private final AtomicLong open = new AtomicLong();
    private final LongAdder total = new LongAdder();
    private final LongAdder bytesToRemote = new LongAdder();
    private final LongAdder bytesFromRemote = new LongAdder();
    private final LongAdder reconnects = new LongAdder();
    private final LongAdder failedOpens = new LongAdder();

    public void opened() {
        open.incrementAndGet();
        total.increment();
    }

    public void closed() {
        open.decrementAndGet();
    }

    public void toRemote(long n) {
        bytesToRemote.add(n);
    }

    public void fromRemote(long n) {
        bytesFromRemote.add(n);
    }

    public void reconnected() {
        reconnects.increment();
    }

    public void failedOpen() {
        failedOpens.increment();
    }

    public long openNow() {
        return open.get();
    }

    public TunnelStats snapshot() {
        return new TunnelStats(open.get(), total.sum(), bytesToRemote.sum(), bytesFromRemote.sum(), reconnects.sum(),
                failedOpens.sum());
    }
}
