#!/usr/bin/env bash
# Installs everything auditrelay needs to build and test, from Debian's registry.
# Idempotent: when every package is already present it returns at once without apt.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates openssl
  libcurl4-openssl-dev libssl-dev librdkafka-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
  libconcurrentqueue-dev libsimdjson-dev libcli11-dev zlib1g-dev libzstd-dev libsystemd-dev
  systemd-journal-remote
  libgtest-dev libgmock-dev libbenchmark-dev libcpp-httplib-dev nlohmann-json3-dev
  libprotobuf-dev protobuf-compiler
)

# --fuzz: also the clang toolchain with libFuzzer; --packaging: what the packaging tests use
# (.deb tools, systemd-analyze, yamllint and Python's YAML for the chart); --promtool: Debian's
# prometheus package, for promtool, which checks and unit-tests the alert rules (it is a whole
# Prometheus server: not for a host that only builds the .deb). scripts/test.sh passes all three.
for arg in "$@"; do
  case "$arg" in
    --fuzz) PACKAGES+=(clang-14 libclang-rt-14-dev) ;;
    --packaging) PACKAGES+=(dpkg-dev binutils systemd yamllint python3-yaml) ;;
    --promtool) PACKAGES+=(prometheus) ;;
    *) echo "install-deps.sh: unknown option $arg (--fuzz, --packaging, --promtool)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
