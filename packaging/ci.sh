#!/bin/bash
# Packaging CI: build the Debian package, lint it, install it, and run the
# installed program on copies of real-kernel samples.
#
#   sudo packaging/ci.sh          (Debian 12, root, apt, PyPI; about 3 minutes)
#
# 1. installs its own build and test dependencies with apt
# 2. builds the .deb with dpkg-buildpackage (packaging/build-deb.sh)
# 3. lintian: fails on any error (warnings are shown)
# 4. installs the .deb on this machine; systemd-analyze verify and
#    systemd-analyze security (exposure at most SECURITY_THRESHOLD) on the
#    installed unit; checks the tmpfiles entry, man page and bash completion
# 5. installs the .deb with apt into a clean Debian 12 chroot (mmdebstrap,
#    so the declared Depends are all it gets) and runs the installed
#    oops-harvest there: --list and --collect on a copy of a ramoops sample
#    and on a copy of an efi-pstore /sys/fs/pstore, twice (nothing twice)
# 6. runs ./demo (the README's first command) as nobody from a clean copy
#    in a second clean Debian 12 chroot holding only python3, python3-venv
#    and git: it must write its two reports and leave the system Python alone
# 7. rpmlint on the RPM spec, when rpmlint can be installed
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

step "install on this machine"
apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "$deb" > "$work/install.log" 2>&1 ||
    { cat "$work/install.log"; fail "apt-get install $deb"; }
unit=/lib/systemd/system/oops-harvest.service
test -f "$unit" || fail "$unit not installed"
test -f /etc/oops-harvest/config.yaml || fail "config not installed"
dpkg-query -W -f='${Conffiles}\n' oops-harvest | grep -q /etc/oops-harvest/config.yaml ||
    fail "config.yaml is not a conffile"
# Enabled by default: deb-systemd-helper made the sysinit.target symlink.
test -L /etc/systemd/system/sysinit.target.wants/oops-harvest.service ||
    fail "unit not enabled by the package"

step "systemd-analyze verify"
systemd-analyze verify "$unit"
step "systemd-analyze security (threshold $SECURITY_THRESHOLD)"
systemd-analyze security --offline=true --threshold="$SECURITY_THRESHOLD" "$unit" |
    grep -E '^(✗|→)' || true
systemd-analyze security --offline=true --threshold="$SECURITY_THRESHOLD" "$unit" \
    >/dev/null || fail "exposure above $SECURITY_THRESHOLD/10"
for key in 'UMask=0077' 'ProtectSystem=strict' 'NoNewPrivileges=yes' \
           'PrivateNetwork=yes' 'ProtectHome=yes' 'TimeoutStartSec=' \
           'ReadWritePaths=/var/crash -/sys/fs/pstore -/sys/firmware/efi/efivars' \
           'Before=systemd-pstore.service' 'ConditionVirtualization=!container'; do
    grep -qF -- "$key" "$unit" || fail "unit lacks $key"
done

step "tmpfiles entry"
troot="$work/tmpfiles-root"
mkdir -p "$troot"
systemd-tmpfiles --root="$troot" --create /usr/lib/tmpfiles.d/oops-harvest.conf
[ "$(stat -c '%a %U %G' "$troot/var/crash")" = "1777 root root" ] ||
    fail "/var/crash created as $(stat -c '%a %U %G' "$troot/var/crash")"
[ "$(stat -c '%a %U' "$troot/var/lib/oops-harvest")" = "700 root" ] ||
    fail "state dir created as $(stat -c '%a %U' "$troot/var/lib/oops-harvest")"
chmod 3777 "$troot/var/crash"            # an existing one (whoopsie's) stays
systemd-tmpfiles --root="$troot" --create /usr/lib/tmpfiles.d/oops-harvest.conf
[ "$(stat -c '%a' "$troot/var/crash")" = 3777 ] || fail "tmpfiles changed /var/crash"

step "man page and bash completion"
warn=$(MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z \
       /usr/share/man/man8/oops-harvest.8.gz 2>&1 >/dev/null)
[ -z "$warn" ] || fail "man page warnings: $warn"
man -w oops-harvest >/dev/null 2>&1 || [ ! -e /usr/bin/mandb ] ||
    echo "note: man-db excludes /usr/share/man here; the page was checked directly"
comp=/usr/share/bash-completion/completions/oops-harvest
bash -n "$comp"
got=$(bash -c '. /usr/share/bash-completion/bash_completion; . '"$comp"'
    COMP_WORDS=(oops-harvest --co); COMP_CWORD=1; COMP_LINE="oops-harvest --co"
    COMP_POINT=${#COMP_LINE}; _oops_harvest; echo "${COMPREPLY[*]}"')
[ "$got" = "--collect --config" ] || fail "completion of --co gave '$got'"

step "clean Debian chroot with the package installed by apt"
chroot="$work/chroot"
cp "$deb" "$work/pkg.deb"
mmdebstrap --variant=minbase --skip=cleanup/apt \
    --customize-hook="copy-in $work/pkg.deb /tmp" \
    --customize-hook='chroot "$1" apt-get install -y -q --no-install-recommends /tmp/pkg.deb' \
    "$SUITE" "$chroot" "$MIRROR" > "$work/mmdebstrap.log" 2>&1 ||
    { tail -40 "$work/mmdebstrap.log"; fail "mmdebstrap"; }
grep -E 'Setting up (oops-harvest|python3-construct|python3-yaml)' \
    "$work/mmdebstrap.log" || true
mount -t proc proc "$chroot/proc"
in_chroot() { chroot "$chroot" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 "$@"; }
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
[ -z "$again" ] || fail "second --collect wrote again: $again"
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
[ -z "$again" ] || fail "second --collect on efi wrote again: $again"

step "ramoops region with ECC (reedsolo is not packaged in Debian 12)"
ecc=$top/samples/ramoops-6.1-ecc16/raw/ramoops.bin
if [ -f "$ecc" ]; then
    cp "$ecc" "$chroot/srv/s/ecc.bin"
    set +e
    in_chroot oops-harvest --list --source ramoops:/srv/s/ecc.bin > "$work/ecc.out" 2>&1
    rc=$?
    set -e
    tail -5 "$work/ecc.out"
    echo "exit status $rc (informational: see packaging/README.md on ECC)"
    [ "$rc" -le 2 ] || fail "ECC region without reedsolo: crash (exit $rc)"
fi

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

step "packaging CI passed in $((SECONDS - t0))s"
