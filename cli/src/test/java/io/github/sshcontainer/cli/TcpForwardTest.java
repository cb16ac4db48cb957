package io.github.sshcontainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;

import io.github.sshcontainer.tunnel.RemoteEndpoint;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

/** {@code --tcp [LOCALPORT:]HOST:PORT}: the forms, and usage errors that say what is wrong. */
class TcpForwardTest {

    @Test
    void theForms() {
        assertEquals(new TcpForward(8080, new RemoteEndpoint.TcpAddress("127.0.0.1", 32768)),
                TcpForward.parse("8080:127.0.0.1:32768"));
        assertEquals(new TcpForward(0, new RemoteEndpoint.TcpAddress("db.internal", 5432)),
                TcpForward.parse("db.internal:5432"));
        assertEquals(new TcpForward(8080, new RemoteEndpoint.TcpAddress("::1", 80)), TcpForward.parse("8080:[::1]:80"));
        assertEquals(new TcpForward(0, new RemoteEndpoint.TcpAddress("::1", 80)), TcpForward.parse("[::1]:80"));
        assertEquals(0, TcpForward.parse("0:localhost:80").localPort());
    }

    @Test
    void badFormsSayWhatIsWrong() {
        assertMessage("80", "no :PORT");
        assertMessage("web:http", "remote port 'http' is not a number");
        assertMessage("web:0", "remote port '0' is not a number from 1 to 65535");
        assertMessage("70000:web:80", "local port '70000'");
        assertMessage("x:web:80", "local port 'x'");
        assertMessage("8080::1:80", "an IPv6 host must be in brackets");
        assertMessage("8080:[]:80", "no host");
        assertMessage("8080:::80", "an IPv6 host must be in brackets");
        assertMessage(":80", "no :PORT");
    }

    private static void assertMessage(String text, String part) {
        TypeConversionException e = assertThrows(TypeConversionException.class, () -> TcpForward.parse(text));
        assertTrue(e.getMessage().contains(part), e.getMessage());
        assertTrue(e.getMessage().contains("expected [LOCALPORT:]HOST:PORT"), e.getMessage());
    }

    @Test
    void aBadTcpOptionIsAUsageError() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "forward", "--ssh-config", "none",
                "--tcp", "8080:web", "h");
        assertEquals(2, code);
        assertTrue(err.toString().contains("'8080:web': remote port 'web'"), err.toString());
        assertEquals("", out.toString());
    }
}
