package io.github.sshcontainer.tunnel;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Authenticates with a password, a wrong password, a key passphrase and a wrong passphrase, with whatever logging the
 * JVM was started with — for {@link SecurityIT}, which runs it at TRACE level and searches the output for the
 * secrets. Arguments: pw-user host port known_hosts password root-user encrypted-key passphrase.
 */
public final class SecretsLogMain {
    private SecretsLogMain() {
    }

    public static void main(String[] args) throws Exception {
        String pwUser = args[0];
        String host = args[1];
        int port = Integer.parseInt(args[2]);
        Path knownHosts = Path.of(args[3]);
        String password = args[4];
        String keyUser = args[5];
        Path key = Path.of(args[6]);
        String passphrase = args[7];
        attempt("password", SshTarget.of(pwUser, host, port), base(knownHosts).password(password));
        attempt("wrong password", SshTarget.of(pwUser, host, port), base(knownHosts).password(password + "-wrong"));
        attempt("passphrase", SshTarget.of(keyUser, host, port),
                base(knownHosts).identity(key).passphraseProvider(k -> Optional.of(passphrase)));
        attempt("wrong passphrase", SshTarget.of(keyUser, host, port),
                base(knownHosts).identity(key).passphraseProvider(k -> Optional.of(passphrase + "-wrong")));
        System.out.println("DONE");
        System.exit(0);
    }

    private static SshOptions.Builder base(Path knownHosts) {
        return SshOptions.builder().knownHosts(knownHosts).sshConfig(null).useAgent(false)
                .connectTimeout(Duration.ofSeconds(10)).authTimeout(Duration.ofSeconds(20));
    }

    private static void attempt(String what, SshTarget target, SshOptions.Builder options) {
        try (Tunnel t = Tunnel.to(target, RemoteEndpoint.unixSocket("/nonexistent.sock")).options(options.build())
                .verifyRemote(false).inProcessOnly().open()) {
            System.out.println("RESULT " + what + ": ok");
        } catch (Exception e) {
            System.out.println("RESULT " + what + ": " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }
}
