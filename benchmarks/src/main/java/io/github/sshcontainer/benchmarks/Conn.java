package io.github.sshcontainer.benchmarks;

import java.io.EOFException;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

import io.github.sshcontainer.tunnel.TunnelConnection;

/** One connection to the far end, whichever way it goes: a unix socket, or an in-process tunnel connection. */
interface Conn extends AutoCloseable {

    void write(byte[] b, int off, int len) throws IOException;

    /** Reads up to {@code len} bytes; -1 at end of stream. */
    int read(byte[] b, int off, int len) throws IOException;

    void shutdownOutput() throws IOException;

    @Override
    void close();

    default void write(byte[] b) throws IOException {
        write(b, 0, b.length);
    }

    default void readFully(byte[] b, int off, int len) throws IOException {
        int done = 0;
        while (done < len) {
            int n = read(b, off + done, len - done);
            if (n < 0) {
                throw new EOFException("end of stream after " + done + " of " + len + " bytes");
            }
            done += n;
        }
    }

    /** A blocking unix-socket connection. */
    static Conn socket(Path path) throws IOException {
        SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(path));
        return new Conn() {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                BenchServer.writeFully(c, ByteBuffer.wrap(b, off, len));
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return c.read(ByteBuffer.wrap(b, off, len));
            }

            @Override
            public void shutdownOutput() throws IOException {
                c.shutdownOutput();
            }

            @Override
            public void close() {
                try {
                    c.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
        };
    }

    /** An in-process tunnel connection. */
    static Conn of(TunnelConnection t) {
        return new Conn() {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                t.outputStream().write(b, off, len);
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return t.inputStream().read(b, off, len);
            }

            @Override
            public void shutdownOutput() throws IOException {
                t.shutdownOutput();
            }

            @Override
            public void close() {
                t.close();
            }
        };
    }
}
