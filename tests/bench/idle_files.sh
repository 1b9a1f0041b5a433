#!/usr/bin/env bash
# Idle cost of watching many files: N files (default 1,000) with a few lines each are read, then
# left alone; the agent's CPU time over the idle window is printed as a share of one core.
#   tests/bench/idle_files.sh [build/auditrelay] [files] [seconds] [extra input options]
set -euo pipefail
bin=${1:-build/auditrelay}
files=${2:-1000}
secs=${3:-30}
extra=${4:-}
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/in"
for i in $(seq 1 "$files"); do
  printf '{"ts":"2025-09-16T12:00:00Z","level":"INFO","msg":"hello %d"}\n' "$i" > "$work/in/f$i.log"
done
cat > "$work/cfg.yaml" <<YAML
data_dir: $work/data
inputs:
  - {type: file, paths: ["$work/in/*.log"], format: slog_json$extra}
outputs:
  - {type: file, path: $work/out.ndjson}
YAML
"$bin" run --config "$work/cfg.yaml" 2> "$work/agent.log" &
pid=$!
for _ in $(seq 1 600); do
  [ -f "$work/out.ndjson" ] && [ "$(wc -l < "$work/out.ndjson")" -ge "$files" ] && break
  sleep 0.1
done
sleep 2
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks)
sleep "$secs"
t1=$(ticks)
rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
awk -v d=$((t1 - t0)) -v hz="$hz" -v s="$secs" -v f="$files" -v rss="$rss" \
  'BEGIN { printf "idle files: %d watched, %.3f CPU s over %d s = %.2f%% of a core, peak RSS %.1f MiB\n", f, d / hz, s, 100 * d / hz / s, rss / 1024 }'
