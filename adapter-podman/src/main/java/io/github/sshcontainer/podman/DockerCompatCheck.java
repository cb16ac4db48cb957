package io.github.sshcontainer.podman;

/**
 * Checks that adapter-docker (and docker-java) are on the class path before anything touches
 * {@link PodmanDockerAdapter}; refers to no Docker class itself.
 */
final class DockerCompatCheck {
    static final String MISSING = "Podman's Docker-compatible mode needs ssh-container-docker on the class path: add"
            + " the dependency io.github.sshcontainer:ssh-container-docker (it brings docker-java), or use the libpod"
            + " PodmanClient, which needs neither";

    private DockerCompatCheck() {
    }

    /** @throws IllegalStateException saying which dependency to add */
    static void require() {
        ClassLoader loader = DockerCompatCheck.class.getClassLoader();
        try {
            Class.forName("io.github.sshcontainer.docker.InProcessDockerAdapter", false, loader);
            Class.forName("com.github.dockerjava.api.DockerClient", false, loader);
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IllegalStateException(MISSING, e);
        }
    }
}
