package io.github.sshcontainer.tunnel.testing;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;

/** Private temporary directories for the fixtures, short enough to hold unix socket paths. */
final class TestDirs {

    /** A unix socket path must fit in {@code sun_path} (108 bytes on Linux, 104 on macOS, with the NUL). */
    private static final int MAX_DIR_LENGTH = 60;

    private TestDirs() {
    }

    /**
     * Creates a fresh directory readable by this user only (0700) under {@code java.io.tmpdir}, or under
     * {@code /tmp} when {@code java.io.tmpdir} is too long for socket paths inside it.
     */
    static Path createPrivate(String prefix) throws IOException {
        Path base = Path.of(System.getProperty("java.io.tmpdir"));
        if (base.toAbsolutePath().toString().length() > MAX_DIR_LENGTH - prefix.length() - 25
                && Files.isDirectory(Path.of("/tmp"))) {
            base = Path.of("/tmp");
        }
        try {
            return Files.createTempDirectory(base, prefix,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException e) {
            return Files.createTempDirectory(base, prefix);
        }
    }

    /** Deletes {@code dir} and everything below it (symlinks are deleted, not followed); absent is fine. */
    static void deleteRecursively(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null && !(e instanceof NoSuchFileException)) {
                    throw e;
                }
                Files.deleteIfExists(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
