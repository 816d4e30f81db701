#!/bin/sh
# GET / : forwards to http://<one replica of app>/. The replica is picked round-robin among all
# the addresses DNS gives for the name "app" (one per replica), so that every replica answers in
# turn whatever order the resolver returns them in. front is on two networks and some engines
# (podman's aardvark-dns) give one name server per network, each knowing only the names of its
# own network: ask each server of resolv.conf until one knows "app".
ips=
for ns in $(awk '/^nameserver/ { print $2 }' /etc/resolv.conf); do
  ips=$(nslookup app "$ns" 2>/dev/null |
    awk '/^Name:/ { name = 1 } name && /^Address/ { print $NF }' | sort)
  [ -n "$ips" ] && break
done
target=app
if [ -n "$ips" ]; then
  set -- $ips
  i=$(cat /tmp/rr 2>/dev/null)
  i=$((${i:-0} + 1))
  echo "$i" >/tmp/rr
  shift $((i % $#))
  target=$1
fi
if body=$(timeout 5 wget -q -O- "http://$target/"); then
  printf 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n%s\n' "$body"
else
  printf 'HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\n\r\nfront: app (%s) unreachable\n' "$target"
fi
