package io.github.sshcontainer.containerd;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.protobuf.Any;
import com.google.protobuf.ByteString;

/**
 * A minimal OCI runtime spec for a Linux container, equivalent to what containerd's {@code oci.WithDefaultSpec}
 * produces there: root filesystem {@code rootfs} (the task's rootfs mounts), user 0:0, the default capabilities and
 * {@code RLIMIT_NOFILE} 1024, no new privileges, the mounts {@code /proc /dev /dev/pts /dev/shm /dev/mqueue /sys
 * /run}, new pid/ipc/uts/mount/network namespaces, the usual masked and read-only paths, all devices denied, and
 * the cgroup {@code /NAMESPACE/ID}. Only the process (args, env, cwd) and hostname are chosen here.
 */
public final class RuntimeSpec {
    /** The type URL containerd stores a spec under in a container record. */
    public static final String TYPE_URL = "types.containerd.io/opencontainers/runtime-spec/1/Spec";
    /** The OCI runtime spec version written. */
    public static final String OCI_VERSION = "1.0.2-dev";
    /** The PATH of containerd's default spec. */
    public static final String DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private static final List<String> CAPS = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
            "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
            "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE");
    private static final List<String> MASKED = List.of("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
            "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
            "/proc/scsi");
    private static final List<String> READ_ONLY = List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
            "/proc/sysrq-trigger");

    private final List<String> args;
    private final List<String> env;
    private final String cwd;
    private final String hostname;

    private RuntimeSpec(List<String> args, List<String> env, String cwd, String hostname) {
        this.args = List.copyOf(args);
        this.env = List.copyOf(env);
        this.cwd = Objects.requireNonNull(cwd, "cwd");
        this.hostname = hostname;
    }

    /** A spec running {@code args} (the first is the program) with {@link #DEFAULT_PATH}, in {@code /}. */
    public static RuntimeSpec of(String... args) {
        return of(List.of(args));
    }

    /** A spec running {@code args} with {@link #DEFAULT_PATH}, in {@code /}. */
    public static RuntimeSpec of(List<String> args) {
        if (args.isEmpty()) {
            throw new IllegalArgumentException("a container needs a command: args must not be empty");
        }
        return new RuntimeSpec(args, List.of(DEFAULT_PATH), "/", null);
    }

    /** This spec with environment {@code env} ({@code NAME=value} each), replacing the default PATH. */
    public RuntimeSpec withEnv(List<String> env) {
        for (String e : env) {
            if (e.indexOf('=') <= 0) {
                throw new IllegalArgumentException("environment entry '" + e + "' is not NAME=value");
            }
        }
        return new RuntimeSpec(args, env, cwd, hostname);
    }

    /** This spec with the working directory {@code cwd} (absolute). */
    public RuntimeSpec withCwd(String cwd) {
        if (!cwd.startsWith("/")) {
            throw new IllegalArgumentException("the working directory must be absolute: " + cwd);
        }
        return new RuntimeSpec(args, env, cwd, hostname);
    }

    /** This spec with the container's hostname {@code hostname}. */
    public RuntimeSpec withHostname(String hostname) {
        return new RuntimeSpec(args, env, cwd, hostname);
    }

    public List<String> args() {
        return args;
    }

    public List<String> env() {
        return env;
    }

    public String cwd() {
        return cwd;
    }

    /** The spec as JSON for container {@code id} in containerd namespace {@code namespace}. */
    public JsonObject toJson(String namespace, String id) {
        JsonObject spec = new JsonObject();
        spec.addProperty("ociVersion", OCI_VERSION);
        JsonObject process = new JsonObject();
        JsonObject user = new JsonObject();
        user.addProperty("uid", 0);
        user.addProperty("gid", 0);
        process.add("user", user);
        process.add("args", strings(args));
        process.add("env", strings(env));
        process.addProperty("cwd", cwd);
        JsonObject caps = new JsonObject();
        caps.add("bounding", strings(CAPS));
        caps.add("effective", strings(CAPS));
        caps.add("permitted", strings(CAPS));
        process.add("capabilities", caps);
        JsonArray rlimits = new JsonArray();
        JsonObject nofile = new JsonObject();
        nofile.addProperty("type", "RLIMIT_NOFILE");
        nofile.addProperty("hard", 1024);
        nofile.addProperty("soft", 1024);
        rlimits.add(nofile);
        process.add("rlimits", rlimits);
        process.addProperty("noNewPrivileges", true);
        spec.add("process", process);
        JsonObject root = new JsonObject();
        root.addProperty("path", "rootfs");
        spec.add("root", root);
        if (hostname != null) {
            spec.addProperty("hostname", hostname);
        }
        JsonArray mounts = new JsonArray();
        mounts.add(mount("/proc", "proc", "proc", "nosuid", "noexec", "nodev"));
        mounts.add(mount("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k"));
        mounts.add(mount("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666",
                "mode=0620", "gid=5"));
        mounts.add(mount("/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k"));
        mounts.add(mount("/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev"));
        mounts.add(mount("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro"));
        mounts.add(mount("/run", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k"));
        spec.add("mounts", mounts);
        JsonObject linux = new JsonObject();
        JsonObject resources = new JsonObject();
        JsonArray devices = new JsonArray();
        JsonObject denyAll = new JsonObject();
        denyAll.addProperty("allow", false);
        denyAll.addProperty("access", "rwm");
        devices.add(denyAll);
        resources.add("devices", devices);
        linux.add("resources", resources);
        linux.addProperty("cgroupsPath", "/" + namespace + "/" + id);
        JsonArray namespaces = new JsonArray();
        for (String type : List.of("pid", "ipc", "uts", "mount", "network")) {
            JsonObject ns = new JsonObject();
            ns.addProperty("type", type);
            namespaces.add(ns);
        }
        linux.add("namespaces", namespaces);
        linux.add("maskedPaths", strings(MASKED));
        linux.add("readonlyPaths", strings(READ_ONLY));
        spec.add("linux", linux);
        return spec;
    }

    /** The spec as containerd stores it in a container record: JSON in an Any of type {@value #TYPE_URL}. */
    public Any toAny(String namespace, String id) {
        return Any.newBuilder().setTypeUrl(TYPE_URL)
                .setValue(ByteString.copyFrom(toJson(namespace, id).toString(), StandardCharsets.UTF_8)).build();
    }

    private static JsonObject mount(String destination, String type, String source, String... options) {
        JsonObject m = new JsonObject();
        m.addProperty("destination", destination);
        m.addProperty("type", type);
        m.addProperty("source", source);
        m.add("options", strings(List.of(options)));
        return m;
    }

    private static JsonArray strings(List<String> values) {
        JsonArray a = new JsonArray();
        new ArrayList<>(values).forEach(a::add);
        return a;
    }
}
