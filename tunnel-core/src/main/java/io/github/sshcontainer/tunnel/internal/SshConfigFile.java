package io.github.sshcontainer.tunnel.internal;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.apache.sshd.client.config.hosts.HostConfigEntry;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.common.AttributeRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@code ssh_config} file read the way OpenSSH reads it, as a MINA {@link HostConfigEntryResolver} (so that MINA's
 * ProxyJump resolves every hop through it too).
 *
 * <ul>
 *   <li>{@code Host} patterns ({@code *}, {@code ?}, {@code !negated}, several per line) match the name typed;</li>
 *   <li>{@code Match all}, {@code Match host}, {@code Match originalhost}, {@code Match user} and
 *       {@code Match localuser} are evaluated (criteria may be combined and negated); a block with any other
 *       criterion ({@code exec}, {@code canonical}, {@code final}, ...) is skipped, with one warning naming its line;</li>
 *   <li>{@code Include} (relative to {@code ~/.ssh}, with globs) is read in place, up to 16 levels deep;</li>
 *   <li>for each keyword the first value obtained wins; {@code IdentityFile} accumulates in order;</li>
 *   <li>{@code %} tokens ({@code %d %u %l %h %r %p %n %%}) and {@code ~} are expanded in {@code IdentityFile},
 *       {@code IdentityAgent}, {@code UserKnownHostsFile}, {@code GlobalKnownHostsFile} and {@code ProxyCommand};</li>
 *   <li>unknown keywords are kept as raw properties and otherwise ignored, as OpenSSH would.</li>
 * </ul>
 *
 * <pre>{@code
 * HostConfigEntryResolver config = SshConfigFile.resolver(Path.of(System.getProperty("user.home"), ".ssh/config"));
 * HostConfigEntry e = config.resolveEffectiveHost("build", 0, null, null, null, null);
 * }</pre>
 */
public final class SshConfigFile implements HostConfigEntryResolver {
    private static final Logger LOG = LoggerFactory.getLogger(SshConfigFile.class);
    private static final int MAX_INCLUDE_DEPTH = 16;
    /** Keywords whose values accumulate instead of first-wins. */
    private static final Set<String> MULTI = Set.of("identityfile", "certificatefile", "localforward", "remoteforward",
            "dynamicforward", "sendenv", "setenv");
    /** Keywords whose value gets {@code %} tokens and {@code ~} expanded. */
    private static final Set<String> PATHS = Set.of("identityfile", "identityagent", "userknownhostsfile",
            "globalknownhostsfile", "certificatefile");

    private final Path file;
    private final List<Directive> directives;

    private SshConfigFile(Path file, List<Directive> directives) {
        this.file = file;
        this.directives = directives;
    }

    /** A resolver for {@code file}; {@link HostConfigEntryResolver#EMPTY} when {@code file} is null or missing. */
    public static HostConfigEntryResolver resolver(Path file) throws IOException {
        if (file == null || !Files.exists(file)) {
            return HostConfigEntryResolver.EMPTY;
        }
        return parse(file);
    }

    /**
     * Reads {@code file} and every file it includes.
     *
     * @throws IOException naming the file that cannot be read, or the line that cannot be parsed
     */
    public static SshConfigFile parse(Path file) throws IOException {
        List<Directive> out = new ArrayList<>();
        read(file, List.of(), out, 0);
        return new SshConfigFile(file, List.copyOf(out));
    }

    /** The file this was read from. */
    public Path file() {
        return file;
    }

    // ----------------------------------------------------------------------------------------------- parsing

    /** One keyword line, and the Host/Match conditions (outer Include blocks first) under which it applies. */
    private record Directive(String keyword, List<String> args, Path file, int line, List<Condition> conditions) {
    }

    private static void read(Path file, List<Condition> outer, List<Directive> out, int depth) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IOException("cannot read ssh config " + file + ": " + e.getMessage(), e);
        }
        Condition block = null;
        int lineNo = 0;
        for (String raw : text.split("\r?\n", -1)) {
            lineNo++;
            List<String> words;
            try {
                words = split(raw);
            } catch (IllegalArgumentException e) {
                throw new IOException("cannot parse ssh config " + file + ":" + lineNo + ": " + e.getMessage());
            }
            if (words.isEmpty()) {
                continue;
            }
            String keyword = words.get(0).toLowerCase(Locale.ROOT);
            List<String> args = words.subList(1, words.size());
            if (keyword.equals("host")) {
                if (args.isEmpty()) {
                    throw new IOException("cannot parse ssh config " + file + ":" + lineNo + ": Host needs a pattern");
                }
                block = new HostCondition(List.copyOf(args));
            } else if (keyword.equals("match")) {
                block = MatchCondition.parse(file, lineNo, args);
            } else if (keyword.equals("include")) {
                List<Condition> conditions = with(outer, block);
                for (String pattern : args) {
                    for (Path inc : expandInclude(file, pattern)) {
                        if (depth >= MAX_INCLUDE_DEPTH) {
                            throw new IOException("ssh config " + file + ":" + lineNo + ": Include nested deeper than "
                                    + MAX_INCLUDE_DEPTH + " levels (a loop?)");
                        }
                        read(inc, conditions, out, depth + 1);
                    }
                }
            } else {
                out.add(new Directive(keyword, List.copyOf(args), file, lineNo, with(outer, block)));
            }
        }
    }

    private static List<Condition> with(List<Condition> outer, Condition block) {
        if (block == null) {
            return outer;
        }
        List<Condition> all = new ArrayList<>(outer);
        all.add(block);
        return List.copyOf(all);
    }

    private static List<Path> expandInclude(Path including, String pattern) throws IOException {
        String p = pattern.startsWith("~/") ? System.getProperty("user.home") + pattern.substring(1) : pattern;
        if (Path.of(p).isAbsolute()) {
            return glob(Path.of(p));
        }
        // OpenSSH: relative to ~/.ssh in a user config; then the including file's directory
        List<Path> found = glob(Path.of(System.getProperty("user.home"), ".ssh").resolve(p));
        Path sibling = including.toAbsolutePath().getParent();
        return found.isEmpty() && sibling != null ? glob(sibling.resolve(p)) : found;
    }

    private static List<Path> glob(Path path) throws IOException {
        if (!hasGlob(path.getFileName().toString())) {
            return Files.isRegularFile(path) ? List.of(path) : List.of();
        }
        Path dir = path.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            return List.of();
        }
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, path.getFileName().toString())) {
            for (Path f : ds) {
                if (Files.isRegularFile(f)) {
                    found.add(f);
                }
            }
        }
        Collections.sort(found);
        return found;
    }

    private static boolean hasGlob(String s) {
        return s.indexOf('*') >= 0 || s.indexOf('?') >= 0 || s.indexOf('[') >= 0;
    }

    /** Splits a line into keyword and arguments: whitespace or one {@code =} after the keyword; double quotes group. */
    static List<String> split(String line) {
        List<String> words = new ArrayList<>();
        String s = line.strip();
        if (s.isEmpty() || s.startsWith("#")) {
            return words;
        }
        int i = 0;
        int n = s.length();
        // keyword
        int k = 0;
        while (k < n && !Character.isWhitespace(s.charAt(k)) && s.charAt(k) != '=') {
            k++;
        }
        words.add(s.substring(0, k));
        i = k;
        while (i < n && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        if (i < n && s.charAt(i) == '=') {
            i++;
        }
        StringBuilder cur = null;
        boolean quoted = false;
        for (; i < n; i++) {
            char c = s.charAt(i);
            if (c == '"') {
                quoted = !quoted;
                if (cur == null) {
                    cur = new StringBuilder();
                }
            } else if (!quoted && Character.isWhitespace(c)) {
                if (cur != null) {
                    words.add(cur.toString());
                    cur = null;
                }
            } else if (!quoted && c == '#' && cur == null) {
                break; // trailing comment
            } else {
                if (cur == null) {
                    cur = new StringBuilder();
                }
                cur.append(c);
            }
        }
        if (quoted) {
            throw new IllegalArgumentException("unterminated quote");
        }
        if (cur != null) {
            words.add(cur.toString());
        }
        return words;
    }

    // ------------------------------------------------------------------------------------------- evaluation

    /** What a condition is evaluated against. */
    private static final class State {
        final String originalHost;
        final Map<String, List<String>> values = new LinkedHashMap<>();
        String user;

        State(String originalHost, String user) {
            this.originalHost = originalHost;
            this.user = user;
        }

        String host() {
            List<String> h = values.get("hostname");
            return h == null ? originalHost : h.get(0).replace("%h", originalHost).replace("%%", "%");
        }

        String user() {
            List<String> u = values.get("user");
            return user != null ? user : u == null ? System.getProperty("user.name") : u.get(0);
        }
    }

    private interface Condition {
        boolean matches(State state);
    }

    private record HostCondition(List<String> patterns) implements Condition {
        @Override
        public boolean matches(State state) {
            return patternList(patterns, state.originalHost);
        }
    }

    private record MatchCondition(List<String[]> criteria, boolean unsupported) implements Condition {
        static final Set<String> WITH_ARG = Set.of("host", "originalhost", "user", "localuser", "exec", "localnetwork",
                "tagged", "command", "version", "sessiontype");

        static MatchCondition parse(Path file, int line, List<String> args) throws IOException {
            List<String[]> criteria = new ArrayList<>();
            boolean unsupported = false;
            for (int i = 0; i < args.size(); i++) {
                String c = args.get(i).toLowerCase(Locale.ROOT);
                boolean negated = c.startsWith("!");
                String name = negated ? c.substring(1) : c;
                if (name.equals("all")) {
                    criteria.add(new String[] {negated ? "!all" : "all", ""});
                } else if (name.equals("canonical") || name.equals("final")) {
                    unsupported = true;
                } else if (WITH_ARG.contains(name)) {
                    if (i + 1 >= args.size()) {
                        throw new IOException("cannot parse ssh config " + file + ":" + line + ": Match " + name
                                + " needs an argument");
                    }
                    String arg = args.get(++i);
                    if (Set.of("host", "originalhost", "user", "localuser").contains(name)) {
                        criteria.add(new String[] {c, arg});
                    } else {
                        unsupported = true;
                    }
                } else {
                    unsupported = true;
                }
            }
            if (unsupported) {
                LOG.warn("{}:{}: skipping this Match block: only 'Match all', 'host', 'originalhost', 'user' and "
                        + "'localuser' are evaluated: Match {}", file, line, String.join(" ", args));
            }
            return new MatchCondition(List.copyOf(criteria), unsupported);
        }

        @Override
        public boolean matches(State state) {
            if (unsupported) {
                return false;
            }
            for (String[] c : criteria) {
                boolean negated = c[0].startsWith("!");
                String name = negated ? c[0].substring(1) : c[0];
                boolean m;
                switch (name) {
                    case "all":
                        m = true;
                        break;
                    case "host":
                        m = patternList(List.of(c[1].split(",")), state.host());
                        break;
                    case "originalhost":
                        m = patternList(List.of(c[1].split(",")), state.originalHost);
                        break;
                    case "user":
                        m = patternList(List.of(c[1].split(",")), state.user());
                        break;
                    case "localuser":
                        m = patternList(List.of(c[1].split(",")), System.getProperty("user.name"));
                        break;
                    default:
                        m = false;
                }
                if (m == negated) {
                    return false;
                }
            }
            return true;
        }
    }

    /** OpenSSH's pattern list: some positive pattern matches and no negated one does. */
    static boolean patternList(List<String> patterns, String name) {
        String s = name.toLowerCase(Locale.ROOT);
        boolean positive = false;
        for (String raw : patterns) {
            String p = raw.toLowerCase(Locale.ROOT);
            boolean negated = p.startsWith("!");
            if (glob(negated ? p.substring(1) : p, s)) {
                if (negated) {
                    return false;
                }
                positive = true;
            }
        }
        return positive;
    }

    /** OpenSSH's host pattern match: {@code *} = any run of characters, {@code ?} = exactly one character. */
    public static boolean glob(String pattern, String s) {
        int p = 0;
        int i = 0;
        int starP = -1;
        int starI = 0;
        while (i < s.length()) {
            if (p < pattern.length() && (pattern.charAt(p) == '?' || pattern.charAt(p) == s.charAt(i))) {
                p++;
                i++;
            } else if (p < pattern.length() && pattern.charAt(p) == '*') {
                starP = p++;
                starI = i;
            } else if (starP >= 0) {
                p = starP + 1;
                i = ++starI;
            } else {
                return false;
            }
        }
        while (p < pattern.length() && pattern.charAt(p) == '*') {
            p++;
        }
        return p == pattern.length();
    }

    /**
     * The settings for {@code host} as typed (an alias or a name): keyword (lower case) → values, first value wins,
     * multi-valued keywords accumulated, nothing expanded yet.
     *
     * @param user the user given on the command line or target, or {@code null}: decides {@code Match user}
     */
    public Map<String, List<String>> settings(String host, String user) {
        State state = new State(host, user);
        for (Directive d : directives) {
            boolean applies = true;
            for (Condition c : d.conditions) {
                if (!c.matches(state)) {
                    applies = false;
                    break;
                }
            }
            if (!applies || d.args.isEmpty()) {
                continue;
            }
            if (MULTI.contains(d.keyword)) {
                state.values.computeIfAbsent(d.keyword, k -> new ArrayList<>()).addAll(d.args);
            } else {
                state.values.putIfAbsent(d.keyword, d.args);
            }
        }
        return state.values;
    }

    @Override
    public HostConfigEntry resolveEffectiveHost(String host, int port, SocketAddress localAddress, String username,
            String proxyJump, AttributeRepository context) throws IOException {
        Map<String, List<String>> s = settings(host, username);
        if (s.isEmpty()) {
            return null;
        }
        String hostName = s.containsKey("hostname") ? s.get("hostname").get(0).replace("%h", host).replace("%%", "%")
                : host;
        int effectivePort = port > 0 ? port : s.containsKey("port") ? parsePort(s.get("port").get(0)) : 22;
        String user = username != null && !username.isEmpty() ? username
                : s.containsKey("user") ? s.get("user").get(0) : System.getProperty("user.name");
        HostConfigEntry entry = new HostConfigEntry(host, hostName, effectivePort, user);
        Tokens tokens = new Tokens(host, hostName, effectivePort, user);
        List<String> ids = new ArrayList<>();
        for (String id : s.getOrDefault("identityfile", List.of())) {
            ids.add(tokens.expand(id));
        }
        entry.setIdentities(ids);
        String only = first(s, "identitiesonly");
        entry.setIdentitiesOnly(only != null && only.equalsIgnoreCase("yes"));
        String jump = proxyJump != null && !proxyJump.isEmpty() ? proxyJump : first(s, "proxyjump");
        if (jump != null && !jump.equalsIgnoreCase("none")) {
            entry.setProxyJump(jump);
        }
        for (Map.Entry<String, List<String>> e : s.entrySet()) {
            String k = e.getKey();
            if (Set.of("hostname", "port", "user", "identityfile", "identitiesonly", "proxyjump").contains(k)) {
                continue;
            }
            String value;
            if (k.equals("proxycommand")) {
                value = tokens.expand(String.join(" ", e.getValue()));
            } else if (PATHS.contains(k)) {
                List<String> expanded = new ArrayList<>();
                e.getValue().forEach(v -> expanded.add(tokens.expand(v)));
                value = String.join(" ", expanded);
            } else {
                value = String.join(" ", e.getValue());
            }
            entry.setProperty(canonical(k), value);
        }
        return entry;
    }

    private static final Map<String, String> SPELLING = spelling("IdentityAgent", "ProxyCommand",
            "ServerAliveInterval", "ServerAliveCountMax", "ConnectTimeout", "StrictHostKeyChecking",
            "UserKnownHostsFile", "GlobalKnownHostsFile", "CertificateFile", "HostKeyAlias", "Ciphers");

    private static Map<String, String> spelling(String... names) {
        Map<String, String> m = new java.util.HashMap<>();
        for (String n : names) {
            m.put(n.toLowerCase(Locale.ROOT), n);
        }
        return Map.copyOf(m);
    }

    /** The keyword as OpenSSH's manual spells it (MINA looks some up by that spelling), else as given. */
    private static String canonical(String keyword) {
        return SPELLING.getOrDefault(keyword, keyword);
    }

    private static String first(Map<String, List<String>> s, String key) {
        List<String> v = s.get(key);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    private static int parsePort(String text) throws IOException {
        try {
            int p = Integer.parseInt(text);
            if (p > 0 && p < 65536) {
                return p;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new IOException("ssh config: bad Port '" + text + "'");
    }

    /** OpenSSH's percent tokens and a leading {@code ~}. */
    static final class Tokens {
        private final String originalHost;
        private final String hostName;
        private final int port;
        private final String remoteUser;

        Tokens(String originalHost, String hostName, int port, String remoteUser) {
            this.originalHost = originalHost;
            this.hostName = hostName;
            this.port = port;
            this.remoteUser = remoteUser;
        }

        String expand(String value) {
            String home = System.getProperty("user.home");
            String v = value.startsWith("~/") || value.equals("~") ? home + value.substring(1) : value;
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < v.length(); i++) {
                char c = v.charAt(i);
                if (c != '%' || i + 1 >= v.length()) {
                    sb.append(c);
                    continue;
                }
                char t = v.charAt(++i);
                switch (t) {
                    case '%' -> sb.append('%');
                    case 'd' -> sb.append(home);
                    case 'u' -> sb.append(System.getProperty("user.name"));
                    case 'l' -> sb.append(localHostName());
                    case 'h' -> sb.append(hostName);
                    case 'n' -> sb.append(originalHost);
                    case 'r' -> sb.append(remoteUser);
                    case 'p' -> sb.append(port);
                    default -> sb.append('%').append(t); // unknown token: kept as written
                }
            }
            return sb.toString();
        }

        private static String localHostName() {
            try {
                String h = java.net.InetAddress.getLocalHost().getHostName();
                int dot = h.indexOf('.');
                return dot > 0 ? h.substring(0, dot) : h;
            } catch (IOException e) {
                return "localhost";
            }
        }
    }
}
