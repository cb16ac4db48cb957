package io.github.sshcontainer.podman;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Podman's (and Docker's) multiplexed stream format, used by logs, attach and exec of containers without a tty:
 * frames of an 8-byte header (stream: 0 stdin, 1 stdout, 2 stderr; three zero bytes; big-endian payload length) and
 * the payload. A stream whose first bytes are not such a header is a tty container's raw stream and is copied to
 * stdout as it is.
 */
final class StreamFrames {
    private StreamFrames() {
    }

    /**
     * Copies the payloads of {@code in} to {@code stdout} (streams 0 and 1) and {@code stderr} (stream 2) as frames
     * arrive, until {@code in} ends.
     *
     * @throws IOException when {@code in} ends inside a frame, or reading or writing fails
     */
    static void copy(InputStream in, OutputStream stdout, OutputStream stderr) throws IOException {
        byte[] header = new byte[8];
        int first = in.readNBytes(header, 0, 8);
        if (first < 8 || header[0] > 2 || header[0] < 0 || header[1] != 0 || header[2] != 0 || header[3] != 0) {
            stdout.write(header, 0, first);
            in.transferTo(stdout);
            stdout.flush();
            return;
        }
        byte[] buffer = new byte[8192];
        while (true) {
            long size = ((header[4] & 0xffL) << 24) | ((header[5] & 0xff) << 16) | ((header[6] & 0xff) << 8)
                    | (header[7] & 0xff);
            OutputStream target = header[0] == 2 ? stderr : stdout;
            while (size > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, size));
                if (n < 0) {
                    throw new EOFException("the stream ended inside a frame (" + size + " bytes missing)");
                }
                target.write(buffer, 0, n);
                size -= n;
            }
            target.flush();
            int n = in.readNBytes(header, 0, 8);
            if (n == 0) {
                return;
            }
            if (n < 8) {
                throw new EOFException("the stream ended inside a frame header");
            }
        }
    }
}
