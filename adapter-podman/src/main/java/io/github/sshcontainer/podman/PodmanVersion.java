package io.github.sshcontainer.podman;

/**
 * What {@code GET /libpod/version} says about the Podman service.
 *
 * @param version the Podman version ({@code 4.3.1})
 * @param apiVersion the libpod API version ({@code 4.3.1})
 * @param compatApiVersion the Docker-compatible API version ({@code 1.41})
 * @param os the operating system ({@code linux})
 * @param arch the architecture ({@code amd64})
 */
public record PodmanVersion(String version, String apiVersion, String compatApiVersion, String os, String arch) {
}
