#!/usr/bin/env bash
# Installs what is needed, builds and runs every test three ways:
#   1. a normal build (-Wall -Wextra), all tests;
#   2. AddressSanitizer + UndefinedBehaviorSanitizer, all tests, built with clang together with
#      the libFuzzer targets, which then fuzz every format for a bounded time;
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

build_and_test() {  # dir, sanitizer, ctest args... (BUILD_TARGETS: only these, default all;
                    # EXTRA_CMAKE_ARGS: more configure arguments)
  local dir=$1 san=$2
  shift 2
  echo "=== build ${dir} (sanitize: ${san:-none})"
  # Every build keeps only line tables (-g1: enough for reports, backtraces and perf), which
  # compiles about 15 % faster than -g. Sanitized builds also use -O1 (the optimisation ASan
  # recommends): together about half the time of -O2 -g, which keeps the run within budget.
  local opt=-O2
  [ -n "$san" ] && opt=-O1
  local extra=("-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$opt -g1 -DNDEBUG" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=$opt -g1 -DNDEBUG")
  # shellcheck disable=SC2206
  extra+=(${EXTRA_CMAKE_ARGS:-})
  # AUDITRELAY_TESTS=ON explicitly: scripts/quickstart.sh configures the same build directory
  # with tests off, and the cache would keep that (ctest then found no tests and passed).
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAUDITRELAY_TESTS=ON \
        -DAUDITRELAY_SANITIZE="$san" \
        -DAUDITRELAY_BENCH="$([ -z "$san" ] && echo ON || echo OFF)" "${extra[@]}" >/dev/null
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
  # ASan+UBSan with clang, and the fuzz targets in the same build: clang-14 compiles this build in
  # about half the time GCC 12 does (a test file: 33 s against 64 s at -O1 -g1), and the fuzzers
  # need clang and these sanitizers anyway, so one build serves both (10 minutes on 2 cores,
  # against 14 for GCC's ASan build and 6 for the fuzz build it replaces). The normal build
  # stays GCC's, as shipped.
  # A build-asan configured with GCC by an older version of this script is started afresh: CMake
  # would otherwise drop every other -D of the compiler change, sanitizers included.
  if [ -f build-asan/CMakeCache.txt ] && ! grep -q '^CMAKE_CXX_COMPILER:.*clang' build-asan/CMakeCache.txt; then
    rm -rf build-asan
  fi
  EXTRA_CMAKE_ARGS="-DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 -DAUDITRELAY_FUZZ=ON" \
    build_and_test build-asan "address,undefined"
  # Only the test programs the filter below selects (and the agent binary they start).
  BUILD_TARGETS="auditrelay pipeline_tests driver_tests delivery_tests http_output_tests disk_buffer_tests coder_api_tests reload_tests journald_tests collector_output_tests tap_tests unit_tests" \
    build_and_test build-tsan "thread" \
    -R "^(Pipeline|OutputDriver|MemoryBudget|Concurrency/SplitBatch|Delivery\\.(CheckpointWaits|SmallBudget|StuckPart|NeverAcknowledged|InterleavedContainer|Schemas)|HttpOutput|SplunkHec|Schemas|DiskBuffer|CoderApi\\.(Backfill|Disconnect)|Reload|Journald\\.(FilesThatAppear|AVacuumedCursor|KillDashNine|AHeldBlock|AStuckPart)|Otlp|Elasticsearch|Tap|TapHub|TapStream|KafkaDeliveryRound)"
  # Fuzz every format for a bounded time (AUDITRELAY_FUZZ_SECONDS each), seeded with the samples,
  # as many targets at a time as there are cores.
  echo "=== fuzz"
  printf '%s\n' auto slog_json slog_human cri docker raw api otlp |
    xargs -P "$jobs" -I{} scripts/fuzz-one.sh build-asan {} "${AUDITRELAY_FUZZ_SECONDS:-20}"
  echo "fuzzing done: 8 targets, no crash"
fi
