#!/bin/sh
# GET  /cgi-bin/kv          -> every key as "key=value" lines
# GET  /cgi-bin/kv/KEY      -> the value (404 if absent)
# POST /cgi-bin/kv/KEY      -> stores the request body
# POST /cgi-bin/kv/KEY?incr -> adds 1 (absent = 0), answers the new value
data=/data
reply() {
  printf 'HTTP/1.1 %s\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n' "$1"
  [ -n "$2" ] && printf '%s\n' "$2"
  exit 0
}
token=$(cat /run/secrets/kv_token 2>/dev/null)
[ -n "$token" ] || reply "500 Internal Server Error" "kv: no secret kv_token"
[ "$HTTP_X_KV_TOKEN" = "$token" ] || reply "403 Forbidden" "kv: bad or missing X-Kv-Token"

key=${PATH_INFO#/}
if [ -z "$key" ]; then
  [ "$REQUEST_METHOD" = GET ] || reply "405 Method Not Allowed" "kv: GET only"
  printf 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n'
  for f in "$data"/*; do
    [ -f "$f" ] && printf '%s=%s\n' "${f##*/}" "$(cat "$f")"
  done
  exit 0
fi
case $key in
  *[!A-Za-z0-9_.-]* | .*) reply "400 Bad Request" "kv: bad key" ;;
esac

case $REQUEST_METHOD in
  GET)
    [ -f "$data/$key" ] || reply "404 Not Found" "kv: no key $key"
    reply "200 OK" "$(cat "$data/$key")"
    ;;
  POST)
    if [ "$QUERY_STRING" = incr ]; then
      # mkdir is atomic: it is the lock around read-add-write (httpd forks one CGI per request).
      lock=$data/.lock.$key
      n=0
      until mkdir "$lock" 2>/dev/null; do
        n=$((n + 1))
        [ $n -gt 200 ] && rmdir "$lock" 2>/dev/null  # a stale lock: break it after ~2 s
        usleep 10000
      done
      v=$(cat "$data/$key" 2>/dev/null)
      v=$((${v:-0} + 1))
      echo "$v" >"$data/.tmp.$key" && mv "$data/.tmp.$key" "$data/$key"
      rmdir "$lock"
      reply "200 OK" "$v"
    fi
    head -c "${CONTENT_LENGTH:-0}" >"$data/.tmp.$key" && mv "$data/.tmp.$key" "$data/$key"
    reply "200 OK" "stored $key"
    ;;
  *) reply "405 Method Not Allowed" "kv: GET or POST" ;;
esac
