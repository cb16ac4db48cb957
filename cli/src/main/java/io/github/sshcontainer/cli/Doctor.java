package io.github.sshcontainer.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.github.sshcontainer.tunnel.AuthenticationException;
import io.github.sshcontainer.tunnel.HostKeyException;
import io.github.sshcontainer.tunnel.RemoteEndpoint;
import io.github.sshcontainer.tunnel.RemoteUnavailableException;
import io.github.sshcontainer.tunnel.SshConnector;
import io.github.sshcontainer.tunnel.SshOptions;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.SshTunnelException;
import io.github.sshcontainer.tunnel.Tunnel;
import io.github.sshcontainer.tunnel.runtime.Readiness;
import io.github.sshcontainer.tunnel.runtime.RuntimeAdapter;
import io.github.sshcontainer.tunnel.runtime.RuntimeConnection;
import io.github.sshcontainer.tunnel.ssh.AuthMethodsRecorder;
import io.github.sshcontainer.tunnel.ssh.KnownHostsVerifier;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.config.hosts.HostConfigEntry;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;

/**
 * The checks behind {@code ssh-container doctor}, in the order a connection meets them: ssh_config, name
 * resolution, TCP, the server's banner, the host key, authentication, then for every runtime adapter on the class
 * path its socket candidates (existence, permissions), its daemon, streamlocal forwarding and, for Docker, the
 * {@code docker system dial-stdio} fallback. Each check adds one line to a {@link Diagnosis}; a failure stops only
 * the checks that depend on it.
 */
final class Doctor {
    private static final Duration EXEC_TIMEOUT = Duration.ofSeconds(10);

    private final SshOptions options;
    private final SshTarget target;
    private final List<RuntimeAdapter<?>> adapters;

    Doctor(SshOptions options, SshTarget target, List<RuntimeAdapter<?>> adapters) {
        this.options = options;
        this.target = target;
        this.adapters = List.copyOf(adapters);
    }

    Diagnosis run() {
        Diagnosis d = new Diagnosis(target.toString());
        SshConnector connector;
        try {
            connector = SshConnector.create(options);
        } catch (SshTunnelException e) {
            d.fail("ssh options", e.getMessage(), "fix the option or file named above");
            return d;
        }
        try (connector) {
            HostConfigEntry entry;
            try {
                entry = connector.effectiveConfig(target);
            } catch (SshTunnelException e) {
                d.fail("ssh config", e.getMessage(), "fix the ssh_config line named above");
                return d;
            }
            String via = entry.getProxyJump() != null ? "ProxyJump " + entry.getProxyJump()
                    : entry.getProperty("ProxyCommand") != null && !"none".equalsIgnoreCase(entry.getProperty(
                            "ProxyCommand")) ? "ProxyCommand " + entry.getProperty("ProxyCommand") : null;
            d.ok("ssh config", entry.getUsername() + "@" + entry.getHostName() + ":" + entry.getPort()
                    + (via == null ? "" : " via " + via)
                    + (options.sshConfig().isPresent() ? " (from " + options.sshConfig().get() + ")" : ""));
            if (via == null && !network(d, entry)) {
                return d;
            }
            ClientSession session = connect(d, connector, via);
            if (session == null) {
                return d;
            }
            try (session) {
                remote(d, connector, session);
            } catch (IOException e) {
                d.fail("ssh session", e.getMessage(), "run again with --verbose for details");
            }
        }
        return d;
    }

    // ------------------------------------------------------------------------------------------ network

    /** DNS, TCP and banner; false when the server cannot be reached at all. */
    private boolean network(Diagnosis d, HostConfigEntry entry) {
        String host = entry.getHostName();
        InetAddress address;
        long t0 = System.nanoTime();
        try {
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            d.fail("dns", "cannot resolve " + host, "check the name (or the HostName for " + target.host()
                    + " in ~/.ssh/config) and this machine's DNS");
            return false;
        }
        d.ok("dns", host.equals(address.getHostAddress()) ? host + " (an address: no lookup)"
                : host + " is " + address.getHostAddress() + " (" + millis(t0) + ")");
        InetSocketAddress socketAddress = new InetSocketAddress(address, entry.getPort());
        try (Socket socket = new Socket()) {
            long t1 = System.nanoTime();
            socket.connect(socketAddress, (int) options.connectTimeout().toMillis());
            d.ok("tcp", address.getHostAddress() + ":" + entry.getPort() + " accepts connections (" + millis(t1) + ")");
            socket.setSoTimeout((int) options.connectTimeout().toMillis());
            String banner = banner(socket.getInputStream());
            if (banner == null) {
                d.fail("server", "no SSH banner from " + address.getHostAddress() + ":" + entry.getPort(),
                        "something other than sshd listens on port " + entry.getPort() + ", or sshd refuses us"
                                + " (MaxStartups, TCP wrappers); check the port and sshd's log");
                return false;
            }
            d.ok("server", banner);
            return true;
        } catch (java.net.ConnectException e) {
            d.fail("tcp", address.getHostAddress() + ":" + entry.getPort() + " refuses connections",
                    "is sshd running and listening on port " + entry.getPort() + "? (systemctl status ssh; ss -ltn)");
        } catch (java.net.SocketTimeoutException e) {
            d.fail("tcp", "no answer from " + address.getHostAddress() + ":" + entry.getPort() + " within "
                    + options.connectTimeout().toSeconds() + " s", "a firewall drops the connection, or the host is"
                    + " down; check the address, the port and the firewall");
        } catch (IOException e) {
            d.fail("tcp", "cannot connect to " + socketAddress + ": " + e.getMessage(), "check the network route");
        }
        return false;
    }

    /** The server's identification line ({@code SSH-2.0-...}); lines before it are skipped. Null if none. */
    private static String banner(InputStream in) throws IOException {
        for (int lines = 0; lines < 20; lines++) {
            StringBuilder line = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0 && c != '\n') {
                if (line.length() < 255 && c != '\r') {
                    line.append((char) c);
                }
            }
            if (line.toString().startsWith("SSH-")) {
                return line.toString();
            }
            if (c < 0) {
                return null;
            }
        }
        return null;
    }

    private static String millis(long startNanos) {
        return String.format(Locale.ROOT, "%.1f ms", (System.nanoTime() - startNanos) / 1e6);
    }

    // -------------------------------------------------------------------------------------- ssh session

    /** Host key and authentication; the session, or null when either failed. */
    private ClientSession connect(Diagnosis d, SshConnector connector, String via) {
        ClientSession session;
        try {
            session = connector.connect(target);
        } catch (HostKeyException e) {
            d.fail("host key", e.getMessage(), "compare the fingerprint with the one the server's administrator"
                    + " gives you (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the server), then add it as"
                    + " the message says, or run once with --host-key-policy accept-new");
            return null;
        } catch (AuthenticationException e) {
            d.ok("host key", "accepted");
            d.fail("authentication", e.getMessage(), "put your public key in ~/.ssh/authorized_keys of "
                    + "that user on the server (ssh-copy-id), name the key with -i or IdentityFile, or add it to "
                    + "ssh-agent");
            return null;
        } catch (SshTunnelException e) {
            d.fail("ssh connection", e.getMessage(), "run again with --verbose; sshd's log on the server tells"
                    + " why it closed the connection (MaxStartups, AllowUsers, a banned address)");
            return null;
        }
        if (via != null) {
            d.ok("server", session.getServerVersion() + " (through " + via + ")");
        }
        PublicKey key = session.getServerKey();
        String source = session.getAttribute(KnownHostsVerifier.HOST_KEY_SOURCE);
        String keyText;
        if (key instanceof OpenSshCertificate) {
            OpenSshCertificate cert = (OpenSshCertificate) key;
            keyText = "host certificate " + KeyUtils.getKeyType(cert.getCertPubKey()) + " "
                    + KeyUtils.getFingerPrint(cert.getCertPubKey()) + " signed by CA "
                    + KeyUtils.getFingerPrint(cert.getCaPubKey());
        } else {
            keyText = KeyUtils.getKeyType(key) + " " + KeyUtils.getFingerPrint(key);
        }
        d.ok("host key", keyText + (source == null ? "" : " (" + source + ")"));
        AuthMethodsRecorder.Record auth = AuthMethodsRecorder.of(session);
        d.ok("authentication", session.getUsername() + " by " + (auth.succeeded() == null ? "?" : auth.succeeded())
                + (auth.offered().isEmpty() ? "" : " (server offers " + String.join(",", auth.offered()) + ")"));
        return session;
    }

    // ----------------------------------------------------------------------------------------- runtimes

    private void remote(Diagnosis d, SshConnector connector, ClientSession session) throws IOException {
        Exec id = exec(session, "id -u; id -un; id -Gn");
        List<String> idLines = id.out.lines().toList();
        int uid = 0;
        String user = session.getUsername();
        String groups = "";
        if (id.status == 0 && idLines.size() >= 3) {
            uid = Integer.parseInt(idLines.get(0).trim());
            user = idLines.get(1).trim();
            groups = idLines.get(2).trim();
            d.ok("remote user", user + " (uid " + uid + ", groups " + groups + ")");
        } else {
            d.add("remote user", Diagnosis.Status.WARN, "cannot run `id` (" + id.describe() + "); assuming uid 0",
                    "allow a shell for this user, or name the socket in the target: ssh://host/path/to.sock");
        }
        if (adapters.isEmpty()) {
            d.fail("runtimes", "no runtime adapter on the class path", "add an adapter artifact, e.g."
                    + " io.github.sshcontainer:ssh-container-docker");
            return;
        }
        boolean forwardingTried = false;
        for (RuntimeAdapter<?> adapter : adapters) {
            forwardingTried |= runtime(d, connector, session, adapter, uid, user, groups);
        }
        if (!forwardingTried && d.find("streamlocal forwarding") == null) {
            d.skip("streamlocal forwarding", "not tried: no runtime socket this user may use");
        }
    }

    /** One runtime's lines; true if a streamlocal channel was tried. */
    private <C> boolean runtime(Diagnosis d, SshConnector connector, ClientSession session, RuntimeAdapter<C> adapter,
            int uid, String user, String groups) throws IOException {
        String name = adapter.name();
        Map<String, Probe> probes = probe(session, adapter.socketCandidates(uid));
        List<String> parts = new ArrayList<>();
        String usable = null;
        Probe denied = null;
        for (Map.Entry<String, Probe> e : probes.entrySet()) {
            Probe p = e.getValue();
            parts.add(e.getKey() + " " + p.describe());
            if (p.usable() && usable == null) {
                usable = e.getKey();
            } else if (p.exists && p.socket && !p.access && denied == null) {
                denied = p;
            }
        }
        String found = String.join("; ", parts);
        if (usable != null) {
            d.ok(name + " socket", found);
        } else if (denied != null) {
            d.fail(name + " socket", found, "user " + user + " (groups " + groups + ") may not use "
                    + denied.path + " (" + denied.mode + " " + denied.owner + ":" + denied.group + "): add it to the"
                    + " socket's group (sudo usermod -aG " + denied.group + " " + user + ", then connect again), or"
                    + " connect as a user who may use it");
        } else {
            d.skip(name + " socket", "none found: " + found + " (not installed or not running; rootless: is the "
                    + "user service started?)");
        }
        boolean tried = false;
        if (usable != null) {
            tried = true;
            daemon(d, connector, adapter, usable);
        }
        if (name.equals("docker")) {
            String socket = usable != null ? usable : probes.keySet().iterator().next();
            dialStdio(d, session, socket);
        }
        return tried;
    }

    private <C> void daemon(Diagnosis d, SshConnector connector, RuntimeAdapter<C> adapter, String socket) {
        String name = adapter.name();
        Tunnel tunnel;
        try {
            tunnel = Tunnel.to(target, RemoteEndpoint.unixSocket(socket)).connector(connector).verifyRemote(true)
                    .open();
        } catch (RemoteUnavailableException e) {
            if (e.reason() == RemoteUnavailableException.Reason.FORWARDING_REFUSED) {
                d.fail("streamlocal forwarding", e.getMessage(), "in the server's sshd_config set"
                        + " AllowStreamLocalForwarding yes (and remove DisableForwarding yes / 'restrict' in"
                        + " authorized_keys) for this user, then reload sshd"
                        + (name.equals("docker") ? "; or rely on the dial-stdio fallback below" : ""));
            } else {
                d.fail(name + " daemon", e.getMessage(), "check the socket path and the daemon on the server");
            }
            return;
        } catch (IOException e) {
            d.fail(name + " daemon", "cannot open a tunnel to " + socket + ": " + e.getMessage(),
                    "run again with --verbose");
            return;
        }
        if (d.find("streamlocal forwarding") == null) {
            d.ok("streamlocal forwarding", "allowed (direct-streamlocal@openssh.com to " + socket + ")");
        }
        try (RuntimeConnection<C> c = RuntimeConnection.over(adapter, tunnel, Readiness.attempts(1, Duration.ZERO))) {
            d.ok(name + " daemon", adapter.describe(c.client()) + " at " + socket);
            d.runtimeReachable();
        } catch (IOException | RuntimeException e) {
            d.fail(name + " daemon", e.getMessage(), "the socket exists but the daemon does not answer: is it"
                    + " starting or hung? (systemctl status " + name + "; its log)");
        }
    }

    private void dialStdio(Diagnosis d, ClientSession session, String socket) {
        String quoted = "'unix://" + socket.replace("'", "'\\''") + "'";
        Exec r;
        try {
            r = exec(session, "command -v docker >/dev/null 2>&1 || { echo 'no docker CLI' >&2; exit 127; };"
                    + " docker -H " + quoted + " version --format '{{.Server.Version}}'");
        } catch (IOException e) {
            d.fail("docker dial-stdio", "cannot run a command on the server: " + e.getMessage(),
                    "the fallback needs a shell (exec channel) for this user");
            return;
        }
        if (r.status == 0 && !r.out.isBlank()) {
            d.ok("docker dial-stdio", "fallback would work: the server's docker CLI reaches Engine " + r.out.trim()
                    + " at " + socket);
            if (!d.isRuntimeReachable()) {
                d.runtimeReachable();
            }
        } else if (r.status == 127) {
            d.skip("docker dial-stdio", "fallback unavailable: no docker CLI on the server");
        } else {
            d.add("docker dial-stdio", Diagnosis.Status.WARN, "fallback would fail: docker -H unix://" + socket
                    + " version: " + r.describe(), "the server's docker CLI cannot reach the daemon as this user");
        }
    }

    // -------------------------------------------------------------------------------------- remote shell

    /** What the server says about one socket path. */
    private record Probe(String path, boolean exists, boolean socket, boolean access, String mode, String owner,
            String group) {
        boolean usable() {
            return exists && socket && access;
        }

        String describe() {
            if (!exists) {
                return "missing";
            }
            String attrs = mode + " " + owner + ":" + group;
            if (!socket) {
                return "not a socket (" + attrs + ")";
            }
            return access ? "usable (" + attrs + ")" : "permission denied (" + attrs + ")";
        }
    }

    private Map<String, Probe> probe(ClientSession session, List<String> paths) throws IOException {
        StringBuilder script = new StringBuilder();
        for (String p : paths) {
            String q = "'" + p.replace("'", "'\\''") + "'";
            script.append("p=").append(q).append("; if [ -e \"$p\" ]; then s=n; [ -S \"$p\" ] && s=y; a=n;"
                    + " [ -r \"$p\" ] && [ -w \"$p\" ] && a=y; echo \"y|$s|$a|$(stat -L -c '%A|%U|%G' \"$p\" 2>/dev/null)\";"
                    + " else echo n; fi; ");
        }
        Exec r = exec(session, script.toString());
        List<String> lines = r.out.lines().toList();
        Map<String, Probe> out = new LinkedHashMap<>();
        for (int i = 0; i < paths.size(); i++) {
            String[] f = (i < lines.size() ? lines.get(i) : "n").split("\\|", -1);
            boolean exists = f[0].equals("y");
            out.put(paths.get(i), new Probe(paths.get(i), exists, exists && f.length > 1 && f[1].equals("y"),
                    exists && f.length > 2 && f[2].equals("y"), f.length > 3 ? f[3] : "?", f.length > 4 ? f[4] : "?",
                    f.length > 5 ? f[5] : "?"));
        }
        return out;
    }

    /** Output and exit status of one remote command. */
    private record Exec(String out, String err, int status) {
        String describe() {
            String e = err.trim();
            return "exit " + status + (e.isEmpty() ? "" : ": " + e.lines().reduce((a, b) -> b).orElse(e));
        }
    }

    private static Exec exec(ClientSession session, String command) throws IOException {
        try (ChannelExec ch = session.createExecChannel(command)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            ch.setOut(out);
            ch.setErr(err);
            ch.open().verify(EXEC_TIMEOUT);
            ch.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), TimeUnit.SECONDS.toMillis(EXEC_TIMEOUT.toSeconds()));
            Integer status = ch.getExitStatus();
            return new Exec(out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8),
                    status == null ? -1 : status);
        }
    }
}
