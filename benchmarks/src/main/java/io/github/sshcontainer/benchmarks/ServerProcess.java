package io.github.sshcontainer.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs {@link BenchServer} in a child JVM with this JVM's class path. */
final class ServerProcess implements AutoCloseable {
    private final Process process;
    private final Path socket;

    private ServerProcess(Process process, Path socket) {
        this.process = process;
        this.socket = socket;
    }

    static ServerProcess start(Path socket) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "-Xss256k", "-XX:+UseSerialGC", "-Xmx512m", "-cp",
                System.getProperty("java.class.path"), BenchServer.class.getName(), socket.toString()))
                .redirectError(Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII));
        String line = out.readLine();
        if (!"READY".equals(line)) {
            p.destroyForcibly();
            throw new IOException("the benchmark server did not start (said " + line + ")");
        }
        return new ServerProcess(p, socket);
    }

    /** The child JVM, for CPU accounting. */
    ProcessHandle handle() {
        return process.toHandle();
    }

    Path socket() {
        return socket;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
