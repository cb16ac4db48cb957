package io.github.sshcontainer.benchmarks;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import io.github.sshcontainer.tunnel.internal.ChaChaPolyCipher;

/**
 * {@code java -jar benchmarks.jar floor [--mib N]}: what the least an SSH client on this JVM can spend per MiB is,
 * for the 8-stream target's arithmetic (docs/benchmarks.md). One thread seals 32 KiB packets with AES-128-GCM the
 * way an SSH transport does (a fresh nonce per packet, the length as associated data, in place) and writes them to
 * a loopback TCP connection 256 KiB at a time; another reads them 256 KiB at a time and opens (decrypts and checks)
 * each packet. Nothing else: no SSH framing, channels, windows or local sockets. Each thread's CPU time is its own
 * (ThreadMXBean), so the sender's figure is the floor of an upload's client side, the reader's of a download's — both
 * with the kernel's loopback work that lands on the calling thread, as in the real benchmark.
 */
final class Floor {
    private static final int PACKET = 32 * 1024;
    private static final int TAG = 16;
    private static final int WIRE = 4 + PACKET + TAG;
    private static final int WRITE = 256 * 1024;

    private Floor() {
    }

    static void main(String[] args) throws Exception {
        long mib = 2048;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--mib") && i + 1 < args.length) {
                mib = Long.parseLong(args[++i]);
            } else {
                System.err.println("usage: java -jar benchmarks.jar floor [--mib N]   (default 2048)");
                System.exit(2);
            }
        }
        Costs c = measure(mib);
        System.out.printf(Locale.ROOT, "| floor of an SSH client on this JVM, AES-128-GCM, 32 KiB packets, %d MiB"
                + " | send (seal + TCP write) %.3f ms/MiB | receive (TCP read + open) %.3f ms/MiB"
                + " | receive and hand to an application thread %.3f ms/MiB | seal alone %.3f ms/MiB | %.0f MiB/s"
                + " | seal alone with chacha20-poly1305 (ours) %.3f ms/MiB |%n",
                mib, c.send, c.receive, c.receiveHandedOff, c.seal, c.mibPerSecond, c.sealChaCha);
    }

    /** CPU milliseconds per MiB of each part, and the sending rate. */
    record Costs(double send, double receive, double receiveHandedOff, double seal, double mibPerSecond,
            double sealChaCha) {
    }

    /** Warms up, then measures {@code mib} MiB each way (every packet is checked on arrival: a wrong one throws). */
    static Costs measure(long mib) throws Exception {
        run(Math.max(16, mib / 4), false); // warm-up: the JIT's AES-GCM and copy paths
        run(Math.max(16, mib / 4), true);
        double[] r = run(mib, false);
        double[] d = run(mib, true);
        long sealMib = Math.min(mib, 256);
        sealChaChaOnly(sealMib); // warm-up
        return new Costs(r[0], r[1], d[1], sealOnly(sealMib), r[2], sealChaChaOnly(sealMib));
    }

    /**
     * Sender ms/MiB, reader ms/MiB, MiB/s. With {@code handOff}, the reader passes each opened
     * packet to an application thread that copies it out (as a tunnel's reader gets its bytes), and the reader's
     * figure includes that thread's CPU.
     */
    private static double[] run(long mib, boolean handOff) throws Exception {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long packets = mib * 1024 * 1024 / PACKET;
        byte[] key = new byte[16];
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            CompletableFuture<Long> reader = CompletableFuture.supplyAsync(() -> {
                try (SocketChannel in = server.accept()) {
                    long cpu0 = mx.getCurrentThreadCpuTime();
                    Application app = handOff ? new Application(mx) : null;
                    receive(in, key, packets, app);
                    long appCpu = app == null ? 0 : app.finish();
                    return mx.getCurrentThreadCpuTime() - cpu0 + appCpu;
                } catch (IOException | GeneralSecurityException e) {
                    throw new IllegalStateException(e);
                }
            });
            long start;
            long sendCpu;
            try (SocketChannel out = SocketChannel.open(server.getLocalAddress())) {
                long cpu0 = mx.getCurrentThreadCpuTime();
                start = System.nanoTime();
                send(out, key, packets);
                sendCpu = mx.getCurrentThreadCpuTime() - cpu0;
            }
            long readCpu = reader.get();
            double seconds = (System.nanoTime() - start) / 1e9;
            return new double[] {sendCpu / 1e6 / mib, readCpu / 1e6 / mib, mib / seconds};
        }
    }

    private static void send(SocketChannel out, byte[] key, long packets) throws Exception {
        Cipher c = aesGcm();
        SecretKeySpec k = new SecretKeySpec(key, "AES");
        byte[] nonce = new byte[12];
        byte[] packet = new byte[WIRE];
        ByteBuffer gather = ByteBuffer.allocateDirect(WRITE / WIRE * WIRE);
        for (long p = 0; p < packets; p++) {
            seal(c, k, nonce, p, packet);
            if (gather.remaining() < WIRE) {
                drain(out, gather);
            }
            gather.put(packet);
        }
        drain(out, gather);
    }

    private static void drain(SocketChannel out, ByteBuffer gather) throws IOException {
        gather.flip();
        while (gather.hasRemaining()) {
            out.write(gather);
        }
        gather.clear();
    }

    private static void seal(Cipher c, SecretKeySpec k, byte[] nonce, long p, byte[] packet) throws Exception {
        nonceFor(nonce, p);
        c.init(Cipher.ENCRYPT_MODE, k, new GCMParameterSpec(128, nonce));
        putLength(packet);
        c.updateAAD(packet, 0, 4);
        c.doFinal(packet, 4, PACKET, packet, 4);
    }

    /** The packet length, {@link #PACKET} (4 bytes, big-endian), at the start of {@code packet}. */
    private static void putLength(byte[] packet) {
        packet[0] = 0;
        packet[1] = 0;
        packet[2] = (byte) (PACKET >>> 8);
        packet[3] = (byte) PACKET;
    }

    /** CPU ms per MiB of sealing {@code mib} MiB of packets and nothing else. */
    private static double sealOnly(long mib) throws Exception {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Cipher c = aesGcm();
        SecretKeySpec k = new SecretKeySpec(new byte[16], "AES");
        byte[] nonce = new byte[12];
        byte[] packet = new byte[WIRE];
        long packets = mib * 1024 * 1024 / PACKET;
        long cpu0 = mx.getCurrentThreadCpuTime();
        for (long p = 0; p < packets; p++) {
            seal(c, k, nonce, p, packet);
        }
        return (mx.getCurrentThreadCpuTime() - cpu0) / 1e6 / mib;
    }

    /**
     * CPU ms per MiB of sealing {@code mib} MiB of packets with the chacha20-poly1305@openssh.com cipher our client
     * uses (the JDK's ChaCha20, our Poly1305), and nothing else. The last packet is opened again: a cipher that did
     * not seal fails here.
     */
    static double sealChaChaOnly(long mib) throws Exception {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        byte[] key = new byte[64];
        key[0] = 1;
        org.apache.sshd.common.cipher.Cipher seal = ChaChaPolyCipher.factory().create();
        seal.init(org.apache.sshd.common.cipher.Cipher.Mode.Encrypt, key, new byte[8]);
        byte[] packet = new byte[WIRE];
        long packets = mib * 1024 * 1024 / PACKET;
        long cpu0 = mx.getCurrentThreadCpuTime();
        for (long p = 0; p < packets; p++) {
            Arrays.fill(packet, 0, 4 + PACKET, (byte) p);
            putLength(packet);
            seal.updateAAD(packet, 0, 4);
            seal.update(packet, 4, PACKET);
        }
        long cpu = mx.getCurrentThreadCpuTime() - cpu0;
        org.apache.sshd.common.cipher.Cipher open = ChaChaPolyCipher.factory().create();
        byte[] iv = new byte[8];
        long last = packets - 1;
        for (int i = 0; i < 8; i++) {
            iv[7 - i] = (byte) (last >>> (8 * i));
        }
        open.init(org.apache.sshd.common.cipher.Cipher.Mode.Decrypt, key, iv);
        open.updateAAD(packet, 0, 4);
        open.update(packet, 4, PACKET); // throws if the tag is wrong
        for (int i = 4; i < 4 + PACKET; i++) {
            if (packet[i] != (byte) last) {
                throw new IllegalStateException("chacha20-poly1305 did not give back what it sealed, at byte " + i);
            }
        }
        return cpu / 1e6 / mib;
    }

    private static Cipher aesGcm() throws GeneralSecurityException {
        return Cipher.getInstance("AES/GCM/NoPadding");
    }

    private static void receive(SocketChannel in, byte[] key, long packets, Application app)
            throws IOException, GeneralSecurityException {
        Cipher c = aesGcm();
        SecretKeySpec k = new SecretKeySpec(key, "AES");
        byte[] nonce = new byte[12];
        byte[] packet = new byte[WIRE];
        ByteBuffer read = ByteBuffer.allocateDirect(WRITE);
        int have = 0;
        for (long p = 0; p < packets; ) {
            if (in.read(read) < 0) {
                throw new IOException("the sender stopped after " + p + " of " + packets + " packets");
            }
            read.flip();
            while (read.remaining() >= WIRE - have) {
                int take = WIRE - have;
                read.get(packet, have, take);
                have = 0;
                nonceFor(nonce, p++);
                c.init(Cipher.DECRYPT_MODE, k, new GCMParameterSpec(128, nonce));
                c.updateAAD(packet, 0, 4);
                c.doFinal(packet, 4, PACKET + TAG, packet, 4); // throws if a byte or the tag is wrong
                if (app != null) {
                    app.deliver(Arrays.copyOfRange(packet, 4, 4 + PACKET));
                }
            }
            int rest = read.remaining();
            read.get(packet, have, rest);
            have += rest;
            read.clear();
        }
    }

    /** An application thread reading what the reader delivers, the way a tunnel connection's reader does. */
    private static final class Application {
        private static final byte[] END = new byte[0];
        private final BlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(64);
        private final CompletableFuture<Long> cpu = new CompletableFuture<>();

        Application(ThreadMXBean mx) {
            Thread t = new Thread(() -> {
                long cpu0 = mx.getCurrentThreadCpuTime();
                byte[] into = new byte[64 * 1024];
                long sum = 0;
                try {
                    for (byte[] b; (b = queue.take()) != END; ) {
                        System.arraycopy(b, 0, into, 0, b.length);
                        sum += into[b.length - 1];
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                // the sum is used so that the JIT cannot drop the copies as dead code
                cpu.complete(mx.getCurrentThreadCpuTime() - cpu0 + (sum == Long.MIN_VALUE ? 1 : 0));
            }, "floor-application");
            t.start();
        }

        void deliver(byte[] b) {
            try {
                queue.put(b);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        long finish() {
            deliver(END);
            return cpu.join();
        }
    }

    private static void nonceFor(byte[] nonce, long p) {
        for (int i = 0; i < 8; i++) {
            nonce[11 - i] = (byte) (p >>> (8 * i));
        }
    }
}
