package io.github.sshcontainer.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One small request/response on a kept connection: a 64-byte echo through {@link BenchServer}, or Docker's
 * {@code GET /_ping} (or {@code /version}) with HTTP/1.1 keep-alive. Each instance belongs to one connection.
 */
abstract class Exchange {
    abstract Contender.Remote remote();

    /** Sent once after connecting. */
    void start(Conn c) throws IOException {
    }

    /** One round trip; throws if the answer is wrong. */
    abstract void roundTrip(Conn c) throws IOException;

    abstract String label();

    /** 64 bytes echoed. */
    static final class Echo extends Exchange {
        static final int SIZE = 64;
        private final byte[] out = Arrays.copyOf(Pattern.block(), SIZE);
        private final byte[] in = new byte[SIZE];

        @Override
        Contender.Remote remote() {
            return Contender.Remote.SINK;
        }

        @Override
        void start(Conn c) throws IOException {
            c.write(BenchServer.request("ECHO"));
        }

        @Override
        void roundTrip(Conn c) throws IOException {
            c.write(out);
            c.readFully(in, 0, SIZE);
            if (!Arrays.equals(in, out)) {
                throw new IOException("echo mismatch");
            }
        }

        @Override
        String label() {
            return "echo 64 B";
        }
    }

    /** An HTTP/1.1 GET to dockerd, keep-alive; checks the status is 200. */
    static final class DockerGet extends Exchange {
        private final String path;
        private final byte[] request;
        private final byte[] buf = new byte[64 * 1024];

        DockerGet(String path) {
            this.path = path;
            this.request = ("GET " + path + " HTTP/1.1\r\nHost: docker\r\nUser-Agent: ssh-container-bench\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
        }

        @Override
        Contender.Remote remote() {
            return Contender.Remote.DOCKER;
        }

        @Override
        void roundTrip(Conn c) throws IOException {
            c.write(request);
            int have = 0;
            int headerEnd = -1;
            while (headerEnd < 0) {
                int n = c.read(buf, have, buf.length - have);
                if (n < 0) {
                    throw new IOException("dockerd closed the connection");
                }
                have += n;
                headerEnd = indexOf(buf, have, "\r\n\r\n");
            }
            String head = new String(buf, 0, headerEnd, StandardCharsets.ISO_8859_1);
            if (!head.startsWith("HTTP/1.1 200")) {
                throw new IOException("dockerd answered " + head.lines().findFirst().orElse(""));
            }
            long length = -1;
            for (String line : head.split("\r\n")) {
                if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                    length = Long.parseLong(line.substring(15).trim());
                }
            }
            if (length < 0) {
                throw new IOException("no Content-Length from dockerd: " + head);
            }
            long body = have - (headerEnd + 4);
            while (body < length) {
                int n = c.read(buf, 0, (int) Math.min(buf.length, length - body));
                if (n < 0) {
                    throw new IOException("dockerd closed the connection mid-body");
                }
                body += n;
            }
        }

        private static int indexOf(byte[] b, int len, String s) {
            outer:
            for (int i = 0; i + s.length() <= len; i++) {
                for (int j = 0; j < s.length(); j++) {
                    if (b[i + j] != s.charAt(j)) {
                        continue outer;
                    }
                }
                return i;
            }
            return -1;
        }

        @Override
        String label() {
            return "docker GET " + path;
        }
    }
}
