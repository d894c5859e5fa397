#!/bin/sh
# Build the Debian package from this source tree:
#
#   packaging/build-deb.sh [OUTDIR]         (default: packaging/out)
#
# Copies the tree (git's tracked and untracked-but-not-ignored files, so
# local changes are included and build leftovers are not) to a scratch
# directory, puts packaging/debian there as debian/, and runs
# `dpkg-buildpackage -us -uc -b`.  The .deb, .buildinfo and .changes land in
# OUTDIR.  Build dependencies: `apt-get build-dep ./packaging` does not work
# (debian/ is not at the top); packaging/ci.sh installs them, or run
#   apt-get install debhelper dh-python pybuild-plugin-pyproject \
#                   python3-all python3-setuptools python3-construct
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
out=${1:-$here/out}
mkdir -p "$out"
out=$(cd "$out" && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/oops-harvest-deb.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
src="$scratch/oops-harvest-0.1.1"
mkdir "$src"
cd "$top"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard |
        grep -zv '^packaging/out/' |
        xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
        tar --null -T - -cf - | tar -xf - -C "$src"
else
    tar --exclude=./packaging/out --exclude=./build --exclude=./.git \
        --exclude='*.egg-info' --exclude=__pycache__ -cf - . | tar -xf - -C "$src"
fi
cp -r "$src/packaging/debian" "$src/debian"
cd "$src"
# Debian's own python3 only: a pyenv or virtualenv python on PATH would
# build for the wrong interpreter.
env PATH=/usr/sbin:/usr/bin:/sbin:/bin dpkg-buildpackage -us -uc -b
cp "$scratch"/*.deb "$scratch"/*.buildinfo "$scratch"/*.changes "$out"/
ls "$out"/*.deb
