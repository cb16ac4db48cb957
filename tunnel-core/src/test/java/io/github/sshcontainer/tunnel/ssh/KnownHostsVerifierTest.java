package io.github.sshcontainer.tunnel.ssh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.tunnel.Failure;
import io.github.sshcontainer.tunnel.HostKeyException;
import io.github.sshcontainer.tunnel.HostKeyPolicy;
import io.github.sshcontainer.tunnel.ssh.KnownHostsVerifier.Outcome;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KnownHostsVerifierTest {

    private static PublicKey ed25519;
    private static PublicKey ed25519Other;
    private static PublicKey ecdsa256;
    private static PublicKey ecdsa384;
    private static PublicKey ecdsa521;
    private static PublicKey rsa;

    @TempDir
    Path dir;

    @BeforeAll
    static void keys() throws Exception {
        ed25519 = KeyUtils.generateKeyPair("ssh-ed25519", 256).getPublic();
        ed25519Other = KeyUtils.generateKeyPair("ssh-ed25519", 256).getPublic();
        ecdsa256 = KeyUtils.generateKeyPair("ecdsa-sha2-nistp256", 256).getPublic();
        ecdsa384 = KeyUtils.generateKeyPair("ecdsa-sha2-nistp384", 384).getPublic();
        ecdsa521 = KeyUtils.generateKeyPair("ecdsa-sha2-nistp521", 521).getPublic();
        KeyPair rsaPair = KeyUtils.generateKeyPair("ssh-rsa", 2048);
        rsa = rsaPair.getPublic();
    }

    /** {@code type base64} as in a .pub file, by MINA's own writer (not the verifier's code path). */
    private static String pub(PublicKey key) {
        return PublicKeyEntry.toString(key);
    }

    /** OpenSSH's hashed host name, computed here independently: |1|base64(salt)|base64(HMAC-SHA1(salt, name)). */
    private static String hashed(String name) throws Exception {
        byte[] salt = new byte[20];
        new SecureRandom().nextBytes(salt);
        Mac mac = Mac.getInstance("HmacSHA1");
        mac.init(new SecretKeySpec(salt, "HmacSHA1"));
        byte[] hash = mac.doFinal(name.getBytes(StandardCharsets.US_ASCII));
        return "|1|" + Base64.getEncoder().encodeToString(salt) + "|" + Base64.getEncoder().encodeToString(hash);
    }

    private Path file(String name, String... lines) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, String.join("\n", lines) + "\n");
        return f;
    }

    private KnownHostsVerifier verifier(Path file, HostKeyPolicy policy) {
        return new KnownHostsVerifier(List.of(file), file, policy);
    }

    private static HostAndPort hp(String host, int port) {
        return new HostAndPort(host, port);
    }

    @ParameterizedTest
    @ValueSource(strings = {"ed25519", "ecdsa256", "ecdsa384", "ecdsa521", "rsa"})
    void plainHostMatchesEveryModernKeyType(String which) throws Exception {
        PublicKey key = Map.of("ed25519", ed25519, "ecdsa256", ecdsa256, "ecdsa384", ecdsa384, "ecdsa521", ecdsa521,
                "rsa", rsa).get(which);
        Path kh = file("known_hosts", "other.example.com " + pub(ed25519Other), "server.example.com " + pub(key));
        assertEquals(Outcome.KNOWN, verifier(kh, HostKeyPolicy.STRICT).verify(hp("server.example.com", 22), key));
        // name matching is case-insensitive, as in OpenSSH
        assertEquals(Outcome.KNOWN, verifier(kh, HostKeyPolicy.STRICT).verify(hp("Server.Example.COM", 22), key));
    }

    @Test
    void rsaLineMatchesRsaKeyWhateverTheSignatureAlgorithm() throws Exception {
        Path kh = file("known_hosts", "rsa.example.com " + pub(rsa));
        assertTrue(pub(rsa).startsWith("ssh-rsa "));
        // the verifier only ever sees the key, never rsa-sha2-256/512: the key type is ssh-rsa
        assertEquals("ssh-rsa", KeyUtils.getKeyType(rsa));
        assertEquals(Outcome.KNOWN, verifier(kh, HostKeyPolicy.STRICT).verify(hp("rsa.example.com", 22), rsa));
    }

    @Test
    void bracketedHostAndPort() throws Exception {
        Path kh = file("known_hosts", "[127.0.0.1]:2222 " + pub(ed25519), "10.0.0.5 " + pub(ed25519));
        KnownHostsVerifier v = verifier(kh, HostKeyPolicy.STRICT);
        assertEquals(Outcome.KNOWN, v.verify(hp("127.0.0.1", 2222), ed25519));
        // the bare host names port 22 only ...
        HostKeyException e = assertThrows(HostKeyException.class, () -> v.verify(hp("10.0.0.5", 2222), ed25519));
        assertEquals("[10.0.0.5]:2222", e.host());
        // ... and [host]:2222 does not name port 22
        assertThrows(HostKeyException.class, () -> v.verify(hp("127.0.0.1", 22), ed25519));
        // [host]:22 is not how port 22 is written, but a line for port 0 / 22 is looked up as the bare name
        assertEquals("10.0.0.5", hp("10.0.0.5", 22).lookupName());
        assertEquals("10.0.0.5", hp("[10.0.0.5]", 0).lookupName());
    }

    @Test
    void hashedHostName() throws Exception {
        Path kh = file("known_hosts", hashed("other.example.com") + " " + pub(ed25519Other),
                hashed("server.example.com") + " " + pub(ecdsa256));
        KnownHostsVerifier v = verifier(kh, HostKeyPolicy.STRICT);
        assertEquals(Outcome.KNOWN, v.verify(hp("server.example.com", 22), ecdsa256));
        assertThrows(HostKeyException.class, () -> v.verify(hp("server.example.org", 22), ecdsa256));
    }

    @Test
    void hashedHostAndPort() throws Exception {
        Path kh = file("known_hosts", hashed("[127.0.0.1]:2222") + " " + pub(ed25519));
        KnownHostsVerifier v = verifier(kh, HostKeyPolicy.STRICT);
        assertEquals(Outcome.KNOWN, v.verify(hp("127.0.0.1", 2222), ed25519));
        assertThrows(HostKeyException.class, () -> v.verify(hp("127.0.0.1", 22), ed25519));
        assertThrows(HostKeyException.class, () -> v.verify(hp("127.0.0.1", 2223), ed25519));
    }

    @Test
    void changedKeyIsRefusedWithOpenSshLikeMessage() throws Exception {
        Path kh = file("known_hosts", "# comment", "[127.0.0.1]:2222 " + pub(ed25519Other));
        HostKeyException e = assertThrows(HostKeyException.class,
                () -> verifier(kh, HostKeyPolicy.STRICT).verify(hp("127.0.0.1", 2222), ed25519));
        String fp = KeyUtils.getFingerPrint(ed25519);
        assertTrue(fp.startsWith("SHA256:"), fp);
        String m = e.getMessage();
        assertTrue(m.startsWith("REMOTE HOST IDENTIFICATION HAS CHANGED for [127.0.0.1]:2222: server offered "
                + "ssh-ed25519 key " + fp + ", known_hosts (" + kh.toAbsolutePath() + ":2) has a different key."), m);
        assertTrue(m.contains("ssh-keygen -R '[127.0.0.1]:2222' -f '" + kh.toAbsolutePath() + "'"), m);
        assertEquals("[127.0.0.1]:2222", e.host());
        assertEquals("ssh-ed25519", e.keyType());
        assertEquals(fp, e.fingerprint());
        assertEquals(Failure.HOST_KEY, e.failure());
    }

    @Test
    void unknownHostUnderStrictIsRefusedWithFingerprintAndHowToAddIt() throws Exception {
        Path kh = file("known_hosts", "other.example.com " + pub(ed25519Other));
        HostKeyException e = assertThrows(HostKeyException.class,
                () -> verifier(kh, HostKeyPolicy.STRICT).verify(hp("127.0.0.1", 2222), ed25519));
        String fp = KeyUtils.getFingerPrint(ed25519);
        assertEquals("host key for [127.0.0.1]:2222 is not known (ssh-ed25519 " + fp + "); files consulted: "
                + kh.toAbsolutePath() + "; verify the fingerprint "
                + "and add it with: ssh-keyscan -p 2222 127.0.0.1 >> " + kh.toAbsolutePath()
                + ", or use host key policy accept-new", e.getMessage());
        assertEquals(fp, e.fingerprint());

        HostKeyException e22 = assertThrows(HostKeyException.class,
                () -> verifier(kh, HostKeyPolicy.STRICT).verify(hp("build.example.com", 22), ecdsa256));
        assertTrue(e22.getMessage().contains("ssh-keyscan build.example.com >> "), e22.getMessage());
        assertEquals(List.of("other.example.com " + pub(ed25519Other)), Files.readAllLines(kh));
    }

    @Test
    void unknownKeyTypeForKnownHostIsUnknownNotChanged() throws Exception {
        Path kh = file("known_hosts", "server.example.com " + pub(ecdsa256));
        KnownHostsVerifier strict = verifier(kh, HostKeyPolicy.STRICT);
        assertEquals(List.of("ecdsa-sha2-nistp256"), strict.knownKeyTypes(hp("server.example.com", 22)));
        HostKeyException e = assertThrows(HostKeyException.class,
                () -> strict.verify(hp("server.example.com", 22), ed25519));
        assertTrue(e.getMessage().startsWith("host key for server.example.com is not known"), e.getMessage());
        assertTrue(e.getMessage().contains("only has other key types for this host: ecdsa-sha2-nistp256 at "),
                e.getMessage());
        // an ECDSA key on another curve is another type too
        assertThrows(HostKeyException.class, () -> strict.verify(hp("server.example.com", 22), ecdsa384));
        // OpenSSH's accept-new adds a key of a new type
        assertEquals(Outcome.ADDED, verifier(kh, HostKeyPolicy.ACCEPT_NEW).verify(hp("server.example.com", 22),
                ed25519));
    }

    @Test
    void acceptNewAppendsExactlyOneOpenSshLineAndThenKnowsTheHost() throws Exception {
        Path kh = file("known_hosts", "other.example.com " + pub(ed25519Other));
        KnownHostsVerifier v = verifier(kh, HostKeyPolicy.ACCEPT_NEW);
        assertEquals(Outcome.ADDED, v.verify(hp("127.0.0.1", 2222), ed25519));
        assertEquals(List.of("other.example.com " + pub(ed25519Other), "[127.0.0.1]:2222 " + pub(ed25519)),
                Files.readAllLines(kh));
        assertEquals(Outcome.KNOWN, v.verify(hp("127.0.0.1", 2222), ed25519));
        // a fresh verifier (nothing cached) reads it too, and nothing more is written
        assertEquals(Outcome.KNOWN, verifier(kh, HostKeyPolicy.STRICT).verify(hp("127.0.0.1", 2222), ed25519));
        assertEquals(Outcome.ADDED, v.verify(hp("rsa.example.com", 22), rsa));
        assertEquals(List.of("other.example.com " + pub(ed25519Other), "[127.0.0.1]:2222 " + pub(ed25519),
                "rsa.example.com " + pub(rsa)), Files.readAllLines(kh));
    }

    @Test
    void acceptNewAddsTheMissingNewlineFirst() throws Exception {
        Path kh = dir.resolve("known_hosts");
        Files.writeString(kh, "other.example.com " + pub(ed25519Other)); // no final newline
        assertEquals(Outcome.ADDED, verifier(kh, HostKeyPolicy.ACCEPT_NEW).verify(hp("new.example.com", 22), ed25519));
        assertEquals("other.example.com " + pub(ed25519Other) + "\nnew.example.com " + pub(ed25519) + "\n",
                Files.readString(kh));
    }

    @Test
    void acceptNewRefusesAChangedKeyAndLeavesTheFileAlone() throws Exception {
        Path kh = file("known_hosts", "[127.0.0.1]:2222 " + pub(ed25519Other));
        byte[] before = Files.readAllBytes(kh);
        HostKeyException e = assertThrows(HostKeyException.class,
                () -> verifier(kh, HostKeyPolicy.ACCEPT_NEW).verify(hp("127.0.0.1", 2222), ed25519));
        assertTrue(e.getMessage().startsWith("REMOTE HOST IDENTIFICATION HAS CHANGED"), e.getMessage());
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(kh)));
    }

    @Test
    void insecureAcceptsUnknownAndChangedKeys() throws Exception {
        Path kh = file("known_hosts", "changed.example.com " + pub(ed25519Other));
        KnownHostsVerifier v = verifier(kh, HostKeyPolicy.INSECURE);
        assertEquals(Outcome.ACCEPTED_INSECURE, v.verify(hp("unknown.example.com", 22), ed25519));
        assertEquals(Outcome.ACCEPTED_INSECURE, v.verify(hp("changed.example.com", 22), ed25519));
        assertEquals(Outcome.KNOWN, v.verify(hp("changed.example.com", 22), ed25519Other));
        assertEquals(List.of("changed.example.com " + pub(ed25519Other)), Files.readAllLines(kh));
    }

    @Test
    void revokedKeyIsRefusedUnderEveryPolicyEvenIfAlsoListed() throws Exception {
        Path kh = file("known_hosts", "server.example.com " + pub(ed25519),
                "@revoked * " + pub(ed25519));
        byte[] before = Files.readAllBytes(kh);
        for (HostKeyPolicy policy : HostKeyPolicy.values()) {
            HostKeyException e = assertThrows(HostKeyException.class,
                    () -> verifier(kh, policy).verify(hp("server.example.com", 22), ed25519), policy.name());
            assertTrue(e.getMessage().startsWith("host key for server.example.com is REVOKED"), e.getMessage());
            assertTrue(e.getMessage().contains(KeyUtils.getFingerPrint(ed25519)), e.getMessage());
            assertTrue(e.getMessage().contains(kh.toAbsolutePath() + ":2"), e.getMessage());
            HostKeyException other = assertThrows(HostKeyException.class,
                    () -> verifier(kh, policy).verify(hp("elsewhere.example.com", 2222), ed25519), policy.name());
            assertTrue(other.getMessage().contains("REVOKED"), other.getMessage());
        }
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(kh)));
        // a revoked line only revokes its own key
        assertEquals(Outcome.ACCEPTED_INSECURE,
                verifier(kh, HostKeyPolicy.INSECURE).verify(hp("server.example.com", 22), ed25519Other));
    }

    @Test
    void malformedLinesAreSkippedAndTheRestStillWorks() throws Exception {
        String edLine = pub(ed25519);
        String edBase64 = edLine.substring(edLine.indexOf(' ') + 1);
        Path kh = file("known_hosts",
                "broken.example.com ssh-ed25519 !!!not-base64!!!",
                "broken.example.com ssh-foo " + Base64.getEncoder().encodeToString("hello".getBytes(StandardCharsets.UTF_8)),
                "broken.example.com ssh-foo " + unknownTypeBlob(),
                "broken.example.com ssh-ed25519",
                "broken.example.com",
                "broken.example.com ecdsa-sha2-nistp256 " + edBase64,   // type does not match the key data
                "broken.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA", // truncated key
                "|1|bad|hash " + edLine,
                "@bogus server.example.com " + edLine,
                "@cert-authority *.example.com " + pub(ecdsa256),
                "   ",
                "\t# indented comment",
                "server.example.com " + edLine + " a comment with spaces",
                "server2.example.com\t" + pub(rsa).replace(' ', '\t'));
        KnownHostsVerifier v = verifier(kh, HostKeyPolicy.STRICT);
        assertEquals(Outcome.KNOWN, v.verify(hp("server.example.com", 22), ed25519));
        assertEquals(Outcome.KNOWN, v.verify(hp("server2.example.com", 22), rsa));
        // the broken lines did not register anything
        assertEquals(List.of(), v.knownKeyTypes(hp("broken.example.com", 22)));
        // the @cert-authority line is not used as a plain key
        assertThrows(HostKeyException.class, () -> v.verify(hp("ca.example.com", 22), ecdsa256));
    }

    @Test
    void wildcardsAndNegation() throws Exception {
        Path kh = file("known_hosts",
                "*.example.com,!bad.example.com " + pub(ed25519),
                "db?.internal,[*.lab]:2222 " + pub(ecdsa256));
        KnownHostsVerifier v = verifier(kh, HostKeyPolicy.STRICT);
        assertEquals(Outcome.KNOWN, v.verify(hp("good.example.com", 22), ed25519));
        assertEquals(Outcome.KNOWN, v.verify(hp("a.b.example.com", 22), ed25519));
        assertThrows(HostKeyException.class, () -> v.verify(hp("bad.example.com", 22), ed25519));
        assertThrows(HostKeyException.class, () -> v.verify(hp("example.com", 22), ed25519));
        assertThrows(HostKeyException.class, () -> v.verify(hp("good.example.com", 2222), ed25519));
        assertEquals(Outcome.KNOWN, v.verify(hp("db1.internal", 22), ecdsa256));
        assertThrows(HostKeyException.class, () -> v.verify(hp("db12.internal", 22), ecdsa256));
        assertEquals(Outcome.KNOWN, v.verify(hp("box.lab", 2222), ecdsa256));
        assertThrows(HostKeyException.class, () -> v.verify(hp("box.lab", 22), ecdsa256));
    }

    @Test
    void globMatcher() {
        assertTrue(io.github.sshcontainer.tunnel.internal.SshConfigFile.glob("*", ""));
        assertTrue(io.github.sshcontainer.tunnel.internal.SshConfigFile.glob("a*b*c", "axxbyyc"));
        assertTrue(io.github.sshcontainer.tunnel.internal.SshConfigFile.glob("a*b*c", "abbbc"));
        assertFalse(io.github.sshcontainer.tunnel.internal.SshConfigFile.glob("a*b*c", "abcd"));
        assertTrue(io.github.sshcontainer.tunnel.internal.SshConfigFile.glob("?", "x"));
        assertFalse(io.github.sshcontainer.tunnel.internal.SshConfigFile.glob("?", ""));
        assertFalse(io.github.sshcontainer.tunnel.internal.SshConfigFile.glob("abc", "ab"));
    }

    @Test
    void missingFilesAreFineAndOrderIsRespected() throws Exception {
        Path missing = dir.resolve("nope/known_hosts");
        Path global = file("ssh_known_hosts", "global.example.com " + pub(ed25519));
        KnownHostsVerifier v = new KnownHostsVerifier(List.of(missing, dir.resolve("also-missing"), global), missing,
                HostKeyPolicy.STRICT);
        assertEquals(Outcome.KNOWN, v.verify(hp("global.example.com", 22), ed25519));
        HostKeyException e = assertThrows(HostKeyException.class,
                () -> v.verify(hp("global.example.com", 22), ed25519Other));
        assertTrue(e.getMessage().contains("CHANGED"), e.getMessage());
        assertFalse(Files.exists(missing));
    }

    @Test
    void writableFileAndDirectoryAreCreatedPrivate() throws Exception {
        Path sshDir = dir.resolve("home/.ssh");
        Path kh = sshDir.resolve("known_hosts");
        KnownHostsVerifier v = new KnownHostsVerifier(List.of(kh), kh, HostKeyPolicy.ACCEPT_NEW);
        assertEquals(Outcome.ADDED, v.verify(hp("127.0.0.1", 2222), ecdsa521));
        assertEquals(List.of("[127.0.0.1]:2222 " + pub(ecdsa521)), Files.readAllLines(kh));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(kh)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sshDir)));
    }

    @Test
    void writableFileIsReadEvenIfNotListed() throws Exception {
        Path global = file("ssh_known_hosts");
        Path user = dir.resolve("user_known_hosts");
        KnownHostsVerifier v = new KnownHostsVerifier(List.of(global), user, HostKeyPolicy.ACCEPT_NEW);
        assertEquals(Outcome.ADDED, v.verify(hp("new.example.com", 22), ed25519));
        assertEquals(Outcome.KNOWN, v.verify(hp("new.example.com", 22), ed25519));
        assertEquals("", Files.readString(global).strip());
    }

    @Test
    void editsToTheFileAreSeenOnTheNextVerification() throws Exception {
        Path kh = file("known_hosts", "one.example.com " + pub(ed25519));
        KnownHostsVerifier v = verifier(kh, HostKeyPolicy.STRICT);
        assertEquals(Outcome.KNOWN, v.verify(hp("one.example.com", 22), ed25519));
        assertThrows(HostKeyException.class, () -> v.verify(hp("two.example.com", 22), ed25519));
        Files.writeString(kh, "one.example.com " + pub(ed25519Other) + "\ntwo.example.com " + pub(ed25519) + "\n");
        assertEquals(Outcome.KNOWN, v.verify(hp("two.example.com", 22), ed25519));
        assertThrows(HostKeyException.class, () -> v.verify(hp("one.example.com", 22), ed25519));
    }

    @Test
    void sessionAdapterUsesAliasAndRecordsTheFailure() throws Exception {
        Path kh = file("known_hosts", "alias.example.com " + pub(ed25519), "[127.0.0.1]:2222 " + pub(ecdsa256));
        KnownHostsVerifier v = verifier(kh, HostKeyPolicy.STRICT);
        InetSocketAddress loopback = new InetSocketAddress("127.0.0.1", 2222);

        // no alias: the address decides
        ClientSession plain = fakeSession(null);
        assertTrue(v.verifyServerKey(plain, loopback, ecdsa256));
        assertTrue(KnownHostsVerifier.failureOf(plain).isEmpty());

        // alias in the connect context
        ClientSession viaContext = fakeSession(AttributeRepository.ofKeyValuePair(KnownHostsVerifier.HOST_KEY_ALIAS,
                hp("alias.example.com", 22)));
        assertTrue(v.verifyServerKey(viaContext, loopback, ed25519));
        assertFalse(v.verifyServerKey(viaContext, loopback, ecdsa256));
        HostKeyException failure = KnownHostsVerifier.failureOf(viaContext).orElseThrow();
        assertEquals("alias.example.com", failure.host());
        assertEquals(KeyUtils.getFingerPrint(ecdsa256), failure.fingerprint());

        // alias on the session wins over the context
        ClientSession both = fakeSession(AttributeRepository.ofKeyValuePair(KnownHostsVerifier.HOST_KEY_ALIAS,
                hp("wrong.example.com", 22)));
        both.setAttribute(KnownHostsVerifier.HOST_KEY_ALIAS, hp("alias.example.com", 22));
        assertTrue(v.verifyServerKey(both, loopback, ed25519));

        // an unknown key
        ClientSession unknown = fakeSession(null);
        assertFalse(v.verifyServerKey(unknown, new InetSocketAddress("127.0.0.1", 2223), ed25519));
        assertEquals("[127.0.0.1]:2223", KnownHostsVerifier.failureOf(unknown).orElseThrow().host());
        assertTrue(KnownHostsVerifier.failureOf(null).isEmpty());
    }

    @Test
    void targetFromAddressUsesTheHostStringWithoutLookups() {
        assertEquals("[127.0.0.1]:2222",
                KnownHostsVerifier.targetOf(null, new InetSocketAddress("127.0.0.1", 2222)).lookupName());
        assertEquals("some-host.invalid",
                KnownHostsVerifier.targetOf(null, InetSocketAddress.createUnresolved("Some-Host.invalid", 22))
                        .lookupName());
        assertEquals("[::1]:2222",
                KnownHostsVerifier.targetOf(null, new InetSocketAddress("0:0:0:0:0:0:0:1", 2222)).lookupName());
        assertEquals("2001:db8::1:0:0:1", KnownHostsVerifier.canonicalAddress("2001:0db8:0:0:1:0:0:1"));
        assertEquals("2001:db8:0:1:1:1:1:1", KnownHostsVerifier.canonicalAddress("2001:db8:0:1:1:1:1:1"));
        assertEquals("fe80::", KnownHostsVerifier.canonicalAddress("fe80:0:0:0:0:0:0:0"));
        assertEquals("db1.internal", KnownHostsVerifier.canonicalAddress("db1.internal"));
    }

    @Test
    void acceptNewNeedsAWritableFile() {
        assertThrows(IllegalArgumentException.class,
                () -> new KnownHostsVerifier(List.of(), null, HostKeyPolicy.ACCEPT_NEW));
        assertThrows(IllegalArgumentException.class, () -> new HostAndPort("a b", 22));
        assertThrows(IllegalArgumentException.class, () -> new HostAndPort("a,b", 22));
    }

    /** A well-formed key blob of a type nobody knows: string "ssh-foo", string "x". */
    private static String unknownTypeBlob() {
        byte[] type = "ssh-foo".getBytes(StandardCharsets.US_ASCII);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 + type.length + 4 + 1);
        b.putInt(type.length).put(type).putInt(1).put((byte) 'x');
        return Base64.getEncoder().encodeToString(b.array());
    }

    /** Just enough of a ClientSession: attributes and the connect context. */
    private static ClientSession fakeSession(AttributeRepository context) {
        Map<AttributeRepository.AttributeKey<?>, Object> attributes = new HashMap<>();
        InvocationHandler handler = (proxy, method, args) -> {
            switch (method.getName()) {
                case "getAttribute":
                    return attributes.get(args[0]);
                case "setAttribute":
                    return attributes.put((AttributeRepository.AttributeKey<?>) args[0], args[1]);
                case "getConnectionContext":
                    return context;
                case "toString":
                    return "fake session";
                case "hashCode":
                    return System.identityHashCode(proxy);
                case "equals":
                    return proxy == args[0];
                default:
                    throw new UnsupportedOperationException(method.getName());
            }
        };
        return (ClientSession) Proxy.newProxyInstance(KnownHostsVerifierTest.class.getClassLoader(),
                new Class<?>[] {ClientSession.class}, handler);
    }
}
