package io.github.sshcontainer.tunnel.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import io.github.sshcontainer.tunnel.RemoteEndpoint;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.junit.jupiter.api.Test;

class OpenPayloadTest {

    private static byte[] encode(RemoteEndpoint e) {
        ByteArrayBuffer b = new ByteArrayBuffer();
        OpenPayload.write(e, b);
        return Arrays.copyOfRange(b.array(), b.rpos(), b.wpos());
    }

    /** Written by hand from OpenSSH PROTOCOL §2.4: string path, string reserved, uint32 reserved. */
    @Test
    void streamLocalPayloadIsPathEmptyStringAndZero() throws IOException {
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(expected);
        byte[] path = "/var/run/docker.sock".getBytes(StandardCharsets.UTF_8);
        out.writeInt(path.length);
        out.write(path);
        out.writeInt(0);
        out.writeInt(0);
        assertArrayEquals(expected.toByteArray(), encode(RemoteEndpoint.unixSocket("/var/run/docker.sock")));
    }

    /** RFC 4254 §7.2: string host, uint32 port, string originator address, uint32 originator port. */
    @Test
    void directTcpipPayloadIsHostPortOriginator() throws IOException {
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(expected);
        out.writeInt(9);
        out.write("localhost".getBytes(StandardCharsets.US_ASCII));
        out.writeInt(8080);
        out.writeInt(9);
        out.write("127.0.0.1".getBytes(StandardCharsets.US_ASCII));
        out.writeInt(0);
        assertArrayEquals(expected.toByteArray(), encode(RemoteEndpoint.tcp("localhost", 8080)));
    }

    @Test
    void endpointsRejectWhatCannotWork() {
        assertThrows(IllegalArgumentException.class, () -> RemoteEndpoint.unixSocket("docker.sock"));
        assertThrows(IllegalArgumentException.class, () -> RemoteEndpoint.unixSocket("/a\nb"));
        assertThrows(IllegalArgumentException.class, () -> RemoteEndpoint.tcp("h", 0));
        assertThrows(IllegalArgumentException.class, () -> RemoteEndpoint.tcp(" ", 80));
    }
}
