#!/bin/sh
# Regenerate the real-kernel pstore samples.
#   samples/kernel/generate.sh                 # every scenario
#   samples/kernel/generate.sh ramoops-6.1-basic efi-6.1-two-dumps
#   samples/kernel/generate.sh --out /tmp/x ramoops-6.1-basic
# Cache (downloaded .debs, unpacked kernels, modules, initramfs):
# samples/kernel/.cache, or $OOPS_HARVEST_CACHE.
set -e
here=$(cd "$(dirname "$0")" && pwd)
sh "$here/install-deps.sh"
exec python3 "$here/harness.py" "$@"
