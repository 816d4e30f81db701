#!/usr/bin/env bash
# demo.sh: build Berth, then run a busybox container through berth-runtime and print what it sees
# from the inside (hostname, ids, namespaces, cgroup limits). Everything is removed afterwards.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD

bash scripts/setup.sh
runtime=${BERTH_RUNTIME:-$repo/build/src/cmd/berth-runtime/berth-runtime}
[[ $(id -u) -eq 0 ]] || { echo "demo: containers need root" >&2; exit 1; }

tmp=$(mktemp -d /tmp/berth-demo.XXXXXX)
id=berth-demo-$$
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  "$runtime" --root "$tmp/state" delete --force "$id" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# shellcheck disable=SC2016  # expanded inside the container
script='
echo "hostname:      $(hostname)"
echo "id:            $(id)"
echo "my pid:        $$ (pid namespace), $(ls -d /proc/[0-9]* | wc -l) processes visible"
mem=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max)
echo "memory limit:  $mem bytes"
echo "pids limit:    $(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max)"
echo "capabilities:  $(grep CapEff /proc/self/status)"
echo "root fs:       $(echo $(ls /))"
touch /probe 2>/dev/null && echo "rootfs:        writable" || echo "rootfs:        read-only"
'
BERTH_RUNTIME=$runtime bash scripts/mkbundle.sh "$tmp/bundle" sh -c "$script"
cfg=$tmp/bundle/config.json
jq '.hostname = "berth-demo"
    | .linux.resources.memory.limit = 67108864
    | .linux.resources.pids.limit = 64' "$cfg" >"$cfg.new"
mv "$cfg.new" "$cfg"

echo "== $runtime run $id (busybox, 64 MiB, 64 pids) =="
rc=0
"$runtime" --root "$tmp/state" run --bundle "$tmp/bundle" "$id" || rc=$?
echo "== exit status $rc =="
exit "$rc"
