#!/usr/bin/env bash
# Installs what is needed, builds and runs every test three ways:
#   1. a normal build (-Wall -Wextra), all tests;
#   2. AddressSanitizer + UndefinedBehaviorSanitizer, all tests;
#   3. ThreadSanitizer, the pipeline's concurrency tests.
# Set AUDITRELAY_TEST_QUICK=1 to run only the first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc)

build_and_test() {  # dir, sanitizer, ctest args...
  local dir=$1 san=$2
  shift 2
  echo "=== build ${dir} (sanitize: ${san:-none})"
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAUDITRELAY_SANITIZE="$san" \
        -DAUDITRELAY_BENCH=$([ -z "$san" ] && echo ON || echo OFF) >/dev/null
  cmake --build "$dir" -j "$jobs"
  echo "=== test ${dir}"
  (cd "$dir" && ctest --output-on-failure -j "$jobs" "$@")
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

build_and_test build ""
if [ "${AUDITRELAY_TEST_QUICK:-0}" != "1" ]; then
  build_and_test build-asan "address,undefined"
  build_and_test build-tsan "thread" -R "^(Pipeline|Delivery\\.CheckpointWaits)"
fi
