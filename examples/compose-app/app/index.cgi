#!/bin/sh
# GET / : increments "hits" (all replicas) and "hits.<hostname>" (this replica) in kv.
token=$(cat /run/secrets/kv_token)
incr() {
  timeout 3 wget -q -O- --header "X-Kv-Token: $token" --post-data "" "http://kv/cgi-bin/kv/$1?incr"
}
host=$(hostname)
if total=$(incr hits) && mine=$(incr "hits.$host"); then
  printf 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n'
  printf 'app %s: request %s (this replica: %s)\n' "$host" "$total" "$mine"
else
  printf 'HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\n\r\napp %s: kv unreachable\n' "$host"
fi
