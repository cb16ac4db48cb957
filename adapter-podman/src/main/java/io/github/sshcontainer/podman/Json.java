package io.github.sshcontainer.podman;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Podman's JSON: reading fields out of its answers, on the project's own parser and writer
 * ({@link io.github.sshcontainer.tunnel.internal.Json}).
 */
final class Json {
    private Json() {
    }

    /** @throws IllegalArgumentException for text that is not one JSON value */
    static Object parse(String text) {
        return io.github.sshcontainer.tunnel.internal.Json.parse(text);
    }

    /** {@code value} (a Map, Collection, String, Number, Boolean or null) as JSON text. */
    static String write(Object value) {
        return io.github.sshcontainer.tunnel.internal.Json.write(value);
    }

    /** The object {@code text}, or an empty map when it is not a JSON object. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> object(String text) {
        try {
            Object v = parse(text);
            return v instanceof Map ? (Map<String, Object>) v : Map.of();
        } catch (IllegalArgumentException e) {
            return Map.of();
        }
    }

    /** {@code map.get(key)} as a string (numbers and booleans as written), or {@code null}. */
    static String string(Map<?, ?> map, String key) {
        Object v = map == null ? null : map.get(key);
        return v == null || v instanceof Map || v instanceof List ? null : v.toString();
    }

    /** {@code map.get(key)} when it is an object, else an empty map. */
    static Map<?, ?> map(Map<?, ?> map, String key) {
        Object v = map == null ? null : map.get(key);
        return v instanceof Map ? (Map<?, ?>) v : Map.of();
    }

    /** {@code map.get(key)} when it is an array: its elements that are not objects or arrays, as strings. */
    static List<String> strings(Map<?, ?> map, String key) {
        Object v = map == null ? null : map.get(key);
        List<String> out = new ArrayList<>();
        if (v instanceof List) {
            for (Object o : (List<?>) v) {
                if (o != null && !(o instanceof Map) && !(o instanceof List)) {
                    out.add(o.toString());
                }
            }
        }
        return out;
    }

    /** {@code map.get(key)} as a whole number, or 0 when it is missing or not a number. */
    static long number(Map<?, ?> map, String key) {
        Object v = map == null ? null : map.get(key);
        return v instanceof Number ? ((Number) v).longValue() : 0;
    }

    /** The elements of the JSON array {@code text} that are objects; an empty list for anything else. */
    static List<Map<?, ?>> objects(String text) {
        List<Map<?, ?>> out = new ArrayList<>();
        Object v;
        try {
            v = parse(text);
        } catch (IllegalArgumentException e) {
            return out;
        }
        if (v instanceof List) {
            for (Object o : (List<?>) v) {
                if (o instanceof Map) {
                    out.add((Map<?, ?>) o);
                }
            }
        }
        return out;
    }
}
