package io.github.sshcontainer.benchmarks;

import java.util.ArrayList;
import java.util.List;

import org.apache.sshd.common.cipher.BuiltinCiphers;

/** The ciphers compared: AES-128-GCM always, ChaCha20-Poly1305 when MINA offers it. */
final class Ciphers {
    static final String AES_GCM = "aes128-gcm@openssh.com";
    static final String CHACHA = "chacha20-poly1305@openssh.com";

    private Ciphers() {
    }

    static List<String> compared() {
        List<String> list = new ArrayList<>(List.of(AES_GCM));
        BuiltinCiphers chacha = BuiltinCiphers.fromFactoryName(CHACHA);
        if (chacha != null && chacha.isSupported()) {
            list.add(CHACHA);
        }
        return list;
    }

    static String shortName(String cipher) {
        int at = cipher.indexOf('@');
        String s = at < 0 ? cipher : cipher.substring(0, at);
        return s.replace("-poly1305", "");
    }
}
