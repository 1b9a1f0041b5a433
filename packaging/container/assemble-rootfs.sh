#!/usr/bin/env bash
# Assembles the container's runtime file set into a directory: the binary, exactly the shared
# libraries it loads (from ldd) and the dynamic loader, a non-root user (uid 10001), CA
# certificates, and empty data/config directories. No shell, no package manager. The Dockerfile
# copies this directory into a `FROM scratch` image; check-rootfs.sh proves it is complete.
# Usage: assemble-rootfs.sh BINARY OUT_DIR
set -euo pipefail
binary=$(readlink -f "$1")
out=$2
repo=$(cd "$(dirname "$0")/../.." && pwd)
rm -rf "$out"
mkdir -p "$out"/usr/local/bin "$out"/etc/auditrelay "$out"/var/lib/auditrelay "$out"/tmp
install -m 0755 "$binary" "$out/usr/local/bin/auditrelay"
if command -v strip > /dev/null; then strip --strip-debug "$out/usr/local/bin/auditrelay"; fi

# Every library the loader resolves, at the same path, plus the loader itself.
ldd "$binary" | awk '/=> \//{print $3} /^[ \t]*\/.*ld-linux/{print $1}' | sort -u | while read -r lib; do
  real=$(readlink -f "$lib")
  mkdir -p "$out$(dirname "$lib")"
  cp "$real" "$out$lib"
done

# The user the image runs as; /etc/hosts and /etc/resolv.conf come from the container runtime.
printf 'root:x:0:0:root:/:/sbin/nologin\nauditrelay:x:10001:10001:auditrelay:/var/lib/auditrelay:/sbin/nologin\n' > "$out/etc/passwd"
printf 'root:x:0:\nauditrelay:x:10001:\n' > "$out/etc/group"
printf 'hosts: files dns\n' > "$out/etc/nsswitch.conf"
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  mkdir -p "$out/etc/ssl/certs"
  cp /etc/ssl/certs/ca-certificates.crt "$out/etc/ssl/certs/"
fi
cp "$repo/packaging/container/auditrelay.yaml" "$out/etc/auditrelay/example.yaml"
chmod 1777 "$out/tmp"
# data_dir is a volume; the image works with a read-only root filesystem.
if [ "$(id -u)" = 0 ]; then chown 10001:10001 "$out/var/lib/auditrelay"; fi
echo "rootfs: $out ($(find "$out" -type f | wc -l) files, $(du -sh "$out" | cut -f1))"
