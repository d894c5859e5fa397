#!/bin/sh
# Debian packages the sample generator needs (Debian 12 "bookworm", run as root).
# Kernels and headers are not installed here: harness.py fetches them with
# `apt-get download` into its cache and unpacks them with dpkg-deb.
set -e
PKGS="qemu-system-x86 busybox-static ovmf gcc-12 gcc make libc6-dev cpio kmod xz-utils python3 dpkg-dev kexec-tools makedumpfile"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "installing:$missing"
	if [ "$(id -u)" != 0 ]; then
		echo "need root to apt-get install:$missing" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	# kexec-tools would otherwise default to LOAD_KEXEC=true: this host's own
	# reboots would then go through kexec.  The harness only needs the binaries.
	case "$missing" in
	*kexec-tools*)
		echo "kexec-tools kexec-tools/load_kexec boolean false" | debconf-set-selections
		;;
	esac
	# the package lists are needed for apt-get download of the kernels too
	apt-get update
	for i in 1 2 3 4 5 6; do
		apt-get install -y --no-install-recommends $missing && break
		echo "apt-get install failed (dpkg lock?), retrying in 10s" >&2
		sleep 10
	done
fi
# apt-get download needs current package lists
if [ -z "$(ls /var/lib/apt/lists/ 2>/dev/null | grep -i _Packages)" ]; then
	apt-get update
fi
