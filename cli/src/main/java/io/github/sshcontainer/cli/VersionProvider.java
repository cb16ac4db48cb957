package io.github.sshcontainer.cli;

import picocli.CommandLine.IVersionProvider;

/** The version from the jar manifest ({@code Implementation-Version}). */
final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = Main.class.getPackage().getImplementationVersion();
        return new String[] {"ssh-container " + (v == null ? "(development build)" : v),
            "Java " + System.getProperty("java.version")};
    }
}
