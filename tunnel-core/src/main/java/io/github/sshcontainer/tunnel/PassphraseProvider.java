package io.github.sshcontainer.tunnel;

import java.util.Optional;

/**
 * Supplies the passphrase of an encrypted private key. Asked at most once per key file per {@link SshConnector}.
 *
 * <pre>{@code
 * PassphraseProvider p = keyFile -> Optional.of(System.getenv("DEPLOY_KEY_PASSPHRASE"));
 * }</pre>
 */
@FunctionalInterface
public interface PassphraseProvider {
    /**
     * @param keyLocation the key file (as a path string) that needs a passphrase
     * @return the passphrase, or empty to skip this key
     */
    Optional<String> passphrase(String keyLocation);

    /** The same passphrase for every key. */
    static PassphraseProvider of(String passphrase) {
        return keyLocation -> Optional.of(passphrase);
    }
}
