#!/bin/sh
# httpd in the background and a trap, so that SIGTERM (docker stop) ends the container at once:
# a PID 1 without a handler would ignore it and be killed only after the grace period.
httpd -f -p 80 -h /www &
pid=$!
trap 'kill "$pid"; exit 0' TERM INT
wait "$pid"
