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
mkfifo "$workdir/stdout"
# Run in the scratch directory, so that no evstream.ini is picked up.
(cd "$workdir" && exec "$evstream" --host=127.0.0.1 --port=0 $options >"$workdir/stdout" 2>"$workdir/stderr") &
server_pid=$!
# Kept open until the end: the server writes again when it shuts down.
exec 3<"$workdir/stdout"
if ! IFS= read -r line <&3; then
  echo "run_live.sh: evstream did not start:" >&2
  cat "$workdir/stderr" >&2
  exit 1
fi
case $line in
  *"listening on http://127.0.0.1:"*) ;;
  *) echo "run_live.sh: unexpected first line from evstream: $line" >&2; exit 1 ;;
esac
port=${line#*http://127.0.0.1:}
port=${port%% *}
echo "server: evstream $options on port $port (pid $server_pid)"

status=0
"$evstream" scenario --live="http://127.0.0.1:$port" --time-scale="$scale" --server-pid="$server_pid" \
  "$scenario" || status=$?
exit $status
