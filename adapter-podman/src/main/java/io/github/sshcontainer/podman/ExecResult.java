package io.github.sshcontainer.podman;

/**
 * How a command run with {@link PodmanClient.Containers#exec(String, String...)} ended and what it wrote.
 *
 * @param exitCode its exit code
 * @param stdout what it wrote to standard output (UTF-8)
 * @param stderr what it wrote to standard error (UTF-8)
 */
public record ExecResult(int exitCode, String stdout, String stderr) {
}
