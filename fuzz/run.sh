#!/usr/bin/env bash
# Builds the libFuzzer targets with clang into build-fuzz (the `fuzz` preset)
# and runs each for the given seconds (default 60) on a copy of its seed
# corpus, so the seeds in the repository stay as they are.
#
#   fuzz/run.sh [seconds]
#
# Findings land in build-fuzz/findings/<target>/ (crash-*, timeout-*, leak-*);
# replay one with: build-fuzz/fuzz/<target> build-fuzz/findings/<target>/crash-…
# A target stops at its first finding; FUZZ_KEEP_GOING=1 runs it in a child
# process that is restarted after each one, collecting them all.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
jobs="${FUZZ_BUILD_JOBS:-2}"
keep_going=()
if [[ "${FUZZ_KEEP_GOING:-0}" == 1 ]]; then
  keep_going=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
fi

# The libraries evstream builds against, then clang and its libFuzzer runtime,
# from Debian, when missing.
scripts/install-deps
if ! command -v clang++ >/dev/null || ! dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null | grep -q "ok installed"; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev
fi
cmake --preset fuzz >/dev/null
targets=(block_parser block_readings http_request)
cmake --build --preset fuzz -j"$jobs" --target "${targets[@]/#/fuzz_}"

status=0
for target in "${targets[@]}"; do
  fuzzer="build-fuzz/fuzz/fuzz_${target}"
  corpus="build-fuzz/corpus/${target}"
  findings="build-fuzz/findings/${target}"
  mkdir -p "$corpus" "$findings"
  cp -n fuzz/corpus/"$target"/* "$corpus"/ || true # -n: keep what earlier runs found
  # The differential target starts from the parser's seeds too.
  if [[ "$target" == block_readings ]]; then cp -n fuzz/corpus/block_parser/* "$corpus"/ || true; fi
  echo "== fuzz_${target} for ${seconds} s"
  if ! "$fuzzer" "$corpus" -max_total_time="$seconds" -max_len=16384 -timeout=20 "${keep_going[@]}" \
      -artifact_prefix="$findings/" -print_final_stats=1 2>"build-fuzz/fuzz_${target}.log"; then
    status=1
    echo "fuzz_${target}: found something; see build-fuzz/fuzz_${target}.log and $findings/"
  fi
  tail -n 12 "build-fuzz/fuzz_${target}.log"
done
exit "$status"
