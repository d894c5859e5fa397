"""Boot test: the installed Debian package harvests a real kernel crash.

Opt-in and slow (about 5 minutes per scenario on two cores)::

    sudo python3 -m pytest -m kernel tests/test_boot_vm.py -v

Builds the .deb (packaging/build-deb.sh), a Debian 12 root file system with
systemd and Debian's kernel (packaging/boottest/build-rootfs.sh, cached in
$OOPS_HARVEST_BOOT_CACHE or /work/cache/boottest), installs the package into
a copy, and boots it in QEMU (TCG) with ramoops configured: one boot panics,
the next must have the report in /var/crash written by the installed unit
(scenarios: our unit first, systemd-pstore first, efi-pstore under OVMF),
or, in the kdump scenario, must report the real kdump-tools and kdump-utils
crash directories of samples/ laid into /var/crash and leave them as they
were.
packaging/boottest/run.py does the work; packaging/README.md describes the
scenarios and their checks.  Skips without root, QEMU or the build tools.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.kernel

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN = os.path.join(TOP, "packaging", "boottest", "run.py")
CACHE = os.environ.get("OOPS_HARVEST_BOOT_CACHE", "/work/cache/boottest")
SYS_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
TOOLS = ("qemu-system-x86_64", "mmdebstrap", "mkfs.ext4", "debugfs",
         "dpkg-buildpackage", "dh_python3")


def _skip_reason():
    if not sys.platform.startswith("linux"):
        return "needs Linux"
    if os.geteuid() != 0:
        return "needs root (chroot, dpkg, mkfs of the guest's root)"
    missing = [t for t in TOOLS if shutil.which(t, path=SYS_PATH) is None]
    if missing:
        return ("missing %s (apt-get install qemu-system-x86 mmdebstrap "
                "e2fsprogs debhelper dh-python pybuild-plugin-pyproject)"
                % ", ".join(missing))
    if not os.path.exists(os.path.join(TOP, "packaging", "debian", "control")):
        return "no packaging/debian in this tree"
    return None


@pytest.fixture(scope="module")
def deb():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    out = os.path.join(CACHE, "deb-pytest")
    shutil.rmtree(out, ignore_errors=True)
    subprocess.run([os.path.join(TOP, "packaging", "build-deb.sh"), out],
                   check=True, stdout=subprocess.DEVNULL,
                   env=dict(os.environ, PATH=SYS_PATH))
    debs = [f for f in os.listdir(out) if f.endswith("_all.deb")]
    assert len(debs) == 1, debs
    return os.path.join(out, debs[0])


@pytest.mark.parametrize("scenario", ["ours-first", "pstore-first", "efi",
                                      "kdump"])
def test_installed_unit_harvests_a_real_crash(deb, scenario):
    if scenario == "efi" and not any(os.path.exists("/usr/share/OVMF/" + f)
                                     for f in ("OVMF_CODE_4M.fd", "OVMF_CODE.fd")):
        pytest.skip("needs OVMF (apt-get install ovmf)")
    proc = subprocess.run(
        [sys.executable, RUN, "--scenario", scenario, "--deb", deb,
         "--cache", CACHE],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, timeout=3600)
    sys.stderr.write(proc.stderr[-6000:])
    summary_path = os.path.join(CACHE, "run-" + scenario, "summary.json")
    assert proc.returncode == 0 and os.path.exists(summary_path), (
        "boot test %s failed:\n%s" % (scenario, proc.stderr[-3000:]))
    with open(summary_path) as f:
        summary = json.load(f)
    assert summary["failed"] == [], summary["failed"]
    assert summary["passed"] >= 10
    harvest = summary["results"]["harvest"]
    reports = [e for e in harvest["var_crash"] if e["name"].endswith(".crash")]
    # kdump: one report per crash directory (a kdump-tools and a kdump-utils one)
    assert len(reports) == (2 if scenario == "kdump" else 1)
    assert all((r["mode"], r["uid"]) == ("600", 0) for r in reports)
    assert harvest["pstore"] == []
    if scenario in ("ours-first", "kdump"):
        assert any("oops-harvest.service" in line for line in harvest["blame"])
