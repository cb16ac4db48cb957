package io.github.sshcontainer.containerd;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

import com.google.protobuf.Empty;
import io.github.sshcontainer.containerd.api.introspection.v1.IntrospectionGrpc;
import io.github.sshcontainer.containerd.api.introspection.v1.PluginsRequest;

/** What the daemon loaded ({@code containerd.services.introspection.v1.Introspection}). */
public final class Introspection {
    /** The type of containerd's CRI plugin. */
    public static final String CRI_TYPE = "io.containerd.grpc.v1";
    /** The id of containerd's CRI plugin. */
    public static final String CRI_ID = "cri";

    /**
     * One plugin: {@code type} (e.g. {@code io.containerd.snapshotter.v1}), {@code id} (e.g. {@code overlayfs}), and
     * the error it failed or was skipped with (empty when it is loaded).
     */
    public record Plugin(String type, String id, Optional<String> initError) {
        public Plugin {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(initError, "initError");
        }

        /** Whether the plugin loaded. */
        public boolean ok() {
            return initError.isEmpty();
        }
    }

    private final Calls calls;
    private final IntrospectionGrpc.IntrospectionBlockingStub stub;

    Introspection(Calls calls) {
        this.calls = calls;
        this.stub = IntrospectionGrpc.newBlockingStub(calls.channel());
    }

    /** The plugins matching {@code filters} (e.g. {@code type==io.containerd.snapshotter.v1}); all without. */
    public List<Plugin> plugins(String... filters) throws ContainerdException {
        var r = calls.call("Introspection/Plugins", () -> calls.timed(stub)
                .plugins(PluginsRequest.newBuilder().addAllFilters(List.of(filters)).build()));
        return r.getPluginsList().stream().map(p -> new Plugin(p.getType(), p.getId(),
                p.hasInitErr() ? Optional.of(p.getInitErr().getMessage()) : Optional.empty())).toList();
    }

    /** Whether the plugin {@code type}/{@code id} is loaded. */
    public boolean loaded(String type, String id) throws ContainerdException {
        return plugins("type==" + type + ",id==" + id).stream().anyMatch(Plugin::ok);
    }

    /** Whether containerd's CRI plugin is loaded (then {@link CriImages} works). */
    public boolean criLoaded() throws ContainerdException {
        return loaded(CRI_TYPE, CRI_ID);
    }

    /** The daemon's UUID. */
    public String serverUuid() throws ContainerdException {
        return calls.call("Introspection/Server", () -> calls.timed(stub).server(Empty.getDefaultInstance()))
                .getUuid();
    }
}
