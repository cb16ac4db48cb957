package io.github.sshcontainer.tunnel.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * Finds {@link RuntimeAdapter}s on the class path with {@link ServiceLoader}.
 *
 * <pre>{@code
 * RuntimeAdapter<?> adapter = RuntimeAdapters.find("docker");
 * }</pre>
 */
public final class RuntimeAdapters {
    /** The artifacts of this project's own adapters, to tell a user which dependency is missing. */
    private static final Map<String, String> ARTIFACTS = Map.of(
            "docker", "io.github.sshcontainer:ssh-container-docker",
            "podman", "io.github.sshcontainer:ssh-container-podman",
            "containerd", "io.github.sshcontainer:ssh-container-containerd");

    private RuntimeAdapters() {
    }

    /** Every adapter on the class path of {@code loader}, in ServiceLoader order. */
    @SuppressWarnings("rawtypes")
    public static List<RuntimeAdapter<?>> all(ClassLoader loader) {
        List<RuntimeAdapter<?>> found = new ArrayList<>();
        for (RuntimeAdapter a : ServiceLoader.load(RuntimeAdapter.class, loader)) {
            found.add(a);
        }
        return found;
    }

    /** Every adapter visible to this class's loader. */
    public static List<RuntimeAdapter<?>> all() {
        return all(RuntimeAdapters.class.getClassLoader());
    }

    /**
     * The adapter for {@code name} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the available runtimes, and the artifact to add when the name is one
     *         of this project's
     */
    public static RuntimeAdapter<?> find(String name) {
        String wanted = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        List<RuntimeAdapter<?>> all = all();
        for (RuntimeAdapter<?> a : all) {
            if (a.name().equals(wanted)) {
                return a;
            }
        }
        String available = all.isEmpty() ? "none on the class path"
                : all.stream().map(RuntimeAdapter::name).sorted().collect(Collectors.joining(", "));
        String artifact = ARTIFACTS.get(wanted);
        throw new IllegalArgumentException("no adapter for runtime '" + name + "'"
                + (artifact == null ? "" : " — add " + artifact) + "; available: " + available);
    }

    /** The adapter for {@code name}, checked to build {@code clientType}. */
    @SuppressWarnings("unchecked")
    public static <C> RuntimeAdapter<C> find(String name, Class<C> clientType) {
        RuntimeAdapter<?> a = find(name);
        if (!clientType.isAssignableFrom(a.clientType())) {
            throw new IllegalArgumentException("the '" + a.name() + "' adapter builds " + a.clientType().getName()
                    + ", not " + clientType.getName());
        }
        return (RuntimeAdapter<C>) a;
    }
}
