package io.github.sshcontainer.cli;

/**
 * Sets up slf4j-simple before the first logger exists: warnings only, to stderr, or everything from
 * ssh-container at debug level with {@code --verbose}. Standard output stays for the command's result.
 */
final class Logging {
    private Logging() {
    }

    /** Sets the slf4j-simple properties that are not set already; must run before the first logger is made. */
    static void configure(boolean verbose) {
        setIfAbsent("org.slf4j.simpleLogger.logFile", "System.err");
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "info" : "warn");
        setIfAbsent("org.slf4j.simpleLogger.showThreadName", verbose ? "true" : "false");
        setIfAbsent("org.slf4j.simpleLogger.showShortLogName", "true");
        // MINA logs a WARN for every refused session; the command already says why in one line
        setIfAbsent("org.slf4j.simpleLogger.log.org.apache.sshd", verbose ? "info" : "error");
        if (verbose) {
            setIfAbsent("org.slf4j.simpleLogger.log.io.github.sshcontainer", "debug");
            setIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");
            setIfAbsent("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
        }
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
