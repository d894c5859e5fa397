#!/bin/sh
# Build (once) the Debian 12 root filesystem that the boot test installs the
# freshly built oops-harvest .deb into: systemd, Debian's own kernel and
# initramfs, and the package's runtime dependencies.  Made with mmdebstrap
# from Debian's archive (the mirror of this machine's apt sources).
#
#   packaging/boottest/build-rootfs.sh [CACHE_DIR [EXTRA_PACKAGES]]
#                                                   (root; ~3-6 minutes)
#
# EXTRA_PACKAGES (comma-separated) are added for other guests built on the
# same base (tests/security/vm_planted.py adds python3-pytest and strace).
# Result: the directory CACHE_DIR/rootfs-<key> (reused while the package
# list is the same); the boot test copies it before installing anything.  CACHE_DIR defaults to $OOPS_HARVEST_BOOT_CACHE or /work/cache/boottest.
set -eu
CACHE=${1:-${OOPS_HARVEST_BOOT_CACHE:-/work/cache/boottest}}
SUITE=bookworm
MIRROR=${OOPS_HARVEST_MIRROR:-http://deb.debian.org/debian}
EXTRA=${2:-}
# The last three: the .deb's Depends (packaging/debian/control), which dpkg -i
# does not fetch.
PACKAGES="systemd,systemd-sysv,udev,dbus,kmod,linux-image-amd64,initramfs-tools,zstd,python3,python3-construct,python3-systemd,python3-yaml${EXTRA:+,$EXTRA}"
KEY=$(printf '%s %s %s' "$SUITE" "$MIRROR" "$PACKAGES" | sha256sum | cut -c1-12)
OUT="$CACHE/rootfs-$KEY"
if [ -e "$OUT/.complete" ]; then
    echo "$OUT"
    exit 0
fi
command -v mmdebstrap >/dev/null || {
    apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q mmdebstrap >&2
}
mkdir -p "$CACHE"
rm -rf "$OUT.tmp" "$OUT"
# The guest boots with root=/dev/vda: the initramfs needs virtio_blk and ext4
# (MODULES=dep would guess from this build host, so list them).
mmdebstrap --variant=minbase --include="$PACKAGES" \
    --essential-hook='mkdir -p "$1/etc/initramfs-tools/conf.d"; printf "MODULES=most\n" > "$1/etc/initramfs-tools/conf.d/oops-harvest-test.conf"' \
    --customize-hook='echo oh-boottest > "$1/etc/hostname"' \
    --customize-hook='printf "/dev/vda / ext4 rw,errors=remount-ro 0 1\n" > "$1/etc/fstab"' \
    --customize-hook='chroot "$1" passwd -d root' \
    "$SUITE" "$OUT.tmp" "$MIRROR" >&2
touch "$OUT.tmp/.complete"
mv "$OUT.tmp" "$OUT"
echo "$OUT"
