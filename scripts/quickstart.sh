#!/usr/bin/env bash
# Installs what is needed, builds auditrelay and runs it on the bundled Coder samples, printing
# audit/v1 events on stdout. It stops by itself after a few seconds (the agent itself runs until
# SIGTERM); pass --follow to keep it running.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh >&2
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAUDITRELAY_TESTS=OFF -DAUDITRELAY_BENCH=OFF >/dev/null
cmake --build build --target auditrelay -j "$(nproc)" >&2   # stdout carries only the events
export AUDITRELAY_DATA_DIR="$(mktemp -d /tmp/auditrelay-quickstart.XXXXXX)"
if [ "${1:-}" = "--follow" ]; then
  exec ./build/auditrelay run --config config/quickstart.yaml --log-format text
fi
./build/auditrelay run --config config/quickstart.yaml --log-format text &
pid=$!
sleep 4
kill -TERM "$pid"
wait "$pid"
