#!/usr/bin/env bash
# Starts the container daemons the integration tests talk to, in the background, without systemd:
#   containerd -> /run/containerd/containerd.sock   (answers `ctr version`)
#   dockerd    -> /var/run/docker.sock              (answers `docker version`)
#   registry   -> http://127.0.0.1:5000             (docker-registry; answers `curl /v2/`), seeded with
#                 127.0.0.1:5000/busybox:latest: one layer of busybox-static (Docker Hub is unreachable here)
#   podman    -> /run/podman/podman.sock            (`podman system service`; answers GET /v4.0.0/libpod/_ping)
# Idempotent: a daemon that already answers is left alone (and not recorded, so stop-services.sh won't stop it).
# Logs and pid files go to ${SSHC_CI_DIR:-/tmp/sshc-ci}. Must run as root.
#
# Notes on this kind of machine (Debian 12, no systemd, cgroup v1 hybrid, iptables-nft):
# - dockerd needs no extra flags: it sets up docker0 and its nf_tables-backed iptables rules itself, and
#   uses cgroupfs (there is no systemd for the systemd cgroup driver) and overlay2 on ext4.
# - dockerd is pointed at OUR containerd (--containerd=...) instead of spawning a private one, so that
#   containerd-based tests and Docker see the same daemon.
set -euo pipefail

DIR="${SSHC_CI_DIR:-/tmp/sshc-ci}"
TIMEOUT="${SSHC_CI_START_TIMEOUT:-60}"   # seconds to wait for each daemon to answer
CONTAINERD_SOCK=/run/containerd/containerd.sock
DOCKER_SOCK=/var/run/docker.sock
mkdir -p "$DIR"

# wait_until NAME SECONDS PROBE...: polls PROBE until it succeeds; fails (with the log tail) on timeout
# or when the daemon we started has exited.
wait_until() {
  local name=$1 secs=$2; shift 2
  local deadline=$((SECONDS + secs)) pid
  pid=$(cat "$DIR/$name.pid" 2>/dev/null || true)
  until "$@" >/dev/null 2>&1; do
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
      echo "!! $name (pid $pid) exited before answering; last lines of $DIR/$name.log:" >&2
      tail -n 40 "$DIR/$name.log" >&2 || true
      return 1
    fi
    if ((SECONDS >= deadline)); then
      echo "!! $name did not answer within ${secs}s; last lines of $DIR/$name.log:" >&2
      tail -n 40 "$DIR/$name.log" >&2 || true
      return 1
    fi
    sleep 0.2
  done
}

# start NAME PROBE -- COMMAND...: runs COMMAND in the background unless PROBE already succeeds.
start() {
  local name=$1 probe=$2; shift 3
  if $probe >/dev/null 2>&1; then
    echo "== $name already answering; not starting another"
    return 0
  fi
  echo "== starting $name: $* (log $DIR/$name.log)"
  # setsid + no stdin: the daemon must not die with the calling shell's terminal or read its input
  setsid "$@" >"$DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$DIR/$name.pid"
  local t0=$EPOCHREALTIME
  wait_until "$name" "$TIMEOUT" $probe
  echo "== $name answers after $(awk "BEGIN{printf \"%.1f\", $EPOCHREALTIME - $t0}")s"
}

# [[ -S ]] first: ctr waits 10 s to dial a missing socket. `timeout`: a socket file left behind by a dead
# or wedged daemon must not make a probe hang.
containerd_up() { [[ -S $CONTAINERD_SOCK ]] && timeout 5 ctr --connect-timeout 2s --address "$CONTAINERD_SOCK" version; }
dockerd_up() { [[ -S $DOCKER_SOCK ]] && timeout 5 docker -H "unix://$DOCKER_SOCK" version; }

start containerd containerd_up -- containerd
start dockerd dockerd_up -- dockerd --containerd="$CONTAINERD_SOCK" -H "unix://$DOCKER_SOCK"

# The registry: plain HTTP on loopback (dockerd allows insecure registries on 127.0.0.0/8 without configuration).
# Not the Debian package's /etc/docker/registry/config.yml: that one turns on htpasswd authentication.
REGISTRY_ADDR="${SSHC_REGISTRY:-127.0.0.1:5000}"
REGISTRY_IMAGE="$REGISTRY_ADDR/busybox:latest"
mkdir -p "$DIR/registry"
printf '%s\n' 'version: 0.1' 'log:' '  level: warn' 'storage:' '  filesystem:' "    rootdirectory: $DIR/registry" \
  '  delete:' '    enabled: true' 'http:' "  addr: $REGISTRY_ADDR" >"$DIR/registry.yml"
registry_up() { curl -fsS --max-time 2 "http://$REGISTRY_ADDR/v2/"; }
start docker-registry registry_up -- docker-registry serve "$DIR/registry.yml"

# Seed it with busybox unless the registry already has the tag (one HEAD on the manifest: fast when seeded).
registry_has_busybox() {
  curl -fs --max-time 5 -o /dev/null -I -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$REGISTRY_ADDR/v2/busybox/manifests/latest"
}
if registry_has_busybox; then
  echo "== $REGISTRY_IMAGE already in the registry"
else
  echo "== seeding $REGISTRY_IMAGE from /bin/busybox (busybox-static)"
  rootfs=$(mktemp -d "$DIR/busybox-rootfs.XXXXXX")
  mkdir -p "$rootfs/root/bin" "$rootfs/root/tmp"
  cp /bin/busybox "$rootfs/root/bin/busybox"
  for applet in sh echo cat sleep ls head httpd; do ln -s busybox "$rootfs/root/bin/$applet"; done
  # fixed owner, order and times: the same busybox gives the same layer digest on every run
  tar -C "$rootfs/root" --owner=0 --group=0 --numeric-owner --mtime='2000-01-01 00:00:00Z' --sort=name \
    -cf "$rootfs/rootfs.tar" .
  docker -H "unix://$DOCKER_SOCK" import --change 'CMD ["sh"]' "$rootfs/rootfs.tar" "$REGISTRY_IMAGE" >/dev/null
  docker -H "unix://$DOCKER_SOCK" push "$REGISTRY_IMAGE" >/dev/null
  rm -rf "$rootfs"
  registry_has_busybox
  echo "== $REGISTRY_IMAGE pushed"
fi

# The Podman API service. Without systemd and on cgroup v1, `podman run` fails on setrlimit and on the systemd
# cgroup manager unless /etc/containers/containers.conf says otherwise. An existing file is the machine's own:
# it is left alone (with a warning when it lacks our settings).
PODMAN_SOCK=/run/podman/podman.sock
PODMAN_CONF=/etc/containers/containers.conf
if [[ ! -e $PODMAN_CONF ]]; then
  echo "== writing $PODMAN_CONF (no ulimits, cgroupfs, runc)"
  mkdir -p "$(dirname "$PODMAN_CONF")"
  printf '%s\n' '# written by ssh-container ci/start-services.sh' '[containers]' 'default_ulimits = []' '' '[engine]' \
    'cgroup_manager = "cgroupfs"' 'runtime = "runc"' >"$PODMAN_CONF"
elif ! grep -q 'cgroup_manager *= *"cgroupfs"' "$PODMAN_CONF" || ! grep -q 'default_ulimits *= *\[ *\]' "$PODMAN_CONF"; then
  echo "!! $PODMAN_CONF exists without default_ulimits = [] / cgroup_manager = \"cgroupfs\"; leaving it alone," \
    "but podman run may fail here" >&2
fi
mkdir -p "$(dirname "$PODMAN_SOCK")"
podman_up() { [[ -S $PODMAN_SOCK ]] && curl -fsS --max-time 2 --unix-socket "$PODMAN_SOCK" http://d/v4.0.0/libpod/_ping; }
start podman podman_up -- podman system service --time=0 "unix://$PODMAN_SOCK"
