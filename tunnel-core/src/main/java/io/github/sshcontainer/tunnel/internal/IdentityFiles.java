package io.github.sshcontainer.tunnel.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.util.Iterator;
import java.util.Optional;

import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.util.security.SecurityUtils;

/**
 * Checks that a named identity file holds a private key before any connection is tried, so that a public key, a
 * truncated or an unrelated file is reported as such instead of as "the server accepted none of the keys". An
 * encrypted key is only recognised here (its passphrase is asked for when it is used).
 */
public final class IdentityFiles {
    /** Private keys are a few KiB; anything much larger is not one (and is not read whole). */
    static final int MAX_BYTES = 1 << 20;

    private IdentityFiles() {
    }

    /** Why {@code file} is not a usable private key, or empty when it is one (or encrypted, or not readable here). */
    public static Optional<String> problem(Path file) {
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            return Optional.empty(); // reported with its own message where the keys are loaded
        }
        byte[] content;
        try (InputStream in = Files.newInputStream(file)) {
            content = in.readNBytes(MAX_BYTES + 1);
        } catch (IOException e) {
            return Optional.empty();
        }
        if (content.length > MAX_BYTES) {
            return Optional.of("it is larger than " + (MAX_BYTES >> 10) + " KiB, far too large for a private key");
        }
        if (content.length == 0) {
            return Optional.of("it is empty");
        }
        String text = new String(content, 0, Math.min(content.length, 200), java.nio.charset.StandardCharsets.ISO_8859_1);
        if (text.startsWith("ssh-") || text.startsWith("ecdsa-") || text.startsWith("sk-")) {
            return Optional.of("it holds a public key (give the private key, the file without .pub)");
        }
        try {
            Iterable<KeyPair> pairs = SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName(file.toString()),
                    new ByteArrayInputStream(content), ENCRYPTED_MARKER);
            Iterator<KeyPair> it = pairs == null ? null : pairs.iterator();
            if (it == null || !it.hasNext()) {
                return Optional.of("it holds no private key in a format this client reads (OpenSSH, PEM or PKCS#8)");
            }
            return Optional.empty();
        } catch (Encrypted e) {
            return Optional.empty();
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            return Optional.of("it cannot be read as a private key (" + e.getMessage() + "); is it truncated?");
        }
    }

    /** Thrown instead of answering a passphrase request: the key is encrypted, which is fine. */
    private static final class Encrypted extends IOException {
        private static final long serialVersionUID = 1L;

        Encrypted() {
            super("encrypted", null);
        }
    }

    private static final FilePasswordProvider ENCRYPTED_MARKER = (session, resource, retryIndex) -> {
        throw new Encrypted();
    };
}
