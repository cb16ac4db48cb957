package io.github.sshcontainer.tunnel.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void parsesWhatItWrites() {
        Object v = Json.parse(" {\"a\": [1, 2.5, true, null, \"x\\\"\\n\\u00e9\"], \"b\": {}, \"c\": -3, \"d\": 1e3} ");
        assertEquals(Map.of("a", Arrays.asList(1L, 2.5, true, null, "x\"\n\u00e9"), "b", Map.of(), "c", -3L, "d", 1000.0),
                v);
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("image", "a\"b");
        spec.put("command", List.of("echo", "\n"));
        String text = Json.write(spec);
        assertEquals("{\"image\":\"a\\\"b\",\"command\":[\"echo\",\"\\u000a\"]}", text);
        assertEquals(spec, Json.parse(text));
    }

    @Test
    void badTextIsRefusedSayingWhere() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\":1"));
        assertTrue(e.getMessage().contains("at 6"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Json.parse("[1] x"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("\"open"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\":tru}"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse(""));
    }
}
