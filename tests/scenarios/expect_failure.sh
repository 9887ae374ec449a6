#!/bin/sh
# A scenario that must fail: `evstream scenario` exits with EXIT_CODE and its
# output holds every one of the given lines (fixed strings).
#
# Usage: expect_failure.sh PATH_TO_EVSTREAM SCENARIO.json EXIT_CODE LINE...
evstream=$1
scenario=$2
wanted_status=$3
shift 3
output=$("$evstream" scenario "$scenario" 2>&1)
status=$?
printf '%s\n' "$output"
if [ "$status" -ne "$wanted_status" ]; then
  echo "expect_failure.sh: exit code $status, wanted $wanted_status" >&2
  exit 1
fi
for wanted in "$@"; do
  if ! printf '%s\n' "$output" | grep -qF -- "$wanted"; then
    echo "expect_failure.sh: the output lacks: $wanted" >&2
    exit 1
  fi
done
