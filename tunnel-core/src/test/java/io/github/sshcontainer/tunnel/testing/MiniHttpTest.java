package io.github.sshcontainer.tunnel.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class MiniHttpTest {

    static ByteArrayInputStream bytes(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void sendsAnHttp11RequestWithHostAndReadsContentLengthBodies() throws IOException {
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        MiniHttp http = MiniHttp.over(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nApi-Version: 1.41\r\n\r\nOK"
                + "HTTP/1.1 404 Not Found\r\ncontent-length: 5\r\n\r\nnope\n"), sent);
        MiniHttp.Response first = http.get("/_ping");
        assertEquals("GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n", sent.toString(StandardCharsets.US_ASCII));
        assertEquals(200, first.status());
        assertEquals("OK", first.reason());
        assertEquals("OK", first.bodyText());
        assertEquals("1.41", first.header("API-VERSION").orElseThrow());
        MiniHttp.Response second = http.get("/nothing");
        assertEquals(404, second.status());
        assertEquals("nope\n", second.bodyText());
    }

    @Test
    void chunkedBodiesWithExtensionsAndTrailersThenTheNextResponse() throws IOException {
        String chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "4\r\n{\"Ap\r\n" + "1a;ext=1\r\niVersion\":\"1.41\",\"Os\":\"l\"}\r\n" + "0\r\nX-Trailer: t\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        MiniHttp http = MiniHttp.over(bytes(chunked), new ByteArrayOutputStream());
        assertEquals("{\"ApiVersion\":\"1.41\",\"Os\":\"l\"}", http.get("/version").bodyText());
        assertEquals(0, http.get("/x").body().length);
    }

    @Test
    void interimResponsesAreSkippedAndBodylessStatusesHaveNoBody() throws IOException {
        MiniHttp http = MiniHttp.over(bytes("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"), new ByteArrayOutputStream());
        assertEquals(204, http.request("POST", "/x", Map.of(), new byte[] {1}).status());
        assertEquals("abc", http.get("/y").bodyText());
    }

    @Test
    void withoutLengthTheBodyEndsWithTheConnection() throws IOException {
        MiniHttp.Response r = MiniHttp.readResponse(bytes("HTTP/1.0 200 OK\nX: a\nX: b\n\nuntil the end"), false);
        assertEquals("until the end", r.bodyText());
        assertEquals(List.of("a", "b"), r.headers().get("x"));
    }

    @Test
    void truncatedOrMalformedResponsesAreErrors() {
        assertThrows(EOFException.class, () -> MiniHttp.readResponse(bytes(""), false));
        assertThrows(EOFException.class,
                () -> MiniHttp.readResponse(bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc"), false));
        assertThrows(EOFException.class,
                () -> MiniHttp.readResponse(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"), false));
        assertThrows(IOException.class, () -> MiniHttp.readResponse(bytes("SSH-2.0-OpenSSH_9.2\r\n"), false));
        assertThrows(IOException.class,
                () -> MiniHttp.readResponse(bytes("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"), false));
    }
}
