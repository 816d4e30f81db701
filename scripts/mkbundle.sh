#!/usr/bin/env bash
# mkbundle.sh DIR [ARGS...] : make an OCI bundle in DIR with a busybox rootfs.
#   DIR/rootfs     busybox-static plus one symlink per applet, /etc/passwd, /etc/group
#   DIR/config.json from `$BERTH_RUNTIME spec` (default runc), terminal false, args = ARGS or ["sh"]
# It runs once per end-to-end test, so it only copies busybox and creates symlinks.
set -euo pipefail

usage() { echo "usage: $0 DIR [ARGS...]" >&2; exit 2; }
[[ $# -ge 1 ]] || usage
dir=$1
shift
runtime=${BERTH_RUNTIME:-runc}
busybox=${BUSYBOX:-/bin/busybox}

[[ -x $busybox ]] || { echo "mkbundle: $busybox missing (apt-get install busybox-static)" >&2; exit 1; }
command -v jq >/dev/null || { echo "mkbundle: jq missing" >&2; exit 1; }

rootfs=$dir/rootfs
mkdir -p "$rootfs"/{bin,sbin,etc,proc,sys,dev,tmp,root}
chmod 1777 "$rootfs/tmp"
chmod 0700 "$rootfs/root"
cp "$busybox" "$rootfs/bin/busybox"

# One symlink per applet (`busybox --list`), flat in /bin like `busybox --install`, relative
# so it resolves the same on the host and inside the container. One process, no fork per link.
"$busybox" --list | /usr/bin/python3 -c '
import os, sys
d = sys.argv[1]
for name in sys.stdin.read().split():
    if name != "busybox" and not os.path.lexists(os.path.join(d, name)):
        os.symlink("busybox", os.path.join(d, name))
' "$rootfs/bin"

cat >"$rootfs/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PW
cat >"$rootfs/etc/group" <<'GR'
root:x:0:
nobody:x:65534:
GR

# `spec` refuses to overwrite an existing config.json, and writes into the cwd.
rm -f "$dir/config.json"
(cd "$dir" && "$runtime" spec)
args=$(if [[ $# -eq 0 ]]; then jq -nc '["sh"]'; else jq -nc '$ARGS.positional' --args -- "$@"; fi)
tmp=$dir/config.json.tmp
jq --argjson args "$args" '.process.terminal = false | .process.args = $args' \
  "$dir/config.json" >"$tmp"
mv "$tmp" "$dir/config.json"
