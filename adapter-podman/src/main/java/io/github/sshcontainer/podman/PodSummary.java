package io.github.sshcontainer.podman;

import java.util.List;
import java.util.Map;

/**
 * One pod as {@code GET /libpod/pods/json} lists it.
 *
 * @param id the pod's ID
 * @param name its name
 * @param status its status ({@code Running}, {@code Exited}, {@code Created}, ...)
 * @param containerIds the IDs of its containers (the infra container among them)
 */
public record PodSummary(String id, String name, String status, List<String> containerIds) {

    /** Copies {@code containerIds}. */
    public PodSummary {
        containerIds = List.copyOf(containerIds);
    }

    static PodSummary from(Map<?, ?> pod) {
        List<String> ids = new java.util.ArrayList<>();
        if (pod.get("Containers") instanceof List) {
            for (Object c : (List<?>) pod.get("Containers")) {
                if (c instanceof Map && Json.string((Map<?, ?>) c, "Id") != null) {
                    ids.add(Json.string((Map<?, ?>) c, "Id"));
                }
            }
        }
        return new PodSummary(Json.string(pod, "Id"), Json.string(pod, "Name"), Json.string(pod, "Status"), ids);
    }
}
