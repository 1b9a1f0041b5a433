#!/usr/bin/env bash
# Builds the .deb from a build directory and checks it: the file list, the control fields, the
# maintainer scripts, and that the packaged binary runs. Usage: test-deb.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/out" > "$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; fail "cpack"; }
deb=$(ls "$work"/out/auditrelay_*_amd64.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "no .deb in $work/out"

dpkg-deb -c "$deb" | awk '{print $6}' | sed 's#^\./#/#' | grep -v '/$' | sort > "$work/files"
source=$(cd "$(dirname "$0")/../.." && pwd)
{
  cat <<'LIST'
/usr/bin/auditrelay
/usr/lib/systemd/system/auditrelay.service
/usr/share/doc/auditrelay/CHANGELOG.md
/usr/share/doc/auditrelay/README.md
/usr/share/doc/auditrelay/examples/auditrelay.yaml
LIST
  for page in "$source"/docs/*.md; do echo "/usr/share/doc/auditrelay/docs/$(basename "$page")"; done
} | sort > "$work/expected"
diff -u "$work/expected" "$work/files" || fail "file list differs from the expected one"

dpkg-deb -f "$deb" Package | grep -qx auditrelay || fail "Package"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libcurl4 librdkafka1 libyaml-cpp0.7 libsimdjson14 libssl3; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
dpkg-deb -e "$deb" "$work/control"
for s in postinst prerm postrm; do
  [ -x "$work/control/$s" ] || fail "maintainer script $s missing or not executable"
  sh -n "$work/control/$s" || fail "$s: syntax"
done
grep -q '/etc/auditrelay/auditrelay.yaml' "$work/control/postinst" || fail "postinst installs no config"

# The packaged files work: the binary runs, the example config is valid, the unit names the
# packaged binary.
dpkg-deb -x "$deb" "$work/root"
"$work/root/usr/bin/auditrelay" version | grep -q auditrelay || fail "packaged binary does not run"
sed "s#^data_dir: .*#data_dir: $work/data#" "$work/root/usr/share/doc/auditrelay/examples/auditrelay.yaml" > "$work/example.yaml"
"$work/root/usr/bin/auditrelay" validate --config "$work/example.yaml" || fail "example config invalid"
grep -q '^ExecStart=/usr/bin/auditrelay run' "$work/root/usr/lib/systemd/system/auditrelay.service" ||
  fail "unit does not run /usr/bin/auditrelay"
echo "deb ok: $(basename "$deb"), $(wc -l < "$work/files") files, Depends: $depends"
