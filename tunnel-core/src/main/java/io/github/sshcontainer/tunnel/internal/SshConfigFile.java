package io.github.sshcontainer.tunnel.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import org.apache.sshd.client.config.hosts.HostConfigEntry;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads an {@code ssh_config} file into MINA's {@link HostConfigEntryResolver}. MINA rejects the whole file when it
 * meets a {@code Match} block; real configs often have one, so such blocks are left out with a warning naming the
 * line, and the rest of the file still applies.
 */
public final class SshConfigFile {
    private static final Logger LOG = LoggerFactory.getLogger(SshConfigFile.class);

    private SshConfigFile() {
    }

    /** A resolver for {@code file}; {@link HostConfigEntryResolver#EMPTY} when {@code file} is null or missing. */
    public static HostConfigEntryResolver resolver(Path file) throws IOException {
        if (file == null || !Files.exists(file)) {
            return HostConfigEntryResolver.EMPTY;
        }
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IOException("cannot read ssh config " + file + ": " + e.getMessage(), e);
        }
        List<HostConfigEntry> entries;
        try {
            entries = HostConfigEntry.readHostConfigEntries(new BufferedReader(new StringReader(withoutMatch(file, text))));
        } catch (IOException | RuntimeException e) {
            throw new IOException("cannot parse ssh config " + file + ": " + e.getMessage(), e);
        }
        return HostConfigEntry.toHostConfigEntryResolver(entries);
    }

    /** The config text with every {@code Match} block (up to the next {@code Host} line) commented out. */
    static String withoutMatch(Path file, String text) {
        StringBuilder out = new StringBuilder(text.length());
        boolean inMatch = false;
        int lineNo = 0;
        for (String line : text.split("\r?\n", -1)) {
            lineNo++;
            String keyword = firstWord(line);
            if (keyword.equals("match")) {
                inMatch = true;
                LOG.warn("{}:{}: 'Match' blocks are not supported yet; ignoring this block: {}", file, lineNo,
                        line.trim());
            } else if (keyword.equals("host")) {
                inMatch = false;
            }
            out.append(inMatch ? "# " : "").append(line).append('\n');
        }
        return out.toString();
    }

    private static String firstWord(String line) {
        String t = line.strip();
        int end = 0;
        while (end < t.length() && !Character.isWhitespace(t.charAt(end)) && t.charAt(end) != '=') {
            end++;
        }
        return t.substring(0, end).toLowerCase(Locale.ROOT);
    }
}
