package io.github.sshcontainer.podman;

import java.util.Map;

/**
 * What {@code GET /libpod/info} says about the host Podman runs on (a few fields typed, the rest in {@link #raw()}).
 *
 * @param hostname the host's name
 * @param os the operating system ({@code linux})
 * @param arch the architecture ({@code amd64})
 * @param kernel the kernel version
 * @param rootless whether the service runs rootless
 * @param graphRoot where the images and containers are stored
 * @param raw the whole answer: {@code host}, {@code store}, {@code registries}, {@code version}
 */
public record PodmanInfo(String hostname, String os, String arch, String kernel, boolean rootless, String graphRoot,
        Map<String, Object> raw) {

    static PodmanInfo from(Map<String, Object> info) {
        Map<?, ?> host = Json.map(info, "host");
        Map<?, ?> security = Json.map(host, "security");
        return new PodmanInfo(Json.string(host, "hostname"), Json.string(host, "os"), Json.string(host, "arch"),
                Json.string(host, "kernel"), "true".equals(Json.string(security, "rootless")),
                Json.string(Json.map(info, "store"), "graphRoot"), info);
    }
}
