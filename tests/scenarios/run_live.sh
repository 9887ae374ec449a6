#!/bin/sh
# Plays one scenario live: starts evstream on 127.0.0.1 and a free port with
# the options the scenario needs (timeouts scaled by TIME_SCALE), plays the
# scenario against it over real sockets, and stops the server however the
# scenario ended.
#
# Usage: run_live.sh PATH_TO_EVSTREAM SCENARIO.json [TIME_SCALE]
set -eu
evstream=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
scenario=$2
scale=${3:-0.01}

workdir=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  exec 3<&- 2>/dev/null || true
  rm -rf "$workdir"
}
trap cleanup EXIT INT TERM

options=$("$evstream" scenario --server-options --time-scale="$scale" "$scenario")
mkfifo "$workdir/stderr"
# Run in the scratch directory, so that no evstream.ini is picked up.
(cd "$workdir" && exec "$evstream" --host=127.0.0.1 --port=0 $options 2>"$workdir/stderr" >/dev/null) &
server_pid=$!
exec 3<"$workdir/stderr"
# Its log, up to the "listening" line with the URL; the rest is drained to a
# file, so that the server never blocks on a full pipe.
port=
while IFS= read -r line <&3; do
  echo "$line" >>"$workdir/log"
  case $line in
    *'"event":"listening"'*)
      port=$(printf '%s\n' "$line" | sed -n 's/.*"url":"http:\/\/127\.0\.0\.1:\([0-9]*\)".*/\1/p')
      break ;;
  esac
done
if [ -z "$port" ]; then
  echo "run_live.sh: evstream did not start:" >&2
  cat "$workdir/log" >&2
  exit 1
fi
cat <&3 >>"$workdir/log" &
echo "server: evstream $options on port $port (pid $server_pid)"

status=0
"$evstream" scenario --live="http://127.0.0.1:$port" --time-scale="$scale" --server-pid="$server_pid" \
  "$scenario" || status=$?
exit $status
