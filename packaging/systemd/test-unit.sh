#!/usr/bin/env bash
# Checks the systemd unit: `systemd-analyze verify` reports nothing (it exits 0 even on unknown
# keys, so any output fails), and the hardening keeps the exposure score low.
# Usage: test-unit.sh BINARY
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
binary=$(readlink -f "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed "s#/usr/bin/auditrelay#$binary#g" "$here/auditrelay.service" > "$work/auditrelay.service"
out=$(systemd-analyze verify "$work/auditrelay.service" 2>&1) || { echo "$out"; exit 1; }
if [ -n "$out" ]; then echo "systemd-analyze verify: $out"; exit 1; fi
for key in DynamicUser=yes ProtectSystem=strict StateDirectory=auditrelay LogsDirectory=auditrelay \
           NoNewPrivileges=yes ExecReload=; do
  grep -q "^$key" "$work/auditrelay.service" || { echo "unit lacks $key"; exit 1; }
done
systemd-analyze security --offline=yes --threshold=25 "$work/auditrelay.service" > "$work/security" 2>&1 ||
  { tail -5 "$work/security"; echo "exposure above 2.5"; exit 1; }
grep 'Overall exposure' "$work/security"
