#!/usr/bin/env bash
# Installs what is needed, builds and runs every test three ways:
#   1. a normal build (-Wall -Wextra), all tests;
#   2. AddressSanitizer + UndefinedBehaviorSanitizer, all tests;
#   3. ThreadSanitizer, the concurrent parts: the pipeline, the output driver with several
#      senders and its acknowledgement thread, the HTTP and HEC outputs, the disk buffer, the
#      kill -9 delivery tests, the API input's acknowledgements. Not Kafka: librdkafka (2.0.2)
#      starts its threads with C11 thrd_create, which glibc 2.36 implements without the
#      pthread_create ThreadSanitizer intercepts, so TSan has no state for those threads and
#      crashes (SEGV at 0xc38) at their first intercepted call, in the tests' mock cluster and in
#      a TSan-built agent alike. The Kafka output's concurrency runs under ASan and normally.
# Set AUDITRELAY_TEST_QUICK=1 to run only the first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --fuzz --packaging --promtool
jobs=$(nproc)

# Sanitized builds use -O1 -g1 (the optimisation ASan recommends, line tables for the reports):
# they compile in about half the time of -O2 -g, which keeps the whole run within budget.
san_flags=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG")

build_and_test() {  # dir, sanitizer, ctest args... (BUILD_TARGETS: only these, default all)
  local dir=$1 san=$2
  shift 2
  echo "=== build ${dir} (sanitize: ${san:-none})"
  local extra=()
  [ -n "$san" ] && extra=("${san_flags[@]}")
  # AUDITRELAY_TESTS=ON explicitly: scripts/quickstart.sh configures the same build directory
  # with tests off, and the cache would keep that (ctest then found no tests and passed).
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAUDITRELAY_TESTS=ON \
        -DAUDITRELAY_SANITIZE="$san" \
        -DAUDITRELAY_BENCH=$([ -z "$san" ] && echo ON || echo OFF) "${extra[@]}" >/dev/null
  # shellcheck disable=SC2086
  cmake --build "$dir" -j "$jobs" ${BUILD_TARGETS:+--target $BUILD_TARGETS}
  echo "=== test ${dir}"
  (cd "$dir" && ctest --output-on-failure --no-tests=error -j "$jobs" "$@")
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp"

build_and_test build ""
if [ "${AUDITRELAY_TEST_QUICK:-0}" != "1" ]; then
  build_and_test build-asan "address,undefined"
  # Only the test programs the filter below selects (and the agent binary they start).
  BUILD_TARGETS="auditrelay pipeline_tests driver_tests delivery_tests http_output_tests disk_buffer_tests coder_api_tests reload_tests journald_tests collector_output_tests tap_tests unit_tests" \
    build_and_test build-tsan "thread" \
    -R "^(Pipeline|OutputDriver|Concurrency/SplitBatch|Delivery\\.(CheckpointWaits|StuckPart|NeverAcknowledged|InterleavedContainer|Schemas)|HttpOutput|SplunkHec|Schemas|DiskBuffer|CoderApi\\.(Backfill|Disconnect)|Reload|Journald\\.(FilesThatAppear|AVacuumedCursor|KillDashNine|AHeldBlock|AStuckPart)|Otlp|Elasticsearch|Tap|TapHub|TapStream|KafkaDeliveryRound)"
  # Fuzz every format for a bounded time (AUDITRELAY_FUZZ_SECONDS each), seeded with the samples.
  echo "=== fuzz"
  CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DAUDITRELAY_FUZZ=ON -DAUDITRELAY_SANITIZE="address,undefined" -DAUDITRELAY_BENCH=OFF \
        "${san_flags[@]}" >/dev/null
  fuzzers="auto slog_json slog_human cri docker raw api otlp"
  cmake --build build-fuzz -j "$jobs" --target write_hostile_seeds $(for f in $fuzzers; do printf 'fuzz_%s ' "$f"; done)
  for f in $fuzzers; do
    corpus=$(mktemp -d)
    cp config/samples/*.log "$corpus"/
    cp tests/fuzz/seeds/* "$corpus"/   # REST API rows, one per line
    cp tests/fuzz/regressions/* "$corpus"/   # inputs that once crashed a target; run first
    build-fuzz/tests/write_hostile_seeds "$corpus" >/dev/null   # nesting, NUL, invalid UTF-8, huge numbers...
    echo "fuzz_$f: ${AUDITRELAY_FUZZ_SECONDS:-20}s"
    if ! build-fuzz/tests/fuzz_"$f" -max_total_time="${AUDITRELAY_FUZZ_SECONDS:-20}" -max_len=8192 \
         -rss_limit_mb=2048 -print_final_stats=1 "$corpus" > build-fuzz/fuzz_"$f".log 2>&1; then
      tail -40 build-fuzz/fuzz_"$f".log
      echo "fuzz_$f found a problem (log: build-fuzz/fuzz_$f.log)"
      exit 1
    fi
    grep -E "^stat::number_of_executed_units" build-fuzz/fuzz_"$f".log || true
    rm -rf "$corpus"
  done
  echo "fuzzing done: 8 targets, no crash"
fi
