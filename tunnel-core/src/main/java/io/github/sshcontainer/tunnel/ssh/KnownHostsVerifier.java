package io.github.sshcontainer.tunnel.ssh;

import io.github.sshcontainer.tunnel.HostKeyException;
import io.github.sshcontainer.tunnel.HostKeyPolicy;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import io.github.sshcontainer.tunnel.internal.SshConfigFile;
import org.apache.sshd.client.keyverifier.ServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.apache.sshd.common.util.net.SshdSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks an SSH server's host key against OpenSSH {@code known_hosts} files, the way {@code ssh} does with
 * {@code StrictHostKeyChecking yes}, {@code accept-new} or {@code no} ({@link HostKeyPolicy}).
 *
 * <p>Understands plain host names, {@code [host]:port}, hashed names ({@code |1|salt|hash}), the wildcards
 * {@code *} and {@code ?}, negated patterns ({@code !pattern}) and {@code @revoked} lines, and {@code @cert-authority} lines:
 * a host certificate (which MINA has already checked: CA signature, host type, validity, principal against the
 * connect address) is accepted when a {@code @cert-authority} line for the host holds its CA key; otherwise the
 * certified key is judged as a plain key, as OpenSSH does. Malformed lines are skipped with a
 * warning naming the file and line; they never invalidate the rest of the file. Files are re-read when their
 * modification time or size changes, so edits take effect on the next connection.
 *
 * <p>Decision, for the key the server offered:
 * <ul>
 *   <li>the key is listed {@code @revoked} for the host: refused under every policy, {@code INSECURE} included;</li>
 *   <li>a line for the host has this key: accepted;</li>
 *   <li>a line for the host has a different key of the same type: refused ("REMOTE HOST IDENTIFICATION HAS
 *       CHANGED") under {@code STRICT} and {@code ACCEPT_NEW}, accepted with a warning under {@code INSECURE};</li>
 *   <li>otherwise the key is unknown: refused under {@code STRICT}; appended (unhashed) to the writable file under
 *       {@code ACCEPT_NEW}; accepted with a warning under {@code INSECURE}.</li>
 * </ul>
 *
 * <p>MINA only learns {@code false} from a refusal and reports a generic "Server key did not validate"; the
 * {@link HostKeyException} explaining why is stored on the session, see {@link #failureOf(ClientSession)}.
 *
 * <p>The name looked up is {@link #HOST_KEY_ALIAS} if set on the session (or in the connect context), otherwise
 * the host string of the address MINA hands to the verifier (never reverse-resolved); it is {@code host} for port
 * 22 and {@code [host]:port} otherwise. With MINA's built-in ProxyJump that address is already the target's
 * {@code HostName:Port} (MINA substitutes {@code ClientSessionCreator.TARGET_SERVER} for the loopback forward), and
 * each jump host is checked under its own name.
 *
 * <pre>{@code
 * KnownHostsVerifier verifier = KnownHostsVerifier.forUser(HostKeyPolicy.ACCEPT_NEW);
 * client.setServerKeyVerifier(verifier);
 * ClientSession session = client.connect(hostConfigEntry, null, null).verify(timeout).getSession();
 * try {
 *     session.auth().verify(timeout);
 * } catch (IOException e) {
 *     Optional<HostKeyException> hostKey = KnownHostsVerifier.failureOf(session);
 *     if (hostKey.isPresent()) {
 *         throw hostKey.get();     // says which host, which key, and what to do
 *     }
 *     throw e;
 * }
 * }</pre>
 */
public final class KnownHostsVerifier implements ServerKeyVerifier {

    /**
     * The host (and port) whose {@code known_hosts} entries the server key is checked against, like OpenSSH's
     * {@code HostKeyAlias}. Read from the session's own attributes, then from the connect context given to
     * {@code SshClient.connect(..., AttributeRepository context, ...)} — MINA 2.20 keeps that context apart from the
     * session attributes, so both places are looked at. Note that MINA's built-in ProxyJump hands the same connect
     * context to every jump host, so do not put a target alias in the context of a connection with ProxyJump.
     */
    public static final AttributeKey<HostAndPort> HOST_KEY_ALIAS = new AttributeKey<>();

    /**
     * Why the host key on this session was refused; set just before the verifier returns {@code false}. MINA 2.20
     * clears all session attributes once the (refused, hence closing) session has closed, so read it with
     * {@link #failureOf(ClientSession)}, which also remembers it beyond that point.
     */
    public static final AttributeKey<HostKeyException> HOST_KEY_FAILURE = new AttributeKey<>();

    /**
     * Where an accepted key was found, set on the session when the verifier accepts: e.g.
     * {@code /home/me/.ssh/known_hosts:12} or {@code @cert-authority /etc/ssh/ssh_known_hosts:3}; or how it was
     * accepted ({@code added to FILE}, {@code accepted without verification}). For diagnostics.
     */
    public static final AttributeKey<String> HOST_KEY_SOURCE = new AttributeKey<>();

    /** How an accepted key was accepted. */
    public enum Outcome {
        /** A {@code known_hosts} line for the host has this key. */
        KNOWN,
        /** The key was unknown and has been appended to the writable file ({@link HostKeyPolicy#ACCEPT_NEW}). */
        ADDED,
        /** The key was unknown, appending it failed (logged); accepted for this connection only, like OpenSSH. */
        ADDED_NOT_SAVED,
        /** The key was unknown or changed and accepted anyway ({@link HostKeyPolicy#INSECURE}, logged). */
        ACCEPTED_INSECURE
    }

    private static final Logger LOG = LoggerFactory.getLogger(KnownHostsVerifier.class);

    /** Refusals by session, kept after MINA has cleared the closed session's attributes; weak keys (identity). */
    private static final Map<ClientSession, HostKeyException> FAILURES =
            Collections.synchronizedMap(new WeakHashMap<>());

    /** Serialises appends within this JVM (several connections may meet the same new host at once). */
    private static final Object WRITE_LOCK = new Object();

    private static final Pattern IPV6_LITERAL = Pattern.compile("[0-9A-Fa-f:.]+");
    private static final Pattern WHITESPACE = Pattern.compile("[ \t]+");
    private static final int SHA1_LENGTH = 20;

    private final List<Path> files;
    private final Path writableFile;
    private final HostKeyPolicy policy;
    private final ConcurrentMap<Path, ParsedFile> cache = new ConcurrentHashMap<>();

    /**
     * @param files the {@code known_hosts} files to read, in order; missing ones are ignored
     * @param writableFile where {@link HostKeyPolicy#ACCEPT_NEW} appends new keys (created 0600, its directory
     *        0700, if missing); it is also read, even if not in {@code files}. May be {@code null} unless the policy
     *        is {@code ACCEPT_NEW}
     * @param policy what to do with unknown and changed keys
     */
    public KnownHostsVerifier(List<Path> files, Path writableFile, HostKeyPolicy policy) {
        this.policy = Objects.requireNonNull(policy, "policy");
        if (writableFile == null && policy == HostKeyPolicy.ACCEPT_NEW) {
            throw new IllegalArgumentException("host key policy accept-new needs a writable known_hosts file");
        }
        List<Path> all = new ArrayList<>();
        for (Path f : Objects.requireNonNull(files, "files")) {
            Path p = Objects.requireNonNull(f, "files contains null").toAbsolutePath().normalize();
            if (!all.contains(p)) {
                all.add(p);
            }
        }
        this.writableFile = writableFile == null ? null : writableFile.toAbsolutePath().normalize();
        if (this.writableFile != null && !all.contains(this.writableFile)) {
            all.add(0, this.writableFile);
        }
        this.files = List.copyOf(all);
    }

    /**
     * OpenSSH's defaults: reads {@code ~/.ssh/known_hosts}, {@code ~/.ssh/known_hosts2},
     * {@code /etc/ssh/ssh_known_hosts} and {@code /etc/ssh/ssh_known_hosts2}; writes {@code ~/.ssh/known_hosts}.
     */
    public static KnownHostsVerifier forUser(HostKeyPolicy policy) {
        Path ssh = Path.of(System.getProperty("user.home"), ".ssh");
        Path user = ssh.resolve("known_hosts");
        return new KnownHostsVerifier(
                List.of(user, ssh.resolve("known_hosts2"),
                        Path.of("/etc/ssh/ssh_known_hosts"), Path.of("/etc/ssh/ssh_known_hosts2")),
                user, policy);
    }

    /** The files read, in order (the writable file included). */
    public List<Path> files() {
        return files;
    }

    /** The file {@link HostKeyPolicy#ACCEPT_NEW} appends to, or {@code null}. */
    public Path writableFile() {
        return writableFile;
    }

    public HostKeyPolicy policy() {
        return policy;
    }

    /**
     * MINA's hook: checks {@code serverKey} for the host named by {@link #targetOf(ClientSession, SocketAddress)}.
     * On refusal the reason is stored under {@link #HOST_KEY_FAILURE} and {@code false} is returned. Never throws.
     */
    @Override
    public boolean verifyServerKey(ClientSession session, SocketAddress remoteAddress, PublicKey serverKey) {
        String name = String.valueOf(remoteAddress);
        try {
            HostAndPort target = targetOf(session, remoteAddress);
            name = target.lookupName();
            Accepted accepted = check(target, serverKey);
            if (session != null) {
                session.setAttribute(HOST_KEY_SOURCE, accepted.source);
            }
            return true;
        } catch (HostKeyException e) {
            recordFailure(session, e);
        } catch (RuntimeException e) {
            // fail closed, but with a message
            HostKeyException failure = new HostKeyException("could not check the host key of " + name + ": " + e,
                    name, keyTypeOf(serverKey), fingerprintOf(serverKey));
            failure.initCause(e);
            recordFailure(session, failure);
        }
        return false;
    }

    /**
     * The reason the host key of this session was refused by a {@code KnownHostsVerifier}, if it was. Works after
     * the session has closed, too.
     */
    public static Optional<HostKeyException> failureOf(ClientSession session) {
        if (session == null) {
            return Optional.empty();
        }
        HostKeyException failure = session.getAttribute(HOST_KEY_FAILURE);
        return Optional.ofNullable(failure != null ? failure : FAILURES.get(session));
    }

    /**
     * The host whose entries are checked: {@link #HOST_KEY_ALIAS} from the session's attributes or its connect
     * context, else the host string (no reverse lookup) and port of {@code remoteAddress}.
     *
     * @throws IllegalArgumentException if no host name can be derived
     */
    public static HostAndPort targetOf(ClientSession session, SocketAddress remoteAddress) {
        if (session != null) {
            HostAndPort alias = session.getAttribute(HOST_KEY_ALIAS);
            if (alias == null) {
                AttributeRepository context = session.getConnectionContext();
                alias = context == null ? null : context.getAttribute(HOST_KEY_ALIAS);
            }
            if (alias != null) {
                return alias;
            }
        }
        if (remoteAddress instanceof InetSocketAddress) {
            InetSocketAddress isa = (InetSocketAddress) remoteAddress;
            return new HostAndPort(canonicalAddress(isa.getHostString()), isa.getPort());
        }
        if (remoteAddress instanceof SshdSocketAddress) {
            SshdSocketAddress ssa = (SshdSocketAddress) remoteAddress;
            return new HostAndPort(canonicalAddress(ssa.getHostName()), ssa.getPort());
        }
        throw new IllegalArgumentException("cannot tell the host name from the address " + remoteAddress);
    }

    /**
     * The core check, without a session.
     *
     * @return how the key was accepted
     * @throws HostKeyException if the key is refused: revoked, changed (unless {@code INSECURE}) or unknown under
     *         {@code STRICT}
     */
    public Outcome verify(HostAndPort target, PublicKey serverKey) throws HostKeyException {
        return check(target, serverKey).outcome;
    }

    /** An accepted key: how, and where it was found. */
    private record Accepted(Outcome outcome, String source) {
    }

    private Accepted check(HostAndPort target, PublicKey serverKey) throws HostKeyException {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(serverKey, "serverKey");
        PublicKey key = serverKey;
        if (serverKey instanceof OpenSshCertificate) {
            OpenSshCertificate cert = (OpenSshCertificate) serverKey;
            Entry ca = trustedAuthority(target, cert);
            if (ca != null) {
                LOG.debug("host certificate {} for {} signed by the CA at {}:{}", cert.getId(), target.lookupName(),
                        ca.file, ca.line);
                return new Accepted(Outcome.KNOWN, "@cert-authority " + ca.file + ":" + ca.line);
            }
            key = cert.getCertPubKey(); // no CA vouches for it: judge the certified key as a plain key
        }
        Offered offered = new Offered(target, key);
        Decision decision = decide(offered);
        switch (decision.kind) {
            case REVOKED:
                throw revoked(offered, decision.entry);
            case KNOWN:
                LOG.debug("host key {} {} for {} found in {}:{}", offered.type, offered.fingerprint, offered.name,
                        decision.entry.file, decision.entry.line);
                return new Accepted(Outcome.KNOWN, decision.entry.file + ":" + decision.entry.line);
            case CHANGED:
                if (policy == HostKeyPolicy.INSECURE) {
                    LOG.warn("host key policy insecure: accepting {} key {} for {} although known_hosts ({}:{}) has "
                            + "a different key", offered.type, offered.fingerprint, offered.name,
                            decision.entry.file, decision.entry.line);
                    return new Accepted(Outcome.ACCEPTED_INSECURE, "accepted without verification (changed key)");
                }
                throw changed(offered, decision.entry);
            case UNKNOWN:
            default:
                Outcome o = unknown(offered, decision);
                return new Accepted(o, o == Outcome.ADDED ? "added to " + writableFile
                        : o == Outcome.ADDED_NOT_SAVED ? "accepted, not saved" : "accepted without verification");
        }
    }

    /**
     * The {@code @cert-authority} line for the host that holds the certificate's CA key, if the certificate is a
     * valid host certificate for the host.
     *
     * @throws HostKeyException if the certified key or the CA key is {@code @revoked}
     */
    private Entry trustedAuthority(HostAndPort target, OpenSshCertificate cert) throws HostKeyException {
        String name = target.lookupName();
        PublicKey caKey = cert.getCaPubKey();
        Entry found = null;
        for (Path file : files) {
            for (Entry e : load(file).entries) {
                if (e.revoked && (KeyUtils.compareKeys(e.key, caKey) || KeyUtils.compareKeys(e.key,
                        cert.getCertPubKey()))) {
                    throw revoked(new Offered(target, cert.getCertPubKey()), e);
                }
                if (found == null && e.certAuthority && e.hosts.matches(name) && KeyUtils.compareKeys(e.key, caKey)) {
                    found = e;
                }
            }
        }
        if (found == null) {
            return null;
        }
        boolean principal = cert.getPrincipals() == null || cert.getPrincipals().isEmpty()
                || cert.getPrincipals().stream().anyMatch(p -> p.equalsIgnoreCase(target.host()));
        if (cert.getType() != OpenSshCertificate.Type.HOST || !OpenSshCertificate.isValidNow(cert) || !principal) {
            LOG.warn("host certificate {} for {} is signed by a trusted CA ({}:{}) but is not valid for this host "
                    + "now (type {}, principals {}); judging the plain key instead", cert.getId(), name, found.file,
                    found.line, cert.getType(), cert.getPrincipals());
            return null;
        }
        return found;
    }

    /**
     * The key types {@code known_hosts} lists for a host (revoked lines excluded), in file order. A caller can put
     * these first in the host key algorithm proposal, as OpenSSH does, so that a host known only by, say, its ECDSA
     * key is not refused as unknown because the server preferred to offer Ed25519.
     */
    public List<String> knownKeyTypes(HostAndPort target) {
        String name = Objects.requireNonNull(target, "target").lookupName();
        Set<String> types = new LinkedHashSet<>();
        for (Path file : files) {
            for (Entry e : load(file).entries) {
                if (!e.revoked && !e.certAuthority && e.hosts.matches(name)) {
                    types.add(e.keyType);
                }
            }
        }
        return List.copyOf(types);
    }

    // ---------------------------------------------------------------------------------------------------------
    // decision

    private enum Kind { REVOKED, KNOWN, CHANGED, UNKNOWN }

    private static final class Decision {
        final Kind kind;
        final Entry entry;
        final List<Entry> otherTypes;

        Decision(Kind kind, Entry entry, List<Entry> otherTypes) {
            this.kind = kind;
            this.entry = entry;
            this.otherTypes = otherTypes;
        }
    }

    /** The key the server offered, with the names used in messages. */
    private static final class Offered {
        final HostAndPort target;
        final String name;
        final PublicKey key;
        final String type;
        final String fingerprint;
        final byte[] blob;

        Offered(HostAndPort target, PublicKey key) {
            this.target = target;
            this.name = target.lookupName();
            this.key = key;
            this.type = keyTypeOf(key);
            this.fingerprint = fingerprintOf(key);
            this.blob = encode(key);
        }
    }

    private Decision decide(Offered offered) {
        List<Entry> matching = new ArrayList<>();
        for (Path file : files) {
            for (Entry e : load(file).entries) {
                if (!e.certAuthority && e.hosts.matches(offered.name)) {
                    matching.add(e);
                }
            }
        }
        for (Entry e : matching) {
            if (e.revoked && e.sameKey(offered)) {
                return new Decision(Kind.REVOKED, e, List.of());
            }
        }
        Entry changed = null;
        List<Entry> otherTypes = new ArrayList<>();
        for (Entry e : matching) {
            if (e.revoked) {
                continue;
            }
            if (e.sameKey(offered)) {
                return new Decision(Kind.KNOWN, e, List.of());
            }
            if (e.keyType.equals(offered.type)) {
                if (changed == null) {
                    changed = e;
                }
            } else {
                otherTypes.add(e);
            }
        }
        if (changed != null) {
            return new Decision(Kind.CHANGED, changed, List.of());
        }
        return new Decision(Kind.UNKNOWN, null, otherTypes);
    }

    private Outcome unknown(Offered offered, Decision decision) throws HostKeyException {
        switch (policy) {
            case INSECURE:
                LOG.warn("host key policy insecure: accepting unverified {} key {} for {}", offered.type,
                        offered.fingerprint, offered.name);
                return Outcome.ACCEPTED_INSECURE;
            case ACCEPT_NEW:
                return addNew(offered);
            case STRICT:
            default:
                throw notKnown(offered, decision.otherTypes);
        }
    }

    private Outcome addNew(Offered offered) throws HostKeyException {
        synchronized (WRITE_LOCK) {
            // another connection may have added it (or something else) meanwhile
            cache.remove(writableFile);
            Decision again = decide(offered);
            switch (again.kind) {
                case REVOKED:
                    throw revoked(offered, again.entry);
                case CHANGED:
                    throw changed(offered, again.entry);
                case KNOWN:
                    return Outcome.KNOWN;
                default:
                    break;
            }
            String line = offered.name + " " + offered.type + " " + Base64.getEncoder().encodeToString(offered.blob);
            try {
                append(writableFile, line);
            } catch (IOException | RuntimeException e) {
                LOG.warn("Failed to add the host key for {} ({} {}) to {}: {}; accepting it for this connection only",
                        offered.name, offered.type, offered.fingerprint, writableFile, e.toString());
                return Outcome.ADDED_NOT_SAVED;
            } finally {
                cache.remove(writableFile);
            }
            LOG.info("Permanently added '{}' ({} {}) to the list of known hosts ({})", offered.name, offered.type,
                    offered.fingerprint, writableFile);
            return Outcome.ADDED;
        }
    }

    private static void append(Path file, String line) throws IOException {
        Path dir = file.getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            setPermissions(dir, "rwx------");
        }
        if (!Files.exists(file)) {
            try {
                Files.createFile(file);
                setPermissions(file, "rw-------");
            } catch (FileAlreadyExistsException raced) {
                // created meanwhile: fine
            }
        }
        StringBuilder text = new StringBuilder();
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = in.size();
            if (size > 0) {
                ByteBuffer last = ByteBuffer.allocate(1);
                in.read(last, size - 1);
                if (last.get(0) != '\n') {
                    text.append('\n'); // don't glue our line to an unterminated last line
                }
            }
        }
        text.append(line).append('\n');
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ByteBuffer bytes = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) {
                out.write(bytes);
            }
            out.force(false);
        }
    }

    private static void setPermissions(Path path, String perms) throws IOException {
        try {
            Set<PosixFilePermission> set = PosixFilePermissions.fromString(perms);
            Files.setPosixFilePermissions(path, set);
        } catch (UnsupportedOperationException notPosix) {
            // e.g. Windows: the user profile's ACLs apply
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // messages

    private static HostKeyException revoked(Offered o, Entry e) {
        return new HostKeyException("host key for " + o.name + " is REVOKED: the server offered " + o.type + " key "
                + o.fingerprint + ", which is marked @revoked in " + e.file + ":" + e.line + "; refusing to connect",
                o.name, o.type, o.fingerprint);
    }

    private HostKeyException changed(Offered o, Entry e) {
        String fileOption = e.file.equals(defaultUserFile()) ? "" : " -f " + shellQuote(e.file.toString());
        return new HostKeyException("REMOTE HOST IDENTIFICATION HAS CHANGED for " + o.name + ": server offered "
                + o.type + " key " + o.fingerprint + ", known_hosts (" + e.file + ":" + e.line + ") has a different "
                + "key. Someone could be eavesdropping on you (man-in-the-middle attack), or the host key has just "
                + "been changed. If this change is expected, remove the old entry with: ssh-keygen -R "
                + shellQuote(o.name) + fileOption, o.name, o.type, o.fingerprint);
    }

    private HostKeyException notKnown(Offered o, List<Entry> otherTypes) {
        StringBuilder m = new StringBuilder("host key for ").append(o.name).append(" is not known (").append(o.type)
                .append(' ').append(o.fingerprint).append(')');
        if (!otherTypes.isEmpty()) {
            Set<String> where = new LinkedHashSet<>();
            for (Entry e : otherTypes) {
                where.add(e.keyType + " at " + e.file + ":" + e.line);
            }
            m.append(" (known_hosts only has other key types for this host: ").append(String.join(", ", where))
                    .append(')');
        }
        String port = o.target.port() == HostAndPort.DEFAULT_PORT || o.target.port() == 0
                ? "" : "-p " + o.target.port() + " ";
        m.append("; files consulted: ").append(consulted());
        String file = writableFile == null ? "~/.ssh/known_hosts" : displayPath(writableFile);
        m.append("; verify the fingerprint and add it with: ssh-keyscan ").append(port).append(o.target.host())
                .append(" >> ").append(file).append(", or use host key policy accept-new");
        return new HostKeyException(m.toString(), o.name, o.type, o.fingerprint);
    }

    /** The files read, each marked when missing: {@code ~/.ssh/known_hosts, /etc/ssh/ssh_known_hosts (missing)}. */
    private String consulted() {
        if (files.isEmpty()) {
            return "none";
        }
        List<String> names = new ArrayList<>();
        for (Path f : files) {
            names.add(displayPath(f) + (Files.isRegularFile(f) ? "" : " (missing)"));
        }
        return String.join(", ", names);
    }

    private static Path defaultUserFile() {
        return Path.of(System.getProperty("user.home"), ".ssh", "known_hosts").toAbsolutePath().normalize();
    }

    private static String displayPath(Path p) {
        Path home = Path.of(System.getProperty("user.home")).toAbsolutePath().normalize();
        if (p.startsWith(home) && !p.equals(home)) {
            return "~/" + home.relativize(p).toString().replace('\\', '/');
        }
        return p.toString();
    }

    private static String shellQuote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private static void recordFailure(ClientSession session, HostKeyException e) {
        LOG.debug("refusing host key: {}", e.getMessage());
        if (session != null) {
            FAILURES.put(session, e);
            session.setAttribute(HOST_KEY_FAILURE, e);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // keys

    private static String keyTypeOf(PublicKey key) {
        String type = key == null ? null : KeyUtils.getKeyType(key);
        return type == null ? (key == null ? "unknown" : key.getAlgorithm()) : type;
    }

    private static String fingerprintOf(PublicKey key) {
        try {
            return key == null ? "" : KeyUtils.getFingerPrint(key);
        } catch (RuntimeException e) {
            return "";
        }
    }

    /** The key in SSH wire format (what {@code known_hosts} holds base64-encoded). */
    private static byte[] encode(PublicKey key) {
        ByteArrayBuffer buf = new ByteArrayBuffer();
        buf.putRawPublicKey(key);
        return buf.getCompactData();
    }

    // ---------------------------------------------------------------------------------------------------------
    // parsing

    private static final class Entry {
        final Path file;
        final int line;
        final boolean revoked;
        final boolean certAuthority;
        final HostMatcher hosts;
        final String keyType;
        final PublicKey key;
        final byte[] blob;

        Entry(Path file, int line, boolean revoked, boolean certAuthority, HostMatcher hosts, String keyType,
                PublicKey key, byte[] blob) {
            this.file = file;
            this.line = line;
            this.revoked = revoked;
            this.certAuthority = certAuthority;
            this.hosts = hosts;
            this.keyType = keyType;
            this.key = key;
            this.blob = blob;
        }

        boolean sameKey(Offered o) {
            return Arrays.equals(blob, o.blob) || KeyUtils.compareKeys(key, o.key);
        }
    }

    /** A parsed file and the attributes it was parsed at. */
    private static final class ParsedFile {
        static final ParsedFile NONE = new ParsedFile(null, -1, null, List.of());

        final FileTime modified;
        final long size;
        final Object fileKey;
        final List<Entry> entries;

        ParsedFile(FileTime modified, long size, Object fileKey, List<Entry> entries) {
            this.modified = modified;
            this.size = size;
            this.fileKey = fileKey;
            this.entries = entries;
        }

        boolean isCurrent(BasicFileAttributes attrs) {
            return attrs.lastModifiedTime().equals(modified) && attrs.size() == size
                    && Objects.equals(attrs.fileKey(), fileKey);
        }
    }

    private ParsedFile load(Path file) {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException missing) {
            cache.remove(file);
            return ParsedFile.NONE;
        } catch (IOException e) {
            LOG.debug("cannot stat known hosts file {}: {}", file, e.toString());
            return ParsedFile.NONE;
        }
        if (!attrs.isRegularFile()) {
            return ParsedFile.NONE;
        }
        ParsedFile cached = cache.get(file);
        if (cached != null && cached.isCurrent(attrs)) {
            return cached;
        }
        List<Entry> entries;
        try {
            entries = parse(file, Files.readAllBytes(file));
        } catch (IOException e) {
            LOG.warn("cannot read known hosts file {}: {}", file, e.toString());
            entries = List.of();
        }
        ParsedFile parsed = new ParsedFile(attrs.lastModifiedTime(), attrs.size(), attrs.fileKey(), entries);
        cache.put(file, parsed);
        return parsed;
    }

    private static List<Entry> parse(Path file, byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8); // malformed bytes become U+FFFD, never an error
        String[] lines = text.split("\n", -1);
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < lines.length; i++) {
            int lineNo = i + 1;
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] fields = WHITESPACE.split(line);
            int f = 0;
            boolean revoked = false;
            boolean certAuthority = false;
            if (fields[0].startsWith("@")) {
                if (fields[0].equals("@revoked")) {
                    revoked = true;
                } else if (fields[0].equals("@cert-authority")) {
                    certAuthority = true;
                } else {
                    malformed(file, lineNo, "unknown marker " + fields[0]);
                    continue;
                }
                f = 1;
            }
            if (fields.length < f + 3) {
                malformed(file, lineNo, "expected hosts, key type and key");
                continue;
            }
            String hostField = fields[f];
            String type = fields[f + 1];
            String base64 = fields[f + 2];
            HostMatcher hosts;
            try {
                hosts = HostMatcher.of(hostField);
            } catch (IllegalArgumentException e) {
                malformed(file, lineNo, e.getMessage());
                continue;
            }
            byte[] blob;
            try {
                blob = Base64.getDecoder().decode(base64);
            } catch (IllegalArgumentException e) {
                malformed(file, lineNo, "key is not valid base64");
                continue;
            }
            PublicKey key;
            try {
                String blobType = new ByteArrayBuffer(blob).getString();
                if (!type.equals(blobType)) {
                    malformed(file, lineNo, "key type " + type + " does not match the key data");
                    continue;
                }
                key = new ByteArrayBuffer(blob).getRawPublicKey();
            } catch (IOException | RuntimeException e) {
                malformed(file, lineNo, "unsupported or invalid " + type + " key");
                continue;
            }
            if (key == null) {
                malformed(file, lineNo, "unsupported key type " + type);
                continue;
            }
            entries.add(new Entry(file, lineNo, revoked, certAuthority, hosts, type, key, blob));
        }
        return List.copyOf(entries);
    }

    private static void malformed(Path file, int line, String why) {
        LOG.warn("{}:{}: skipping malformed known_hosts line: {}", file, line, why);
    }

    /** The host field of a line: a hashed name, or a comma-separated list of (possibly negated) patterns. */
    private abstract static class HostMatcher {
        abstract boolean matches(String lookupName);

        static HostMatcher of(String field) {
            if (field.startsWith("|")) {
                return Hashed.parse(field);
            }
            return new Patterns(field);
        }
    }

    /** {@code |1|base64(salt)|base64(HMAC-SHA1(salt, name))}. */
    private static final class Hashed extends HostMatcher {
        final byte[] salt;
        final byte[] hash;

        private Hashed(byte[] salt, byte[] hash) {
            this.salt = salt;
            this.hash = hash;
        }

        static Hashed parse(String field) {
            String[] parts = field.split("\\|", -1);
            if (parts.length != 4 || !parts[0].isEmpty() || !parts[1].equals("1")) {
                throw new IllegalArgumentException("invalid hashed host name");
            }
            byte[] salt;
            byte[] hash;
            try {
                salt = Base64.getDecoder().decode(parts[2]);
                hash = Base64.getDecoder().decode(parts[3]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("hashed host name is not valid base64");
            }
            if (salt.length == 0 || hash.length != SHA1_LENGTH) {
                throw new IllegalArgumentException("invalid hashed host name");
            }
            return new Hashed(salt, hash);
        }

        @Override
        boolean matches(String lookupName) {
            try {
                Mac mac = Mac.getInstance("HmacSHA1");
                mac.init(new SecretKeySpec(salt, "HmacSHA1"));
                return MessageDigest.isEqual(hash, mac.doFinal(lookupName.getBytes(StandardCharsets.UTF_8)));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA1 unavailable", e);
            }
        }
    }

    /** OpenSSH {@code match_hostname}: any positive pattern matches and no negated one does; case-insensitive. */
    private static final class Patterns extends HostMatcher {
        final String[] patterns;

        Patterns(String field) {
            this.patterns = field.toLowerCase(Locale.ROOT).split(",");
            for (String p : patterns) {
                if (p.isEmpty() || p.equals("!")) {
                    throw new IllegalArgumentException("empty host pattern");
                }
            }
        }

        @Override
        boolean matches(String lookupName) {
            String name = lookupName.toLowerCase(Locale.ROOT);
            boolean positive = false;
            for (String p : patterns) {
                boolean negated = p.startsWith("!");
                if (SshConfigFile.glob(negated ? p.substring(1) : p, name)) {
                    if (negated) {
                        return false;
                    }
                    positive = true;
                }
            }
            return positive;
        }
    }


    /**
     * Java spells IPv6 addresses in full ({@code 0:0:0:0:0:0:0:1}); OpenSSH writes the RFC 5952 form ({@code ::1}).
     * Anything that is not an IPv6 literal is returned unchanged (no name resolution happens).
     */
    static String canonicalAddress(String host) {
        if (host == null || host.indexOf(':') < 0 || !IPV6_LITERAL.matcher(host).matches()) {
            return host;
        }
        InetAddress address;
        try {
            address = InetAddress.getByName(host); // a literal (checked above): no lookup
        } catch (UnknownHostException e) {
            return host;
        }
        if (!(address instanceof Inet6Address)) {
            return address.getHostAddress(); // e.g. ::ffff:192.0.2.1
        }
        byte[] a = address.getAddress();
        int[] w = new int[8];
        for (int k = 0; k < 8; k++) {
            w[k] = ((a[2 * k] & 0xff) << 8) | (a[2 * k + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int k = 0; k < 8; ) {
            if (w[k] != 0) {
                k++;
                continue;
            }
            int start = k;
            while (k < 8 && w[k] == 0) {
                k++;
            }
            if (k - start > bestLen) {
                bestStart = start;
                bestLen = k - start;
            }
        }
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < 8; k++) {
            if (k == bestStart) {
                sb.append("::");
                k += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(w[k]));
        }
        return sb.toString();
    }
}
