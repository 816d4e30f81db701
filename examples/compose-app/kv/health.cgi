#!/bin/sh
# Healthy when the secret is there and the data volume is writable.
if [ -s /run/secrets/kv_token ] && touch /data/.health 2>/dev/null; then
  printf 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nok\n'
else
  printf 'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n\r\nnot ready\n'
fi
