#!/usr/bin/env bash
# Proves the assembled file set is all the binary needs: every library ldd resolves lies inside
# it, and the binary runs `version` and a `normalize` of a Coder sample from it alone, in a
# chroot when run as root, otherwise through the file set's own loader with its library path only.
# Usage: check-rootfs.sh ROOTFS [REFERENCE_BINARY]
set -euo pipefail
root=$(readlink -f "$1")
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=/usr/local/bin/auditrelay
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x "$root$bin" ] || fail "no $bin in $root"

# Only the binary, libraries, the loader and a few files under /etc.
extra=$(cd "$root" && find . -type f ! -path './usr/local/bin/auditrelay' ! -path './lib/*' \
        ! -path './lib64/*' ! -path './usr/lib/*' ! -path './etc/*' | sort)
[ -z "$extra" ] || fail "unexpected files in the file set: $extra"
[ ! -e "$root/bin/sh" ] || fail "a shell in the file set"

libdirs=$(cd "$root" && find . -name '*.so*' -type f -printf '%h\n' | sed "s#^\.#$root#" | sort -u | paste -sd:)
loader=$(cd "$root" && find . -name 'ld-linux*.so*' -type f | head -1)
[ -n "$loader" ] || fail "no dynamic loader in the file set"

# ldd with the library path pointing only into the file set: nothing may resolve outside it.
resolved=$(LD_LIBRARY_PATH="$libdirs" ldd "$root$bin")
if grep -q 'not found' <<<"$resolved"; then fail "unresolved: $resolved"; fi
outside=$(awk '/=> \//{print $3}' <<<"$resolved" | grep -v "^$root/" || true)
[ -z "$outside" ] || fail "libraries resolved outside the file set: $outside"

sample="$repo/config/samples/coderd.json.log"

expected=$("${2:-$repo/build/auditrelay}" normalize < "$sample" 2>/dev/null | wc -l || true)
if [ "$(id -u)" = 0 ] && command -v chroot > /dev/null; then
  how=chroot
  run() { chroot "$root" "$bin" "$@"; }
else
  how="loader --library-path"
  run() { "$root/${loader#./}" --inhibit-cache --library-path "$libdirs" "$root$bin" "$@"; }
fi
run version | grep -q auditrelay || fail "version from the file set ($how)"
events=$(run normalize < "$sample" | grep -c '"schema":"audit/v1"' || true)
[ "$events" -gt 0 ] || fail "normalize from the file set printed no events ($how)"
if [ "$expected" -gt 0 ] && [ "$events" != "$expected" ]; then
  fail "normalize from the file set printed $events events, the build $expected"
fi
echo "rootfs ok ($how): $(find "$root" -type f | wc -l) files, version runs, normalize printed $events events"
