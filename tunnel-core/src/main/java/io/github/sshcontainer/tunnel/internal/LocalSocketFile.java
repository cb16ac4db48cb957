package io.github.sshcontainer.tunnel.internal;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.github.sshcontainer.tunnel.Failure;
import io.github.sshcontainer.tunnel.SshTunnelException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A private local unix socket: bound in a directory only we can enter, mode 0600, at a checked path. Never
 * deletes or replaces a file that is not a socket, nor a socket someone is listening on. Removes only its own
 * socket file, on {@link #close()} or, if never closed, at JVM exit.
 */
public final class LocalSocketFile implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalSocketFile.class);
    /** sun_path is 108 bytes on Linux, including the terminating NUL. */
    public static final int MAX_PATH_BYTES = 107;
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;
    private static final Set<LocalSocketFile> OPEN = ConcurrentHashMap.newKeySet();

    static {
        Thread hook = new Thread(() -> OPEN.forEach(LocalSocketFile::removeFiles), "ssh-container-socket-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    private final Path path;
    private final Path privateDir;
    private final Object fileKey;
    private final ServerSocketChannel server;

    private LocalSocketFile(Path path, Path privateDir, Object fileKey, ServerSocketChannel server) {
        this.path = path;
        this.privateDir = privateDir;
        this.fileKey = fileKey;
        this.server = server;
    }

    /**
     * Binds a socket named {@code name} in a fresh 0700 directory under {@code $XDG_RUNTIME_DIR} (if usable) or the
     * temp dir.
     */
    public static LocalSocketFile bindPrivate(String name, int backlog) throws IOException {
        Path base = runtimeBase();
        Path dir = Files.createTempDirectory(base, "ssh-container-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path socket = dir.resolve(name);
        try {
            checkLength(socket);
            ServerSocketChannel server = bind(socket, backlog);
            return register(new LocalSocketFile(socket, dir, fileKey(socket), server));
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(dir);
            throw e;
        }
    }

    /**
     * Binds at the path the user chose. The socket is bound in a private directory beside it, made 0600, then
     * linked into place, so no other user can connect in between and nothing at the path is ever replaced.
     */
    public static LocalSocketFile bindAt(Path requested, int backlog) throws IOException {
        Path path = requested.toAbsolutePath().normalize();
        checkLength(path);
        Path parent = path.getParent();
        if (parent == null || !Files.exists(parent)) {
            throw usage("cannot create local socket " + path + ": directory " + parent + " does not exist");
        }
        if (!Files.isDirectory(parent)) {
            throw usage("cannot create local socket " + path + ": " + parent + " is not a directory");
        }
        if (!Files.isWritable(parent)) {
            throw usage("cannot create local socket " + path + ": no write permission in " + parent);
        }
        clearStale(path);
        Path staging = Files.createTempDirectory(parent, ".ssh-container-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path staged = staging.resolve("s");
        try {
            ServerSocketChannel server = bind(staged, backlog);
            try {
                // link(2), unlike rename(2), never replaces what may have appeared at the path meanwhile
                Files.createLink(path, staged);
            } catch (FileAlreadyExistsException e) {
                server.close();
                throw usage("cannot create local socket " + path + ": a file appeared there meanwhile (left untouched)");
            }
            return register(new LocalSocketFile(path, null, fileKey(path), server));
        } finally {
            Files.deleteIfExists(staged);
            Files.deleteIfExists(staging);
        }
    }

    private static LocalSocketFile register(LocalSocketFile f) {
        OPEN.add(f);
        return f;
    }

    private static ServerSocketChannel bind(Path socket, int backlog) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(socket), backlog);
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
            return server;
        } catch (IOException e) {
            server.close();
            throw e;
        }
    }

    /** Removes a socket file nobody listens on; refuses anything else. */
    private static void clearStale(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!isSocket(path)) {
            throw usage("cannot create local socket " + path
                    + ": a file that is not a socket is in the way (it was left untouched; choose another path)");
        }
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            throw usage("cannot create local socket " + path
                    + ": another process is listening on it (stop it or choose another path)");
        } catch (SshTunnelException e) {
            throw e;
        } catch (IOException refused) {
            LOG.info("replacing stale socket {} (nothing accepts on it)", path);
            Files.delete(path);
        }
    }

    /** Whether {@code p} itself (not a link's target) is a unix socket: not a fifo nor a device, which are "other" too. */
    static boolean isSocket(Path p) throws IOException {
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!a.isOther() || a.isSymbolicLink()) {
            return false;
        }
        try {
            int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return (mode & S_IFMT) == S_IFSOCK;
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            return false; // cannot tell: never treat it as ours to replace
        }
    }

    private static Object fileKey(Path p) throws IOException {
        return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
    }

    private static void checkLength(Path p) throws SshTunnelException {
        int bytes = p.toString().getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_PATH_BYTES) {
            throw usage("local socket path " + p + " is " + bytes + " bytes long; unix sockets allow at most "
                    + MAX_PATH_BYTES + " (choose a shorter path, e.g. under /tmp)");
        }
    }

    private static SshTunnelException usage(String message) {
        return new SshTunnelException(Failure.USAGE, message);
    }

    private static Path runtimeBase() {
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        if (xdg != null && !xdg.isBlank()) {
            Path p = Paths.get(xdg);
            if (Files.isDirectory(p) && Files.isWritable(p)) {
                return p;
            }
        }
        return Paths.get(System.getProperty("java.io.tmpdir"));
    }

    public Path path() {
        return path;
    }

    public ServerSocketChannel server() {
        return server;
    }

    private void removeFiles() {
        try {
            // ours only if it is still a socket with our inode: never delete a file someone put there since
            if (Files.exists(path, LinkOption.NOFOLLOW_LINKS) && isSocket(path) && fileKey.equals(fileKey(path))) {
                Files.delete(path);
            }
            if (privateDir != null) {
                Files.deleteIfExists(privateDir);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("cleanup of {}: {}", path, e.toString());
        }
    }

    /** Stops listening and removes the socket file (only if it is still ours) and its private directory. */
    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        removeFiles();
        OPEN.remove(this);
    }
}
