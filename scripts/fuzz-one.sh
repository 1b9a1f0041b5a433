#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time on a corpus of the samples, the seeds, the past
# regressions and generated hostile inputs. scripts/test.sh runs one per core.
#   scripts/fuzz-one.sh BUILD_DIR TARGET SECONDS    (TARGET: auto, slog_json, ..., otlp)
set -euo pipefail
cd "$(dirname "$0")/.."
build=$1 f=$2 seconds=$3
[ -x "$build/tests/write_hostile_seeds" ] || { echo "fuzz_$f: $build is not a fuzz build"; exit 1; }
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
cp config/samples/*.log "$corpus"/
cp tests/fuzz/seeds/* "$corpus"/         # REST API rows, one per line
cp tests/fuzz/regressions/* "$corpus"/   # inputs that once crashed a target; run first
"$build"/tests/write_hostile_seeds "$corpus" >/dev/null   # nesting, NUL, invalid UTF-8, huge numbers...
log="$build/fuzz_$f.log"
if [ ! -x "$build/tests/fuzz_$f" ]; then
  echo "fuzz_$f: $build/tests/fuzz_$f is not built (configure with -DAUDITRELAY_FUZZ=ON and clang)"
  exit 1
fi
# A crashing input is written beside the log (crash-<sha1>), not into the source tree.
if ! "$build"/tests/fuzz_"$f" -max_total_time="$seconds" -max_len=8192 -rss_limit_mb=2048 \
     -artifact_prefix="$build/fuzz_$f-" -print_final_stats=1 "$corpus" > "$log" 2>&1; then
  tail -40 "$log"
  echo "fuzz_$f found a problem (log: $log)"
  exit 1
fi
echo "fuzz_$f: ${seconds}s, $(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}') runs, no crash"
