package io.github.sshcontainer.containerd;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The regular files of an uncompressed tar archive and where their bytes are: enough to read an image archive
 * ({@code docker save}, OCI layout) in any order without unpacking it. Understands ustar names with prefixes, GNU
 * long names and PAX {@code path} records; ignores directories and links.
 */
final class TarIndex implements AutoCloseable {
    /** Where one member's bytes are in the archive. */
    record Entry(String name, long offset, long size) {
    }

    private static final int BLOCK = 512;

    private final Path archive;
    private final FileChannel file;
    private final Map<String, Entry> entries = new LinkedHashMap<>();

    private TarIndex(Path archive, FileChannel file) {
        this.archive = archive;
        this.file = file;
    }

    static TarIndex open(Path archive) throws IOException {
        FileChannel file = FileChannel.open(archive, StandardOpenOption.READ);
        TarIndex index = new TarIndex(archive, file);
        try {
            index.scan();
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
        return index;
    }

    private void scan() throws IOException {
        long pos = 0;
        long length = file.size();
        String longName = null;
        byte[] header = new byte[BLOCK];
        if (length >= 2) {
            byte[] magic = new byte[2];
            readFully(0, magic);
            if ((magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
                throw new IOException(archive + " is gzip-compressed; decompress it first (gunzip)");
            }
        }
        while (pos + BLOCK <= length) {
            readFully(pos, header);
            if (isZero(header)) {
                break;
            }
            if (!checksumOk(header)) {
                throw new IOException(archive + " is not a tar archive (bad header checksum at byte " + pos + ")");
            }
            String name = string(header, 0, 100);
            String prefix = string(header, 345, 155);
            if (!prefix.isEmpty() && "ustar".equals(string(header, 257, 5))) {
                name = prefix + "/" + name;
            }
            long size = octal(header, 124, 12);
            char type = (char) header[156];
            long data = pos + BLOCK;
            if (data + size > length) {
                throw new IOException(archive + " is truncated (member " + name + " ends past the end)");
            }
            if (type == 'L' || type == 'x') {
                byte[] extra = new byte[(int) Math.min(size, 1 << 20)];
                readFully(data, extra);
                longName = type == 'L' ? cString(extra) : paxPath(extra);
            } else {
                if (longName != null) {
                    name = longName;
                    longName = null;
                }
                if (type == '0' || type == 0) {
                    String clean = clean(name);
                    entries.put(clean, new Entry(clean, data, size));
                }
            }
            pos = data + (size + BLOCK - 1) / BLOCK * BLOCK;
        }
    }

    /** The member {@code name} ({@code ./} and leading {@code /} ignored), if the archive has that regular file. */
    Optional<Entry> find(String name) {
        return Optional.ofNullable(entries.get(clean(name)));
    }

    Entry get(String name) throws IOException {
        return find(name).orElseThrow(() -> new IOException(archive + " has no " + name
                + " (not an OCI layout or docker save archive?)"));
    }

    /** The bytes of {@code e} as a stream (not buffered; read it through before reading another member). */
    InputStream open(Entry e) {
        return Channels.newInputStream(new Slice(e.offset(), e.size()));
    }

    byte[] read(Entry e, int max) throws IOException {
        if (e.size() > max) {
            throw new IOException(e.name() + " in " + archive + " is larger than " + max + " bytes");
        }
        byte[] bytes = new byte[(int) e.size()];
        readFully(e.offset(), bytes);
        return bytes;
    }

    private void readFully(long pos, byte[] into) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(into);
        while (b.hasRemaining()) {
            if (file.read(b, pos + b.position()) < 0) {
                throw new IOException(archive + " ended early");
            }
        }
    }

    /** A read-only window of the archive: one member's bytes. */
    private final class Slice implements java.nio.channels.ReadableByteChannel {
        private long pos;
        private final long end;

        Slice(long offset, long size) {
            this.pos = offset;
            this.end = offset + size;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            if (pos >= end) {
                return -1;
            }
            int want = (int) Math.min(dst.remaining(), end - pos);
            ByteBuffer view = dst.slice();
            view.limit(want);
            int n = file.read(view, pos);
            if (n > 0) {
                dst.position(dst.position() + n);
                pos += n;
            }
            return n;
        }

        @Override
        public boolean isOpen() {
            return file.isOpen();
        }

        @Override
        public void close() {
            // the archive stays open for the other members
        }
    }

    private static String clean(String name) {
        String n = name;
        while (n.startsWith("./")) {
            n = n.substring(2);
        }
        while (n.startsWith("/")) {
            n = n.substring(1);
        }
        return n;
    }

    private static boolean isZero(byte[] block) {
        for (byte b : block) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean checksumOk(byte[] h) {
        long stored = octal(h, 148, 8);
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : (h[i] & 0xff);
        }
        return sum == stored;
    }

    private static long octal(byte[] h, int off, int len) {
        if ((h[off] & 0x80) != 0) { // GNU base-256 for large sizes
            long v = h[off] & 0x7f;
            for (int i = off + 1; i < off + len; i++) {
                v = (v << 8) | (h[i] & 0xff);
            }
            return v;
        }
        String s = string(h, off, len).trim();
        return s.isEmpty() ? 0 : Long.parseLong(s, 8);
    }

    private static String string(byte[] h, int off, int len) {
        int end = off;
        while (end < off + len && h[end] != 0) {
            end++;
        }
        return new String(h, off, end - off, StandardCharsets.UTF_8);
    }

    private static String cString(byte[] b) {
        return string(b, 0, b.length);
    }

    /** The {@code path} of a PAX extended header ("LEN path=VALUE\n" records); null when it has none. */
    private static String paxPath(byte[] b) {
        String text = new String(b, StandardCharsets.UTF_8);
        int i = 0;
        while (i < text.length()) {
            int space = text.indexOf(' ', i);
            if (space < 0) {
                break;
            }
            int len = Integer.parseInt(text.substring(i, space));
            String record = text.substring(space + 1, i + len - 1);
            if (record.startsWith("path=")) {
                return record.substring(5);
            }
            i += len;
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
