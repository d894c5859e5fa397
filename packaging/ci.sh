#!/bin/bash
# Packaging CI: build the Debian package, lint it, install it in a clean
# chroot, and run the installed program there on copies of real-kernel
# samples.  The machine running CI never gets the package: its boot is
# left untouched (an oops-harvest an earlier CI run installed is purged).
#
#   sudo packaging/ci.sh          (Debian 12, root, apt, PyPI; about 4 minutes)
#
# 1. installs its own build and test tools with apt (they stay)
# 2. builds the .deb with dpkg-buildpackage (packaging/build-deb.sh)
# 3. lintian: fails on any error (warnings are shown); the docs it ships
# 4. installs the .deb with apt into a clean Debian 12 chroot (mmdebstrap,
#    with systemd, so the declared Depends are all it gets) and checks there
#    that the unit is enabled and the config a conffile; systemd-analyze
#    verify and security (exposure at most SECURITY_THRESHOLD) on the
#    installed unit; the tmpfiles entry, man page and bash completion
# 5. runs the installed oops-harvest in that chroot: --list and --collect
#    on a copy of a ramoops sample and on a copy of an efi-pstore
#    /sys/fs/pstore, twice (nothing twice), and an ECC region
# 6. runs ./demo (the README's first command) as nobody from a clean copy
#    in a second clean Debian 12 chroot holding only python3, python3-venv
#    and git: it must write its two reports and leave the system Python alone
# 7. rpmlint on the RPM spec, when rpmlint can be installed
# 8. checks that this machine has no oops-harvest package, unit or link
#
# Exits non-zero on the first failure.  Set KEEP=1 to keep the work dir.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
# Debian's tools and python3 only (no pyenv/virtualenv interpreter).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
SECURITY_THRESHOLD=${SECURITY_THRESHOLD:-15}     # tenths: 15 = "1.5 OK"
SUITE=bookworm
MIRROR=${OOPS_HARVEST_MIRROR:-http://deb.debian.org/debian}
t0=$SECONDS

work=$(mktemp -d /tmp/oops-harvest-ci.XXXXXX)
cleanup() {
    if [ -d "$work/chroot/proc" ] && mountpoint -q "$work/chroot/proc"; then
        umount "$work/chroot/proc" || true
    fi
    if [ "${KEEP:-0}" = 1 ]; then
        echo "work dir kept: $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
step() { printf '\n=== [%3ds] %s\n' "$((SECONDS - t0))" "$*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

# Where the package would put its unit and enable it: none may be on the
# machine running CI, before or after.
host_units() {
    ls -d /lib/systemd/system/oops-harvest.service \
        /usr/lib/systemd/system/oops-harvest.service \
        /lib/systemd/system/systemd-pstore.service.d/oops-harvest.conf \
        /etc/systemd/system/*.wants/oops-harvest.service 2>/dev/null || true
}
host_package() {
    dpkg-query -W -f='${db:Status-Abbrev}' oops-harvest 2>/dev/null | grep -v '^un' || true
}

step "this machine: no oops-harvest installed (an earlier CI run's is purged)"
if [ -n "$(host_package)" ]; then
    apt-get -o DPkg::Lock::Timeout=600 purge -y -q oops-harvest
fi
[ -z "$(host_units)" ] || fail "oops-harvest units on this machine, not from a package: $(host_units)"

step "install build and test dependencies"
deps="debhelper dh-python pybuild-plugin-pyproject python3-all
      python3-setuptools python3-construct python3-yaml lintian mmdebstrap
      systemd man-db bash-completion"
missing=
for p in $deps; do
    dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    apt-get -o DPkg::Lock::Timeout=600 update -q
    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $missing
fi
have_rpmlint=0
if ! command -v rpmlint >/dev/null; then
    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends rpmlint rpm >/dev/null 2>&1 || true
fi
command -v rpmlint >/dev/null && have_rpmlint=1

step "build the .deb"
"$here/build-deb.sh" "$work/out" > "$work/build.log" 2>&1 ||
    { tail -50 "$work/build.log"; fail "dpkg-buildpackage"; }
tail -3 "$work/build.log"
deb=$(ls "$work"/out/oops-harvest_*_all.deb)
changes=$(ls "$work"/out/oops-harvest_*.changes)
dpkg-deb -I "$deb" | sed -n '/Package:/,/Description:/p'
dpkg-deb -c "$deb" | awk '{print $1, $2, $6}' | grep -v '/$' | grep -v dist-packages

step "lintian"
rc=0
lintian --pedantic -I --fail-on error "$changes" > "$work/lintian.out" 2>&1 || rc=$?
grep -v 'root privileges' "$work/lintian.out" || echo "lintian: no tags"
[ "$rc" = 0 ] || fail "lintian reported errors (exit $rc)"

step "the documentation the package ships"
doc=usr/share/doc/oops-harvest
mkdir "$work/deb"
dpkg-deb -x "$deb" "$work/deb"
readme=$(ls "$work/deb/$doc"/README.md* 2>/dev/null | head -1)
[ -n "$readme" ] || fail "no /$doc/README.md"
zcat -f "$readme" | cmp -s - "$top/README.md" || fail "/$doc/README.md is not the project README"
zcat -f "$work/deb/$doc"/README.packaging.md* | cmp -s - "$here/README.md" ||
    fail "/$doc/README.packaging.md is not packaging/README.md"
ls "$work/deb/$doc"

step "clean Debian chroot with the package installed by apt"
chroot="$work/chroot"
cp "$deb" "$work/pkg.deb"
mmdebstrap --variant=minbase --include=systemd --skip=cleanup/apt \
    --customize-hook="copy-in $work/pkg.deb /tmp" \
    --customize-hook='chroot "$1" apt-get install -y -q --no-install-recommends /tmp/pkg.deb' \
    "$SUITE" "$chroot" "$MIRROR" > "$work/mmdebstrap.log" 2>&1 ||
    { tail -40 "$work/mmdebstrap.log"; fail "mmdebstrap"; }
grep -E 'Setting up (oops-harvest|python3-construct|python3-yaml)' \
    "$work/mmdebstrap.log" || true
mount -t proc proc "$chroot/proc"
in_chroot() { chroot "$chroot" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 "$@"; }
unit=/lib/systemd/system/oops-harvest.service
test -f "$chroot$unit" || fail "$unit not installed"
test -f "$chroot/lib/systemd/system/systemd-pstore.service.d/oops-harvest.conf" ||
    fail "the systemd-pstore drop-in is not installed"
test -f "$chroot/etc/oops-harvest/config.yaml" || fail "config not installed"
in_chroot dpkg-query -W -f='${Conffiles}\n' oops-harvest | grep -q /etc/oops-harvest/config.yaml ||
    fail "config.yaml is not a conffile"
# Enabled by default: deb-systemd-helper made the sysinit.target symlink.
test -L "$chroot/etc/systemd/system/sysinit.target.wants/oops-harvest.service" ||
    fail "unit not enabled by the package"

step "systemd-analyze verify (in the chroot)"
# --man=no: the chroot has no man; the page is checked below.
in_chroot systemd-analyze verify --man=no "$unit" systemd-pstore.service
step "systemd-analyze security (threshold $SECURITY_THRESHOLD)"
in_chroot systemd-analyze security --offline=true --threshold="$SECURITY_THRESHOLD" "$unit" |
    grep -E '^(✗|→)' || true
in_chroot systemd-analyze security --offline=true --threshold="$SECURITY_THRESHOLD" "$unit" \
    >/dev/null || fail "exposure above $SECURITY_THRESHOLD/10"
for key in 'UMask=0077' 'ProtectSystem=strict' 'NoNewPrivileges=yes' \
           'PrivateNetwork=yes' 'ProtectHome=yes' 'TimeoutStartSec=' \
           'ReadWritePaths=/var/crash -/sys/fs/pstore -/sys/firmware/efi/efivars' \
           'Before=systemd-pstore.service' 'ConditionVirtualization=!container' \
           'ConditionPathExists=|/var/lib/oops-harvest/systemd-pstore-archived'; do
    grep -qF -- "$key" "$chroot$unit" || fail "unit lacks $key"
done
grep -q 'ConditionDirectoryNotEmpty=|/var/lib/systemd/pstore' "$chroot$unit" &&
    fail "a non-empty systemd-pstore archive would start the unit at every boot"
# systemd-pstore with our drop-in leaves the marker the unit starts on.
grep -qx 'ExecStartPost=-/bin/touch /var/lib/oops-harvest/systemd-pstore-archived' \
    "$chroot/lib/systemd/system/systemd-pstore.service.d/oops-harvest.conf" ||
    fail "the systemd-pstore drop-in does not leave the marker"

step "tmpfiles entry"
troot="$work/tmpfiles-root"
mkdir -p "$troot"
tmpconf="$chroot/usr/lib/tmpfiles.d/oops-harvest.conf"
systemd-tmpfiles --root="$troot" --create "$tmpconf"
[ "$(stat -c '%a %U %G' "$troot/var/crash")" = "1777 root root" ] ||
    fail "/var/crash created as $(stat -c '%a %U %G' "$troot/var/crash")"
[ "$(stat -c '%a %U' "$troot/var/lib/oops-harvest")" = "700 root" ] ||
    fail "state dir created as $(stat -c '%a %U' "$troot/var/lib/oops-harvest")"
chmod 3777 "$troot/var/crash"            # an existing one (whoopsie's) stays
systemd-tmpfiles --root="$troot" --create "$tmpconf"
[ "$(stat -c '%a' "$troot/var/crash")" = 3777 ] || fail "tmpfiles changed /var/crash"

step "man page and bash completion"
warn=$(MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z \
       "$chroot/usr/share/man/man8/oops-harvest.8.gz" 2>&1 >/dev/null)
[ -z "$warn" ] || fail "man page warnings: $warn"
comp="$chroot/usr/share/bash-completion/completions/oops-harvest"
bash -n "$comp"
got=$(bash -c '. /usr/share/bash-completion/bash_completion; . '"$comp"'
    COMP_WORDS=(oops-harvest --co); COMP_CWORD=1; COMP_LINE="oops-harvest --co"
    COMP_POINT=${#COMP_LINE}; _oops_harvest; echo "${COMPREPLY[*]}"')
[ "$got" = "--collect --config" ] || fail "completion of --co gave '$got'"

step "installed oops-harvest in the chroot"
in_chroot which oops-harvest | grep -qx /usr/bin/oops-harvest ||
    fail "/usr/bin/oops-harvest missing in the chroot"
in_chroot oops-harvest --version
in_chroot python3 -c 'import harvester, parsers; print(harvester.__file__)' |
    grep -q '^/usr/lib/python3/dist-packages/harvester/' || fail "wrong module path"

sample=$top/samples/ramoops-6.1-basic/raw/ramoops.bin
efi=$top/samples/efi-6.1-two-dumps/pstore
mkdir -p "$chroot/srv/s/pstore"
cp "$sample" "$chroot/srv/s/ramoops.bin"
cp "$efi"/* "$chroot/srv/s/pstore/"
nefi=$(ls "$chroot/srv/s/pstore" | wc -l)

step "installed oops-harvest: default config, auto-discovery"
in_chroot oops-harvest --list

step "installed oops-harvest --list on a ramoops sample"
out=$(in_chroot oops-harvest --list --source ramoops:/srv/s/ramoops.bin)
echo "$out"
echo "$out" | grep -q 'Oops #1' || fail "--list: no Oops"
echo "$out" | grep -q 'Panic #2' || fail "--list: no Panic"
in_chroot oops-harvest --list --json --source ramoops:/srv/s/ramoops.bin |
    python3 -c 'import json,sys; r=json.load(sys.stdin); assert len(r)==2, r; print("json: %d records" % len(r))'

step "installed oops-harvest --collect on the ramoops sample"
args="--source ramoops:/srv/s/ramoops.bin --output-dir /srv/crash --state-dir /srv/state"
in_chroot oops-harvest --collect $args
reports=$(ls "$chroot/srv/crash" | grep -c '\.crash$' || true)
[ "$reports" = 2 ] || fail "expected 2 reports, got $reports: $(ls "$chroot/srv/crash")"
for f in "$chroot"/srv/crash/*.crash; do
    [ "$(stat -c '%a %u' "$f")" = "600 0" ] || fail "$f: mode/owner $(stat -c '%a %u' "$f")"
    head -c 200 "$f" | grep -q '^ProblemType: KernelOops' || fail "$f: not a KernelOops report"
    # apport's "name version" (no kernel package in the chroot: the build string's)
    grep -qx 'Package: linux-image-6.1.0-56-amd64 6.1.192-2' "$f" ||
        fail "$f: $(grep -a '^Package:' "$f")"
done
[ "$(stat -c '%a' "$chroot/srv/state")" = 700 ] || fail "state dir not 0700"
cmp -s "$sample" "$chroot/srv/s/ramoops.bin" || fail "the raw image was modified"
again=$(in_chroot oops-harvest --collect $args)
[ "$again" = "nothing to do: no new crash records" ] || fail "second --collect wrote again: $again"
[ "$(ls "$chroot/srv/crash" | grep -c '\.crash$')" = 2 ] || fail "second run added reports"
in_chroot oops-harvest --list --source ramoops:/srv/s/ramoops.bin --state-dir /srv/state |
    grep -c '\[harvested\]' | grep -qx 2 || fail "--list does not mark harvested events"

step "installed oops-harvest --collect on an efi-pstore /sys/fs/pstore copy"
cat > "$chroot/srv/s/config.yaml" <<'EOF'
sources: [pstore:/srv/s/pstore]
require_pstore_mount: false
output_dir: /srv/crash-efi
state_dir: /srv/state-efi
EOF
in_chroot oops-harvest --list --config /srv/s/config.yaml | head -20
in_chroot oops-harvest --collect --config /srv/s/config.yaml
n=$(ls "$chroot/srv/crash-efi" | grep -c '\.crash$' || true)
[ "$n" -ge 1 ] || fail "no report from the efi sample"
left=$(ls "$chroot/srv/s/pstore" | wc -l)
echo "efi: $n reports, $nefi records before, $left left after clearing"
[ "$left" -lt "$nefi" ] || fail "records of the reported dumps were not cleared"
again=$(in_chroot oops-harvest --collect --config /srv/s/config.yaml)
[ "$again" = "nothing to do: no new crash records" ] || fail "second --collect on efi wrote again: $again"

step "ramoops region with ECC (reedsolo is not packaged in Debian 12)"
# Found with its real layout (ecc=16) and its parity checked without
# reedsolo; --list says damaged blocks could not be repaired, and how.
ecc=$top/samples/ramoops-6.1-ecc16/raw/ramoops.bin
cp "$ecc" "$chroot/srv/s/ecc.bin"
in_chroot oops-harvest --list --source ramoops:/srv/s/ecc.bin > "$work/ecc.out" 2>&1 ||
    { cat "$work/ecc.out"; fail "--list of the ECC region"; }
tail -9 "$work/ecc.out"
grep -q 'ecc=16' "$work/ecc.out" || fail "ECC region not recognised as ecc=16"
tr -s ' \n' ' ' < "$work/ecc.out" | grep -q 'damaged blocks cannot be repaired (reedsolo is missing)' ||
    fail "--list does not say that damaged ECC blocks cannot be repaired"

step "./demo from a clean copy in a Debian 12 chroot with only python3, python3-venv, git"
# The README's first command as a new user runs it: the distribution's
# externally managed python3, no root, PyPI for the dependencies.  The copy
# holds git's tracked and untracked-but-not-ignored files (no .venv, no
# demo-output).  The chroot trusts the host's local CAs (a site proxy's).
demo_src="$work/demo-src/oops-harvest"
mkdir -p "$demo_src"
(cd "$top" && git ls-files -z --cached --others --exclude-standard |
    xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
    tar --null -T - -cf - | tar -xf - -C "$demo_src")
ca_hooks=()
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
    ca_hooks=(--customize-hook='mkdir -p "$1/usr/local/share/ca-certificates"'
              --customize-hook="copy-in /usr/local/share/ca-certificates /usr/local/share"
              --customize-hook='chroot "$1" update-ca-certificates >/dev/null')
fi
mmdebstrap --variant=minbase --include=python3,python3-venv,git \
    "${ca_hooks[@]}" \
    --customize-hook='mkdir -p "$1/home/demo"' \
    --customize-hook="copy-in $demo_src /home/demo" \
    --customize-hook='chroot "$1" chown -R nobody:nogroup /home/demo' \
    --customize-hook='chroot --userspec=nobody:nogroup "$1" env -i HOME=/home/demo PATH=/usr/bin:/bin LC_ALL=C.UTF-8 /home/demo/oops-harvest/demo' \
    "$SUITE" "$work/demo-chroot" "$MIRROR" > "$work/demo.log" 2>&1 ||
    { tail -40 "$work/demo.log"; fail "./demo in a clean Debian 12 chroot"; }
sed -n '/^== Harvesting/,/^== First/p' "$work/demo.log"
demo_root="$work/demo-chroot"
chroot "$demo_root" python3 -c 'import harvester' 2>/dev/null &&
    fail "./demo installed into the system Python"
leaked=$(find "$demo_root/usr/local/bin" "$demo_root/usr/local/lib" ! -type d -print -quit)
[ -z "$leaked" ] || fail "./demo installed into /usr/local: $leaked"
n=0
for f in "$demo_root"/home/demo/oops-harvest/demo-output/crash/*.crash; do
    [ -f "$f" ] || continue
    head -c 200 "$f" | grep -q '^ProblemType: KernelOops' || fail "$f: not a KernelOops report"
    n=$((n + 1))
done
[ "$n" = 2 ] || fail "./demo wrote $n reports, expected 2"
echo "./demo wrote $n reports as an unprivileged user; the system Python is untouched"

step "rpmlint on the RPM spec"
if [ "$have_rpmlint" = 1 ]; then
    rpmlint "$here/rpm/oops-harvest.spec" | tee "$work/rpmlint.out"
    grep -q ' 0 errors' "$work/rpmlint.out" || fail "rpmlint errors"
else
    echo "rpmlint not available: skipped"
fi

step "this machine is untouched: no oops-harvest package, unit or link"
[ -z "$(host_package)" ] || fail "oops-harvest is installed on this machine: $(host_package)"
[ -z "$(host_units)" ] || fail "oops-harvest units on this machine: $(host_units)"
echo "dpkg: no oops-harvest; no unit in /etc/systemd or /lib/systemd"

step "packaging CI passed in $((SECONDS - t0))s"
