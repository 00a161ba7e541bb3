#!/usr/bin/env bash
# Runs a command in a network namespace of its own whose only interface is loopback: what it
# starts can reach 127.0.0.1 and nothing else, so a brokered request that a broken guard let
# through still leaves no packet on any network. (Root, or unprivileged user namespaces.)
set -euo pipefail
(( $# > 0 )) || { echo "usage: scripts/netns.sh COMMAND [ARGS...]" >&2; exit 2; }
command -v ip >/dev/null || { echo "netns: the ip command (iproute2) is required" >&2; exit 1; }
inner='ip link set lo up && exec "$@"'
if unshare -n true 2>/dev/null; then
  exec unshare -n -- bash -c "$inner" netns "$@"
elif unshare -rn true 2>/dev/null; then
  exec unshare -rn -- bash -c "$inner" netns "$@"
fi
echo "netns: cannot make a network namespace here (unshare -n needs root or user namespaces)" >&2
exit 1
