package io.github.sshcontainer.tunnel.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import io.github.sshcontainer.tunnel.Failure;
import io.github.sshcontainer.tunnel.SshTunnelException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link LocalSocketFile} on the real file system: the path length limit, what it refuses to replace (regular
 * files, live sockets), what it does replace (stale sockets), the permissions it sets, and what {@code close()}
 * removes — only what is still its own.
 */
class LocalSocketFileTest {
    private static final Pattern LENGTH_MESSAGE =
            Pattern.compile("local socket path (\\S+) is (\\d+) bytes long; unix sockets allow at most 107");

    /** Short (a socket path must fit in 107 bytes) and private; deleted after each test. */
    private Path dir;
    private String savedTmpdir;

    @BeforeEach
    void createDir() throws IOException {
        dir = Files.createTempDirectory(Paths.get("/tmp"), "lsf-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        savedTmpdir = System.getProperty("java.io.tmpdir");
    }

    @AfterEach
    void deleteDir() throws IOException {
        System.setProperty("java.io.tmpdir", savedTmpdir);
        dir.toFile().setWritable(true, true);
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted((a, b) -> b.getNameCount() - a.getNameCount()).collect(Collectors.toList())) {
                Files.deleteIfExists(p);
            }
        }
    }

    // ------------------------------------------------------------------------------------------ path length

    @Test
    void bindAtRefusesAPathLongerThan107BytesAndCreatesNothing() throws IOException {
        Path tooLong = dir.resolve("s".repeat(108 - dir.toString().length() - 1));
        assertEquals(108, tooLong.toString().length());
        SshTunnelException e = assertThrows(SshTunnelException.class, () -> LocalSocketFile.bindAt(tooLong, 16));
        assertEquals(Failure.USAGE, e.failure());
        assertLengthMessage(e, tooLong.toString(), 108);
        assertEquals(List.of(), list(dir), "nothing created beside the path (no socket, no staging directory)");
    }

    @Test
    void bindAtAcceptsExactly107Bytes() throws IOException {
        Path longest = dir.resolve("s".repeat(107 - dir.toString().length() - 1));
        assertEquals(107, longest.toString().length());
        try (LocalSocketFile f = LocalSocketFile.bindAt(longest, 16)) {
            assertTrue(LocalSocketFile.isSocket(longest));
            assertEquals(longest, f.path());
        }
    }

    @Test
    void theLimitCountsUtf8BytesNotCharacters() throws IOException {
        Assumptions.assumeTrue("UTF-8".equalsIgnoreCase(System.getProperty("sun.jnu.encoding")),
                "file names are not UTF-8 in this JVM (sun.jnu.encoding=" + System.getProperty("sun.jnu.encoding") + ")");
        // 2 bytes per character: fewer than 107 characters, more than 107 bytes
        Path path = dir.resolve("é".repeat(50));
        int bytes = path.toString().getBytes(StandardCharsets.UTF_8).length;
        assertTrue(path.toString().length() <= 107 && bytes > 107, path + " " + bytes);
        SshTunnelException e = assertThrows(SshTunnelException.class, () -> LocalSocketFile.bindAt(path, 16));
        assertEquals(Failure.USAGE, e.failure());
        assertLengthMessage(e, path.toString(), bytes);
        assertEquals(List.of(), list(dir));
    }

    @Test
    void bindPrivateRefusesALongNameAndRemovesItsPrivateDirectory() throws IOException {
        Path base = privateBase();
        List<Path> before = privateDirs(base);
        String name = "n".repeat(100);
        SshTunnelException e = assertThrows(SshTunnelException.class, () -> LocalSocketFile.bindPrivate(name, 16));
        assertEquals(Failure.USAGE, e.failure());
        Matcher m = LENGTH_MESSAGE.matcher(e.getMessage());
        assertTrue(m.find(), e.getMessage());
        Path named = Paths.get(m.group(1));
        assertTrue(named.endsWith(name), e.getMessage());
        assertEquals(named.toString().getBytes(StandardCharsets.UTF_8).length, Integer.parseInt(m.group(2)));
        assertFalse(Files.exists(named.getParent(), LinkOption.NOFOLLOW_LINKS), "private directory removed");
        assertEquals(before, privateDirs(base), "no private directory left behind");
    }

    // ------------------------------------------------------------------------------- what is in the way

    @Test
    void missingParentDirectoryIsAClearErrorAndIsNotCreated() {
        Path parent = dir.resolve("no-such-dir");
        Path path = parent.resolve("t.sock");
        SshTunnelException e = assertThrows(SshTunnelException.class, () -> LocalSocketFile.bindAt(path, 16));
        assertEquals(Failure.USAGE, e.failure());
        assertTrue(e.getMessage().contains("directory " + parent + " does not exist"), e.getMessage());
        assertFalse(Files.exists(parent, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void aRegularFileAtThePathIsRefusedAndLeftUntouched() throws IOException {
        Path path = dir.resolve("t.sock");
        byte[] content = "precious\n".getBytes(StandardCharsets.US_ASCII);
        Files.write(path, content);
        Files.setLastModifiedTime(path, FileTime.fromMillis(1_000_000_000_000L));
        Object inode = fileKey(path);

        SshTunnelException e = assertThrows(SshTunnelException.class, () -> LocalSocketFile.bindAt(path, 16));
        assertEquals(Failure.USAGE, e.failure());
        assertTrue(e.getMessage().contains("not a socket"), e.getMessage());
        assertTrue(e.getMessage().contains(path.toString()), e.getMessage());

        assertTrue(Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS));
        assertArrayEquals(content, Files.readAllBytes(path));
        assertEquals(inode, fileKey(path), "same inode: not replaced");
        assertEquals(FileTime.fromMillis(1_000_000_000_000L), Files.getLastModifiedTime(path));
        assertEquals(List.of(path), list(dir), "no staging directory left");
    }

    @Test
    void aSymlinkAtThePathIsRefusedAndItsTargetUntouched() throws IOException {
        Path target = dir.resolve("target.txt");
        Files.writeString(target, "x");
        Path path = dir.resolve("t.sock");
        Files.createSymbolicLink(path, target);
        SshTunnelException e = assertThrows(SshTunnelException.class, () -> LocalSocketFile.bindAt(path, 16));
        assertEquals(Failure.USAGE, e.failure());
        assertTrue(Files.isSymbolicLink(path));
        assertEquals("x", Files.readString(target));
    }

    @Test
    void aFifoAtThePathIsNotMistakenForAStaleSocketAndIsKept() throws Exception {
        // a fifo is "other" to BasicFileAttributes like a socket, and connecting to it fails like a stale socket
        Path path = dir.resolve("t.sock");
        Process mkfifo = new ProcessBuilder("mkfifo", path.toString()).inheritIO().start();
        Assumptions.assumeTrue(mkfifo.waitFor() == 0, "mkfifo not available");
        Object inode = fileKey(path);
        assertFalse(LocalSocketFile.isSocket(path));
        SshTunnelException e = assertThrows(SshTunnelException.class, () -> LocalSocketFile.bindAt(path, 16));
        assertEquals(Failure.USAGE, e.failure());
        assertTrue(e.getMessage().contains("not a socket"), e.getMessage());
        assertEquals(inode, fileKey(path), "the fifo is still there");
    }

    @Test
    void aRegularFileAsTheParentIsNamedAsNotADirectory() throws IOException {
        Path file = dir.resolve("f");
        Files.writeString(file, "x");
        SshTunnelException e = assertThrows(SshTunnelException.class,
                () -> LocalSocketFile.bindAt(file.resolve("t.sock"), 16));
        assertEquals(Failure.USAGE, e.failure());
        assertTrue(e.getMessage().contains(file + " is not a directory"), e.getMessage());
        assertEquals("x", Files.readString(file));
    }

    @Test
    void aLiveSocketIsRefusedAndKeepsWorking() throws IOException {
        Path path = dir.resolve("live.sock");
        try (ServerSocketChannel other = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            other.bind(UnixDomainSocketAddress.of(path), 16);
            Object inode = fileKey(path);

            SshTunnelException e = assertThrows(SshTunnelException.class, () -> LocalSocketFile.bindAt(path, 16));
            assertEquals(Failure.USAGE, e.failure());
            assertTrue(e.getMessage().contains("another process is listening"), e.getMessage());
            assertEquals(inode, fileKey(path), "the live socket file was not replaced");

            // the other listener still gets connections (the check connected once: skip that probe)
            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
                client.write(ByteBuffer.wrap("ping".getBytes(StandardCharsets.US_ASCII)));
                client.shutdownOutput();
                String got = "";
                for (int i = 0; i < 3 && got.isEmpty(); i++) {
                    try (SocketChannel accepted = other.accept()) {
                        got = readAll(accepted);
                    }
                }
                assertEquals("ping", got);
            }
        }
    }

    @Test
    void aStaleSocketIsReplacedAndTheNewOneWorks() throws IOException {
        Path path = dir.resolve("stale.sock");
        ServerSocketChannel old = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        old.bind(UnixDomainSocketAddress.of(path), 16);
        old.close();
        assertTrue(LocalSocketFile.isSocket(path), "closing a listener leaves its socket file");
        Object staleInode = fileKey(path);

        try (LocalSocketFile f = LocalSocketFile.bindAt(path, 16)) {
            assertNotEquals(staleInode, fileKey(path), "a new socket file");
            assertWorks(f);
        }
        assertFalse(Files.exists(path, LinkOption.NOFOLLOW_LINKS));
    }

    // ---------------------------------------------------------------------------- permissions and close

    @Test
    void bindAtMakesTheSocket0600AndLeavesNoStagingDirectory() throws IOException {
        Path path = dir.resolve("t.sock");
        try (LocalSocketFile f = LocalSocketFile.bindAt(path, 16)) {
            assertEquals(path, f.path());
            assertTrue(LocalSocketFile.isSocket(path));
            assertEquals("rw-------", perms(path));
            assertEquals(List.of(path), list(dir), "the staging directory is gone once the socket is linked");
            assertWorks(f);
        }
        assertFalse(Files.exists(path, LinkOption.NOFOLLOW_LINKS), "close() removes the socket");
        assertTrue(Files.isDirectory(dir), "close() leaves the user's directory");
        assertEquals(List.of(), list(dir));
    }

    @Test
    void bindAtResolvesARelativePath() throws IOException {
        Path relative = Paths.get("").toAbsolutePath().relativize(dir.resolve("rel.sock"));
        try (LocalSocketFile f = LocalSocketFile.bindAt(relative, 16)) {
            assertEquals(dir.resolve("rel.sock"), f.path());
            assertTrue(f.path().isAbsolute());
        }
    }

    @Test
    void bindPrivateMakesA0700DirectoryAndA0600SocketAndCloseRemovesBoth() throws IOException {
        Path base = privateBase();
        LocalSocketFile f = LocalSocketFile.bindPrivate("docker.sock", 16);
        Path path = f.path();
        Path privateDir = path.getParent();
        try {
            assertEquals("docker.sock", path.getFileName().toString());
            assertEquals(base.toAbsolutePath(), privateDir.getParent().toAbsolutePath());
            assertTrue(privateDir.getFileName().toString().startsWith("ssh-container-"), privateDir.toString());
            assertEquals("rwx------", perms(privateDir));
            assertEquals("rw-------", perms(path));
            assertTrue(LocalSocketFile.isSocket(path));
            assertWorks(f);
        } finally {
            f.close();
        }
        assertFalse(Files.exists(path, LinkOption.NOFOLLOW_LINKS), "socket removed");
        assertFalse(Files.exists(privateDir, LinkOption.NOFOLLOW_LINKS), "private directory removed");
        f.close(); // idempotent
    }

    @Test
    void closeStopsListening() throws IOException {
        Path path = dir.resolve("t.sock");
        LocalSocketFile f = LocalSocketFile.bindAt(path, 16);
        f.close();
        assertFalse(f.server().isOpen());
        assertThrows(IOException.class, () -> SocketChannel.open(UnixDomainSocketAddress.of(path)).close());
    }

    @Test
    void closeLeavesARegularFileThatReplacedOurSocket() throws IOException {
        Path path = dir.resolve("t.sock");
        LocalSocketFile f = LocalSocketFile.bindAt(path, 16);
        Files.delete(path);
        // (had the file system handed the freed inode number to this new file, an inode check alone would be fooled)
        Files.writeString(path, "someone else's\n");
        f.close();
        assertTrue(Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS), "a file that is not ours is left alone");
        assertEquals("someone else's\n", Files.readString(path));
    }

    @Test
    void closeLeavesAnotherSocketThatReplacedOurs() throws IOException {
        Path path = dir.resolve("t.sock");
        LocalSocketFile f = LocalSocketFile.bindAt(path, 16);
        Files.delete(path);
        try (ServerSocketChannel other = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            other.bind(UnixDomainSocketAddress.of(path), 16);
            Object inode = fileKey(path);
            f.close();
            assertTrue(Files.exists(path, LinkOption.NOFOLLOW_LINKS), "another process's socket is left alone");
            assertEquals(inode, fileKey(path));
        }
    }

    @Test
    void closeOfAPrivateSocketLeavesAFileThatReplacedIt() throws IOException {
        LocalSocketFile f = LocalSocketFile.bindPrivate("x.sock", 16);
        Path path = f.path();
        Path privateDir = path.getParent();
        try {
            Files.delete(path);
            Files.writeString(path, "not ours");
            f.close();
            assertEquals("not ours", Files.readString(path));
            assertTrue(Files.isDirectory(privateDir), "a directory that is not empty is not removed");
        } finally {
            Files.deleteIfExists(path);
            Files.deleteIfExists(privateDir);
        }
    }

    // ------------------------------------------------------------------------------------------- helpers

    /** Where bindPrivate puts its directory: $XDG_RUNTIME_DIR if usable, else java.io.tmpdir (then: our dir). */
    private Path privateBase() {
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        if (xdg != null && !xdg.isBlank() && Files.isDirectory(Paths.get(xdg)) && Files.isWritable(Paths.get(xdg))) {
            return Paths.get(xdg);
        }
        System.setProperty("java.io.tmpdir", dir.toString());
        return dir;
    }

    private static List<Path> privateDirs(Path base) throws IOException {
        try (Stream<Path> s = Files.list(base)) {
            return s.filter(p -> p.getFileName().toString().startsWith("ssh-container-")).sorted()
                    .collect(Collectors.toList());
        }
    }

    private static void assertLengthMessage(SshTunnelException e, String path, int bytes) {
        Matcher m = LENGTH_MESSAGE.matcher(e.getMessage());
        assertTrue(m.find(), e.getMessage());
        assertEquals(path, m.group(1));
        assertEquals(bytes, Integer.parseInt(m.group(2)));
    }

    /** A client connects, and bytes go both ways. */
    private static void assertWorks(LocalSocketFile f) throws IOException {
        try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(f.path()));
                SocketChannel accepted = f.server().accept()) {
            client.write(ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)));
            client.shutdownOutput();
            assertEquals("hello", readAll(accepted));
            accepted.write(ByteBuffer.wrap("back".getBytes(StandardCharsets.US_ASCII)));
            accepted.shutdownOutput();
            assertEquals("back", readAll(client));
        }
    }

    private static String readAll(SocketChannel c) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(1024);
        while (c.read(b) >= 0 && b.hasRemaining()) {
            // until EOF
        }
        b.flip();
        return StandardCharsets.US_ASCII.decode(b).toString();
    }

    private static List<Path> list(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.sorted().collect(Collectors.toList());
        }
    }

    private static Object fileKey(Path p) throws IOException {
        return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
    }

    private static String perms(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }
}
