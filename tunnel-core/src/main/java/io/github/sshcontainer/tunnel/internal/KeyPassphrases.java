package io.github.sshcontainer.tunnel.internal;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import io.github.sshcontainer.tunnel.PassphraseProvider;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.session.SessionContext;

/**
 * Adapts a {@link PassphraseProvider} to MINA: asks once per key file, never retries a wrong passphrase in a loop,
 * and remembers which keys could not be decrypted so an authentication failure can say why.
 */
public final class KeyPassphrases implements FilePasswordProvider {
    private final PassphraseProvider provider;
    private final Map<String, Optional<String>> answers = new ConcurrentHashMap<>();
    private final Map<String, String> failures = new ConcurrentHashMap<>();

    public KeyPassphrases(PassphraseProvider provider) {
        this.provider = provider;
    }

    @Override
    public String getPassword(SessionContext session, NamedResource resource, int retryIndex) throws IOException {
        String location = resource.getName();
        if (provider == null) {
            failures.put(location, "key is encrypted and no passphrase was given");
            return null;
        }
        return answers.computeIfAbsent(location, provider::passphrase).orElseGet(() -> {
            failures.put(location, "key is encrypted and the passphrase provider gave none");
            return null;
        });
    }

    @Override
    public ResourceDecodeResult handleDecodeAttemptResult(SessionContext session, NamedResource resource,
            int retryIndex, String password, Exception err) {
        if (err == null) {
            failures.remove(resource.getName());
            return null;
        }
        failures.put(resource.getName(), password == null ? "key is encrypted and no passphrase was given"
                : "wrong passphrase (" + err.getClass().getSimpleName() + ")");
        answers.remove(resource.getName());
        return ResourceDecodeResult.TERMINATE;
    }

    /** Keys that could not be decrypted, with the reason; for error messages. */
    public Map<String, String> failures() {
        return Map.copyOf(failures);
    }
}
