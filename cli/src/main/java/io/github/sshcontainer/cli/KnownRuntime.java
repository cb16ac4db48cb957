package io.github.sshcontainer.cli;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The runtimes {@code --runtime} knows: their default remote socket and the variable their own tools read.
 * (The RuntimeAdapter SPI will replace this table when the adapters land.)
 */
enum KnownRuntime {
    DOCKER("/var/run/docker.sock", "DOCKER_HOST", true),
    PODMAN("/run/podman/podman.sock", "CONTAINER_HOST", true),
    CONTAINERD("/run/containerd/containerd.sock", "CONTAINERD_ADDRESS", false);

    final String defaultSocket;
    final String envVar;
    /** Whether the variable holds a URI ({@code unix:///…}) rather than a bare path (containerd). */
    final boolean uri;

    KnownRuntime(String defaultSocket, String envVar, boolean uri) {
        this.defaultSocket = defaultSocket;
        this.envVar = envVar;
        this.uri = uri;
    }

    static KnownRuntime parse(String name) {
        for (KnownRuntime r : values()) {
            if (r.name().equalsIgnoreCase(name)) {
                return r;
            }
        }
        throw new IllegalArgumentException("unknown runtime '" + name + "'; available: " + names());
    }

    static String names() {
        return Arrays.stream(values()).map(r -> r.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "));
    }
}
