package io.github.sshcontainer.containerd;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** SHA-256 digests as OCI writes them ({@code sha256:<64 hex>}) and image layer chain IDs. */
public final class Digests {
    private Digests() {
    }

    /** {@code sha256:<hex>} of {@code bytes}. */
    public static String sha256(byte[] bytes) {
        return "sha256:" + HexFormat.of().formatHex(sha256Digest().digest(bytes));
    }

    /** {@code sha256:<hex>} of everything {@code in} holds (read to its end, not closed). */
    public static String sha256(InputStream in) throws IOException {
        MessageDigest md = sha256Digest();
        byte[] buffer = new byte[64 * 1024];
        for (int n; (n = in.read(buffer)) > 0;) {
            md.update(buffer, 0, n);
        }
        return "sha256:" + HexFormat.of().formatHex(md.digest());
    }

    /**
     * The chain IDs of layers with the diff IDs {@code diffIds} (bottom first), as the OCI image spec and containerd
     * compute them: the first is the first diff ID; then {@code sha256(previousChainId + " " + diffId)}. A layer's
     * snapshot is committed under its chain ID, so the same stack of layers is unpacked once.
     */
    public static List<String> chainIds(List<String> diffIds) {
        List<String> chain = new ArrayList<>(diffIds.size());
        String previous = null;
        for (String diffId : diffIds) {
            previous = previous == null ? diffId : sha256((previous + " " + diffId).getBytes(StandardCharsets.UTF_8));
            chain.add(previous);
        }
        return List.copyOf(chain);
    }

    /** Whether {@code digest} looks like {@code sha256:<64 lower-case hex>}. */
    public static boolean isSha256(String digest) {
        return digest != null && digest.matches("sha256:[0-9a-f]{64}");
    }

    private static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256 in this JVM", e);
        }
    }
}
