#!/usr/bin/env bash
# Lints the chart and the plain manifests (no helm or cluster in Debian): yamllint on what is
# YAML before rendering, then lint-chart.py (values paths, template actions, manifests against
# the chart, the PrometheusRule and dashboard ConfigMap rendered, and `auditrelay validate` on
# every ConfigMap's config). Usage: test-chart.sh BINARY
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
yamllint -c "$here/../.yamllint" "$here/../kubernetes" "$here/auditrelay/values.yaml" "$here/auditrelay/Chart.yaml" \
  "$here/auditrelay/files"
/usr/bin/python3 "$here/lint-chart.py" --binary "$1"
