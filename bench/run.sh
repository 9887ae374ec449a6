#!/usr/bin/env bash
# Builds evstream and its benchmark (Release, in build-bench/) and runs every
# workload — W1 fan-out to 100, 1 000 and 10 000 subscribers, W2 idle scale,
# W3 keep-alive precision, W4 slow consumers, W6 filtered and resumed
# neighbours, W5 ingest, W7 connection churn — each repeated (W7 once), each
# beside its reference, then prints one table and writes it, with the date,
# the machine and this command, to docs/performance.md (the text below the
# table comes from bench/performance_notes.md).
#
#   bench/run.sh                  # about 6 minutes on 2 cores
#   bench/run.sh --big            # W2 with 100 000 connections instead of 10 000
#   bench/run.sh --json out.json  # also write every figure as JSON
#   bench/run.sh --reps 5         # repetitions per workload (default 3; W7 runs once)
#   bench/run.sh --no-build       # run what build-bench/ already holds
#   bench/run.sh --no-page        # leave docs/performance.md as it is
#
# Exit status 0 when every check passed (every event delivered exactly once
# and in order, every close code right, servers exiting cleanly).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build="$repo/build-bench"
command="$0${*:+ $*}"
big=0 json="" reps=3 build_first=1 page="$repo/docs/performance.md"
while (($#)); do
  case "$1" in
    --big) big=1 ;;
    --json) json=$(realpath -m "$2"); shift ;;
    --json=*) json=$(realpath -m "${1#--json=}") ;;
    --reps) reps=$2; shift ;;
    --reps=*) reps=${1#--reps=} ;;
    --no-build) build_first=0 ;;
    --no-page) page="" ;;
    -h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

if ((build_first)); then
  # One compile at a time: the machine is shared.
  cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j"$(nproc)" --target evstream evstream_bench
fi

bench="$build/bench/evstream_bench"
work=$(mktemp -d /tmp/evstream-bench.XXXXXX)
results="$work/results.jsonl"
common=(--server="$build/evstream" --reps="$reps" --out="$results" --log-dir="$work/logs")
status=0
run() {
  echo "== evstream_bench $*" >&2
  # The workload's own options last, so that one may override a common one.
  "$bench" "$1" "${common[@]}" "${@:2}" >>"$work/tables.txt" || status=1
}

run w1 --subscribers=100 --blocks=20
run w1 --subscribers=1000 --blocks=10
run w1 --subscribers=10000 --blocks=3 --deadline=120
if ((big)); then
  run w2 --connections=100000 --ping-interval-ms=30000 --hold-ms=30000 --deadline=400
else
  run w2 --connections=10000 --ping-interval-ms=5000 --hold-ms=10000
fi
run w3 --silent=20 --pinging=5 --timeout-ms=2000
run w4 --subscribers=100 --slow=10 --blocks=40 --interval-ms=100 --send-budget-bytes=1048576
run w6 --subscribers=100 --filtered=50 --resumed=50 --warmup-blocks=10 --blocks=20
run w5 --blocks=100
# One repetition: its twelve rounds are the series a leak shows in, and each
# repetition is two servers × 36 000 connections.
run w7 --rounds=12 --per-round=3000 --reps=1 --deadline=120
run w8 --subscribers=100 --blocks=20

echo >&2
table=(--results="$results" --command="$command")
[[ -n $json ]] && table+=(--json="$json")
[[ -n $page ]] && table+=(--page="$page" --notes="$repo/bench/performance_notes.md")
"$bench" table "${table[@]}" || status=1
echo "(server logs and each workload's own table: $work)" >&2
exit "$status"
