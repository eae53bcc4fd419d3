#!/usr/bin/env bash
# Runs a command in a fresh network namespace that has only `lo`, so browser tests provably keep
# every packet (WebSocket, WebRTC ICE/DTLS/SCTP, CDP) on 127.0.0.1/::1: with another interface up,
# Chromium would gather and may pick host candidates on it.
#
#   scripts/loopback-netns.sh vitest run --project browser
#
# Order of attempts: as root, `unshare --net`; otherwise an unprivileged user namespace
# (`unshare --user --map-root-user --net`, where the kernel allows it). If neither works (a
# container without CAP_SYS_ADMIN, user namespaces disabled) it warns and runs the command on the
# host network: tests still pass, since the relay, Vite and WebRTC all bind or prefer loopback,
# but nothing then guarantees that no packet uses another interface.
# TABMESH_NETNS=0 skips the namespace; TABMESH_NETNS=1 makes failing to create one an error.
set -euo pipefail
if [ "${TABMESH_NETNS:-}" = "0" ] || [ -n "${TABMESH_IN_NETNS:-}" ]; then exec "$@"; fi
export TABMESH_IN_NETNS=1
inner='ip link set lo up && exec "$@"'
if [ "$(id -u)" = 0 ] && unshare --net true 2>/dev/null; then
  exec unshare --net bash -c "$inner" _ "$@"
fi
if unshare --user --map-root-user --net bash -c 'ip link set lo up' 2>/dev/null; then
  exec unshare --user --map-root-user --net bash -c "$inner" _ "$@"
fi
if [ "${TABMESH_NETNS:-}" = "1" ]; then
  echo "loopback-netns: cannot create a network namespace (need root or unprivileged user namespaces)" >&2
  exit 1
fi
echo "loopback-netns: warning: cannot create a network namespace; running on the host network" >&2
unset TABMESH_IN_NETNS
exec "$@"
