#!/usr/bin/env bash
# Stops the daemons ci/start-services.sh started (those with a pid file in ${SSHC_CI_DIR:-/tmp/sshc-ci}),
# in reverse order: the Podman API service, the registry, then dockerd (it stops its containers through containerd), then containerd.
# Daemons that were already running before start-services.sh are not touched. Idempotent.
set -euo pipefail

DIR="${SSHC_CI_DIR:-/tmp/sshc-ci}"
GRACE="${SSHC_CI_STOP_TIMEOUT:-30}"   # seconds between SIGTERM and SIGKILL

stop() {
  local name=$1 pidfile="$DIR/$1.pid" pid
  [[ -f $pidfile ]] || return 0
  pid=$(cat "$pidfile")
  # a stale pid file may name a pid since reused by another program: only signal the daemon itself
  if [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$name" ]]; then
    echo "== stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + GRACE))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "!! $name (pid $pid) ignored SIGTERM for ${GRACE}s; sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
}

stop podman
stop docker-registry
stop dockerd
stop containerd
