#!/usr/bin/env bash
# demo.sh: build Berth, start berthd (in a network namespace of its own, with a throwaway root),
# make a busybox base image offline, build a web-server image from a Dockerfile, run it with a
# published port and fetch its page through that port. Every step is a Docker Engine API call
# over berthd's unix socket (curl), exactly what the docker CLI sends. Everything is removed
# afterwards, also on failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD

bash scripts/setup.sh
[[ $(id -u) -eq 0 ]] || { echo "demo: containers need root" >&2; exit 1; }
berthd=${BERTHD:-$repo/build/src/cmd/berthd/berthd}
berth=${BERTH:-$repo/build/src/cmd/berth/berth}

tmp=$(mktemp -d /tmp/berth-demo.XXXXXX)
ns=berth-demo-$$
sock=$tmp/berth.sock
pid=
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  set +e
  [[ -S $sock ]] && BERTH_HOST=unix://$sock "$berth" rm -f demo-web >/dev/null 2>&1
  [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  grep -o " $tmp[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
  ip netns del "$ns" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

export BERTH_HOST=unix://$sock

echo "== berthd in network namespace $ns (root $tmp/root) =="
ip netns add "$ns"
nsenter --net="/run/netns/$ns" ip link set lo up
echo '{}' >"$tmp/daemon.json"
nsenter --net="/run/netns/$ns" "$berthd" --root "$tmp/root" --run-root "$tmp/run" \
  -H "unix://$sock" --config-file "$tmp/daemon.json" >"$tmp/berthd.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  curl -s --unix-socket "$sock" http://x/_ping >/dev/null 2>&1 && break
  sleep 0.1
done
"$berth" version

echo "== base image: busybox from Debian's busybox-static (berth import) =="
root=$tmp/bbroot
mkdir -p "$root"/{bin,etc,tmp,proc,sys,dev,root}
cp /bin/busybox "$root/bin/"
for a in $(/bin/busybox --list); do [[ $a == busybox ]] || ln -s busybox "$root/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\nwww:x:33:33:www:/www:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nwww:x:33:\n' >"$root/etc/group"
tar -C "$root" -cf "$tmp/busybox.tar" .
"$berth" import "$tmp/busybox.tar" busybox:latest

ctx=$tmp/ctx
echo "== berth build -t demo-web $ctx =="
mkdir -p "$ctx"
cat >"$ctx/Dockerfile" <<'EOF'
FROM busybox
RUN mkdir -p /www && echo "<h1>Hello from a Berth container</h1>" > /www/index.html \
 && echo "built on $(uname -r)" >> /www/index.html
EXPOSE 80
CMD ["httpd", "-f", "-p", "80", "-h", "/www"]
EOF
"$berth" build -t demo-web "$ctx"

echo "== berth run -d --name demo-web -p 8080:80 demo-web =="
"$berth" run -d --name demo-web -p 8080:80 demo-web
"$berth" ps

echo "== GET http://127.0.0.1:8080/ (the published port, from berthd's namespace) =="
for _ in $(seq 50); do
  if page=$(nsenter --net="/run/netns/$ns" curl -sf --max-time 2 http://127.0.0.1:8080/); then
    break
  fi
  sleep 0.1
done
echo "$page"
[[ $page == *"Hello from a Berth container"* ]] || { echo "demo: no page" >&2; exit 1; }
echo "== done: removing the container, stopping berthd, deleting $tmp =="
