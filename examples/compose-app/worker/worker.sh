#!/bin/sh
# "sleep & wait" rather than "sleep": wait is interrupted by SIGTERM, so the trap ends the loop
# at once on docker stop.
trap 'exit 0' TERM INT
token=$(cat /run/secrets/kv_token)
while :; do
  timeout 3 wget -q -O /dev/null --header "X-Kv-Token: $token" \
    --post-data "$(hostname) $(date +%s)" http://kv/cgi-bin/kv/heartbeat ||
    echo "worker: kv not reachable" >&2
  sleep 1 &
  wait $!
done
