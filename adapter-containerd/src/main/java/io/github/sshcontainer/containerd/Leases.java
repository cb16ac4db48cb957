package io.github.sshcontainer.containerd;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

import io.github.sshcontainer.containerd.api.leases.v1.CreateRequest;
import io.github.sshcontainer.containerd.api.leases.v1.DeleteRequest;
import io.github.sshcontainer.containerd.api.leases.v1.LeasesGrpc;
import io.github.sshcontainer.containerd.api.leases.v1.ListRequest;

/**
 * containerd's leases ({@code containerd.services.leases.v1.Leases}): what content and snapshots are made under
 * (the {@code containerd-lease} header) belongs to the lease and survives the garbage collector until the lease is
 * deleted or expires. {@link ImageImporter} works under one.
 */
public final class Leases {
    /** The label with which containerd expires a lease by itself (RFC 3339 time). */
    public static final String EXPIRE_LABEL = "containerd.io/gc.expire";

    private final Calls calls;
    private final LeasesGrpc.LeasesBlockingStub stub;

    Leases(Calls calls) {
        this.calls = calls;
        this.stub = LeasesGrpc.newBlockingStub(calls.channel());
    }

    /** Creates the lease {@code id}, which containerd drops by itself after {@code expireAfter}. */
    public String create(String id, Duration expireAfter) throws ContainerdException {
        String expiry = Instant.now().plus(expireAfter).truncatedTo(ChronoUnit.SECONDS).toString();
        return calls.call("Leases/Create " + id, () -> calls.timed(stub).create(CreateRequest.newBuilder().setId(id)
                .putAllLabels(Map.of(EXPIRE_LABEL, expiry)).build())).getLease().getId();
    }

    /** Deletes the lease {@code id}; what only it held becomes garbage ({@code sync}: wait for the collection). */
    public void delete(String id, boolean sync) throws ContainerdException {
        calls.call("Leases/Delete " + id, () -> calls.timed(stub)
                .delete(DeleteRequest.newBuilder().setId(id).setSync(sync).build()));
    }

    /** The ids of the namespace's leases. */
    public List<String> list() throws ContainerdException {
        return calls.call("Leases/List", () -> calls.timed(stub).list(ListRequest.getDefaultInstance()))
                .getLeasesList().stream().map(l -> l.getId()).toList();
    }
}
