#!/usr/bin/env bash
# Checks the Prometheus alert rules: yamllint, `promtool check rules`, the unit tests
# (`promtool test rules`: series in, alerts out) and lint-rules.py (every alert has a severity,
# a summary, a description, a test where it fires and one where it does not; one Coder alert
# per built-in alert rule, with its wording). promtool comes with Debian's prometheus package
# (scripts/install-deps.sh --promtool).
# Usage: test-rules.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v promtool >/dev/null; then
  echo "test-rules.sh: promtool not found (Debian package prometheus: scripts/install-deps.sh --promtool)" >&2
  exit 1
fi
cd "$here"
yamllint -c ../.yamllint auditrelay-rules.yaml auditrelay-rules.test.yaml
promtool check rules auditrelay-rules.yaml
promtool test rules auditrelay-rules.test.yaml
/usr/bin/python3 lint-rules.py
