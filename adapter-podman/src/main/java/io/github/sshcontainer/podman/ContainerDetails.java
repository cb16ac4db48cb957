package io.github.sshcontainer.podman;

import java.util.Map;

/**
 * What {@code GET /libpod/containers/{id}/json} says about one container (a few fields typed, the rest in
 * {@link #raw()}).
 *
 * @param id the container's full ID
 * @param name its name
 * @param image the image reference it was created from
 * @param status its state word: {@code created}, {@code running}, {@code exited}, {@code stopped}, ...
 * @param running whether it runs now
 * @param exitCode its exit code once it has exited (0 before)
 * @param raw the whole answer ({@code Config}, {@code State}, {@code HostConfig}, ...)
 */
public record ContainerDetails(String id, String name, String image, String status, boolean running, int exitCode,
        Map<String, Object> raw) {

    static ContainerDetails from(Map<String, Object> inspect) {
        Map<?, ?> state = Json.map(inspect, "State");
        String image = Json.string(inspect, "ImageName");
        return new ContainerDetails(Json.string(inspect, "Id"), Json.string(inspect, "Name"),
                image != null ? image : Json.string(inspect, "Image"), Json.string(state, "Status"),
                "true".equals(Json.string(state, "Running")), (int) Json.number(state, "ExitCode"), inspect);
    }
}
