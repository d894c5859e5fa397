#!/usr/bin/env python3
"""End-to-end boot test of the installed package in a real Debian system.

Boots Debian 12's own kernel and systemd in QEMU (TCG) from a root file
system made with mmdebstrap (build-rootfs.sh), with the freshly built
oops-harvest .deb installed by dpkg and ramoops configured as a distro
maintainer would (modules-load.d plus ramoops.* on the kernel command line,
the region reserved with memmap=).  The guest RAM is a shared file, so the
ramoops region survives from one QEMU run to the next, as RAM does across a
warm reboot.

Scenarios (each on a fresh disk and a fresh RAM file):

ours-first
    boot 1 panics (sysrq c); boot 2 runs the installed unit, which must write
    exactly one report into /var/crash (0600 root), empty /sys/fs/pstore,
    leave nothing for systemd-pstore (enabled, as on Debian) and show in
    `systemd-analyze blame`; boot 3 must skip the unit (its conditions) and
    write nothing.
pstore-first
    boot 1 panics; boot 2 masks our unit, so systemd-pstore moves the records
    into /var/lib/systemd/pstore (and our drop-in leaves its marker); boot 3
    must harvest that archive (one report); on boot 4 the archive alone must
    not start the unit, and nothing is reported again.
efi
    UEFI firmware (OVMF) and efi-pstore instead of ramoops: boot 1 panics and
    the kernel writes the dump into UEFI variables; boot 2 must report it
    (efi_pstore loaded by modprobe@efi_pstore.service) and clear it, so that
    on boot 3 no dump-* variable is left in NVRAM and the unit is skipped.
kdump
    no crash boot: the real crash directories a Debian 6.1 capture kernel
    saved (samples/kdump-6.1-debian, kdump-tools' layout, and
    samples/kdump-6.1-fedora-layout, kdump-utils'; dumps truncated to 8 KiB)
    are laid into /var/crash as the savers leave them (root, the modes of
    samples/manifest.json, the capture kernel's mtimes).  Boot 1: kdump's
    files alone must start the unit (blame, journal), which must write one
    0600 root KernelCrash report per directory, its Title naming the crash
    that kexec'd (the sysrq panic; the Oops in oops_harvest_init) and its
    Date the directory's stamp; /var/crash, read from the disk image
    afterwards, must differ only by those reports (every kdump file's
    sha256, mode, owner and mtime as before).  Boot 2: the unit runs again
    and /var/crash stays exactly as it was.

    sudo packaging/boottest/run.py [--scenario ours-first|pstore-first|efi|kdump|all]
        [--deb FILE] [--cache DIR] [--keep]

Needs root, qemu-system-x86_64, mmdebstrap and e2fsprogs; ~5-10 minutes on
two cores (each boot takes 30-90 s under TCG).  The cache (root file system,
.deb, disk images) is $OOPS_HARVEST_BOOT_CACHE or /work/cache/boottest.
Prints one JSON summary per scenario; exits 0 when every check passed.
"""

import argparse
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
DEFAULT_CACHE = os.environ.get("OOPS_HARVEST_BOOT_CACHE", "/work/cache/boottest")
GUEST_MEM_MB = 1024
RAMOOPS = {"mem_address": 0x10000000, "mem_size": 0x100000,
           "record_size": 0x20000, "console_size": 0x20000}
BOOT_TIMEOUT = int(os.environ.get("OOPS_HARVEST_BOOT_TIMEOUT", "420"))
SYS_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"

# --- what goes into the guest ----------------------------------------------

CRASH_UNIT = """\
[Unit]
Description=oops-harvest boot test: crash this boot
ConditionKernelCommandLine=oh.crash
After=multi-user.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/oh-crash
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
"""

CRASH_SCRIPT = """\
#!/bin/sh
# Record what the crash boot saw, flush the disk, then panic the kernel.
echo "oh-crash: pstore before crash: $(ls /sys/fs/pstore | tr '\\n' ' ')"
ls /sys/fs/pstore > /root/oh-crash-boot-pstore.txt
sync
echo 1 > /proc/sys/kernel/sysrq
echo c > /proc/sysrq-trigger
"""

CHECK_UNIT = """\
[Unit]
Description=oops-harvest boot test: collect results, then power off
ConditionKernelCommandLine=oh.check
After=multi-user.target

[Service]
# simple, not oneshot: the boot must count as finished for systemd-analyze
Type=simple
ExecStart=/usr/local/sbin/oh-check
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
"""

CHECK_SCRIPT = r'''#!/usr/bin/python3
"""Write what the boot test asserts on to /root/oh-results-<tag>.json."""
import json, os, stat, subprocess, sys

def run(*cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    return p.stdout

run("systemctl", "is-system-running", "--wait")
tag = "x"
for word in open("/proc/cmdline").read().split():
    if word.startswith("oh.tag="):
        tag = word[7:]
res = {"tag": tag}
crash = []
for name in sorted(os.listdir("/var/crash")):
    st = os.lstat(os.path.join("/var/crash", name))
    entry = {"name": name, "mode": "%o" % stat.S_IMODE(st.st_mode),
             "uid": st.st_uid, "gid": st.st_gid, "size": st.st_size,
             "regular": stat.S_ISREG(st.st_mode)}
    if entry["regular"]:
        with open(os.path.join("/var/crash", name), "rb") as f:
            head = f.read(1 << 20).decode("utf-8", "replace")
        entry["problemtype"] = [l for l in head.splitlines()
                                if l.startswith("ProblemType:")]
        entry["title"] = [l for l in head.splitlines() if l.startswith("Title:")]
        entry["sysrq"] = "sysrq triggered crash" in head
        for key in ("Date", "KdumpDir"):
            entry[key.lower()] = [l[len(key) + 2:] for l in head.splitlines()
                                  if l.startswith(key + ": ")]
        entry["oops_harvest_init"] = "oops_harvest_init" in head
    crash.append(entry)
res["var_crash"] = crash
st = os.stat("/var/crash")
res["var_crash_dir"] = {"mode": "%o" % stat.S_IMODE(st.st_mode), "uid": st.st_uid}
try:
    st = os.stat("/var/lib/oops-harvest")
    res["state_dir"] = {"mode": "%o" % stat.S_IMODE(st.st_mode), "uid": st.st_uid,
                        "files": sorted(os.listdir("/var/lib/oops-harvest"))}
except OSError as exc:
    res["state_dir"] = str(exc)
res["pstore"] = sorted(os.listdir("/sys/fs/pstore"))
try:
    res["efi_dumps"] = sorted(n for n in os.listdir("/sys/firmware/efi/efivars")
                              if n.startswith("dump-"))
except OSError:
    res["efi_dumps"] = None
res["pstore_mounted"] = " /sys/fs/pstore " in open("/proc/self/mountinfo").read()
archive = []
for root, dirs, files in os.walk("/var/lib/systemd/pstore"):
    archive += [os.path.join(root, f) for f in files]
res["systemd_pstore_archive"] = sorted(archive)
props = "ActiveState,Result,ExecMainStatus,ConditionResult,ExecMainStartTimestampMonotonic,ExecMainExitTimestampMonotonic"
for unit in ("oops-harvest.service", "systemd-pstore.service"):
    res[unit] = dict(l.split("=", 1) for l in
                     run("systemctl", "show", unit, "-p", props).splitlines() if "=" in l)
res["blame"] = [l.strip() for l in run("systemd-analyze", "blame", "--no-pager").splitlines()
                if "oops-harvest" in l or "systemd-pstore" in l]
res["analyze_time"] = run("systemd-analyze", "time").strip()
res["critical_chain"] = run("systemd-analyze", "critical-chain", "--no-pager",
                            "oops-harvest.service").strip().splitlines()[-6:]
res["journal"] = run("journalctl", "-b", "-u", "oops-harvest.service", "-o",
                     "short-monotonic", "--no-pager").splitlines()[-40:]
res["dmesg_restrict"] = open("/proc/sys/kernel/dmesg_restrict").read().strip()
modules = open("/proc/modules").read()
res["lsmod_ramoops"] = "ramoops " in modules
res["lsmod_efi_pstore"] = "efi_pstore " in modules
res["failed_units"] = run("systemctl", "--failed", "--no-legend", "--plain").strip().splitlines()
res["kernel"] = os.uname().release
path = "/root/oh-results-%s.json" % tag
with open(path, "w") as f:
    json.dump(res, f, indent=1)
    f.flush()
    os.fsync(f.fileno())
print("oh-check: wrote " + path, flush=True)
subprocess.run(["sync"])
subprocess.run(["systemctl", "poweroff", "--no-block"])
'''

# --- host side ---------------------------------------------------------------


def log(msg):
    sys.stderr.write("[boottest %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def sh(cmd, **kw):
    env = dict(os.environ, PATH=SYS_PATH)
    return subprocess.run(cmd, check=True, env=env, **kw)


def missing_tools():
    need = ["qemu-system-x86_64", "mkfs.ext4", "debugfs", "mmdebstrap",
            "dpkg-buildpackage"]
    return [t for t in need if shutil.which(t, path=SYS_PATH) is None]


def build_deb(cache):
    out = os.path.join(cache, "deb")
    shutil.rmtree(out, ignore_errors=True)
    log("building the .deb")
    sh([os.path.join(TOP, "packaging", "build-deb.sh"), out],
       stdout=subprocess.DEVNULL)
    debs = [f for f in os.listdir(out) if f.endswith("_all.deb")]
    return os.path.join(out, debs[0])


def build_rootfs(cache):
    log("root file system (mmdebstrap, cached)")
    p = sh([os.path.join(HERE, "build-rootfs.sh"), cache],
           stdout=subprocess.PIPE, universal_newlines=True)
    return p.stdout.strip().splitlines()[-1]


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def make_disk(rootfs, deb, work, ramoops=True, setup=None):
    """Copy the cached root, install the package with dpkg, add the test
    units (and what ``setup(root)`` puts there), and make an ext4 image."""
    root = os.path.join(work, "root")
    shutil.rmtree(root, ignore_errors=True)
    log("copying the root file system")
    sh(["cp", "-a", rootfs, root])
    shutil.copy(deb, os.path.join(root, "tmp", "oops-harvest.deb"))
    log("installing %s with dpkg" % os.path.basename(deb))
    sh(["chroot", root, "env", "-i", "PATH=" + SYS_PATH, "dpkg", "-i",
        "/tmp/oops-harvest.deb"], stdout=subprocess.DEVNULL)
    os.unlink(os.path.join(root, "tmp", "oops-harvest.deb"))
    enabled = os.path.join(root, "etc/systemd/system/sysinit.target.wants/"
                                 "oops-harvest.service")
    if not os.path.islink(enabled):
        raise RuntimeError("the package did not enable oops-harvest.service")
    # ramoops as a distro maintainer enables it: the module is loaded early
    # by systemd-modules-load, its parameters come from the command line.
    if ramoops:
        write(os.path.join(root, "etc/modules-load.d/ramoops.conf"), "ramoops\n")
    # systemd-pstore waits for efi_pstore only: with ramoops loaded from
    # modules-load.d it can run before the records exist and find nothing
    # (seen here: its condition "no" with dmesg-ramoops-0 present), which
    # would make the pstore-first scenario test nothing.
    write(os.path.join(root, "etc/systemd/system/systemd-pstore.service.d/"
                             "oh-boottest.conf"),
          "[Unit]\nAfter=systemd-modules-load.service\n")
    write(os.path.join(root, "etc/systemd/system/oh-crash.service"), CRASH_UNIT)
    write(os.path.join(root, "etc/systemd/system/oh-check.service"), CHECK_UNIT)
    write(os.path.join(root, "usr/local/sbin/oh-crash"), CRASH_SCRIPT, 0o755)
    write(os.path.join(root, "usr/local/sbin/oh-check"), CHECK_SCRIPT, 0o755)
    wants = os.path.join(root, "etc/systemd/system/multi-user.target.wants")
    os.makedirs(wants, exist_ok=True)
    for unit in ("oh-crash.service", "oh-check.service"):
        link = os.path.join(wants, unit)
        if not os.path.islink(link):
            os.symlink("/etc/systemd/system/" + unit, link)
    if setup:
        setup(root)
    return finish_disk(root, work)


def finish_disk(root, work):
    """Mask the gettys, take the kernel and initramfs out for -kernel and
    -initrd, and turn the tree ``root`` into WORK/disk.img (root removed).
    Returns (disk, kernel release)."""
    # No waiting for a network or a login on the console.
    for unit in ("serial-getty@ttyS0.service", "getty@tty1.service"):
        os.symlink("/dev/null", os.path.join(root, "etc/systemd/system", unit))
    boot = os.path.join(root, "boot")
    kernel = sorted(f for f in os.listdir(boot) if f.startswith("vmlinuz-"))[-1]
    release = kernel[len("vmlinuz-"):]
    shutil.copy(os.path.join(boot, kernel), os.path.join(work, "vmlinuz"))
    shutil.copy(os.path.join(boot, "initrd.img-" + release),
                os.path.join(work, "initrd.img"))
    disk = os.path.join(work, "disk.img")
    if os.path.exists(disk):
        os.unlink(disk)
    log("making the ext4 image")
    sh(["mkfs.ext4", "-q", "-F", "-L", "root", "-d", root, disk, "3G"],
       stdout=subprocess.DEVNULL)
    shutil.rmtree(root)
    return disk, release


def ovmf():
    for code, vars_ in (("OVMF_CODE_4M.fd", "OVMF_VARS_4M.fd"),
                        ("OVMF_CODE.fd", "OVMF_VARS.fd")):
        code, vars_ = ("/usr/share/OVMF/" + code, "/usr/share/OVMF/" + vars_)
        if os.path.exists(code) and os.path.exists(vars_):
            return code, vars_
    return None


def qemu(work, disk, cmdline, serial, efi=False):
    ramfile = os.path.join(work, "guest-ram")
    if not os.path.exists(ramfile):
        with open(ramfile, "wb") as f:
            f.truncate(GUEST_MEM_MB << 20)
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-cpu", "max",
           "-smp", os.environ.get("OOPS_HARVEST_BOOT_SMP", "2"),
           "-m", "%dM" % GUEST_MEM_MB, "-no-reboot", "-nodefaults",
           "-no-user-config", "-display", "none",
           "-serial", "file:" + serial,
           "-object", "memory-backend-file,id=ram,size=%dM,mem-path=%s,share=on"
                      % (GUEST_MEM_MB, ramfile),
           "-machine", "q35,memory-backend=ram",
           "-kernel", os.path.join(work, "vmlinuz"),
           "-initrd", os.path.join(work, "initrd.img"),
           "-drive", "file=%s,format=raw,if=virtio" % disk,
           "-append", cmdline]
    if efi:
        code, vars_tmpl = ovmf()
        vars_ = os.path.join(work, "OVMF_VARS.fd")     # the NVRAM, kept
        if not os.path.exists(vars_):
            shutil.copy(vars_tmpl, vars_)
        cmd += ["-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + code,
                "-drive", "if=pflash,format=raw,unit=1,file=" + vars_]
    t0 = time.time()
    try:
        subprocess.run(cmd, check=True, timeout=BOOT_TIMEOUT,
                       stdin=subprocess.DEVNULL, env=dict(os.environ, PATH=SYS_PATH))
    except subprocess.TimeoutExpired:
        raise RuntimeError("QEMU did not finish within %ds (see %s)"
                           % (BOOT_TIMEOUT, serial))
    return time.time() - t0


def boot(work, disk, tag, extra, efi=False):
    r = RAMOOPS
    cmdline = ("root=/dev/vda rw console=ttyS0,115200 panic=1 quiet "
               "systemd.show_status=1 oh.tag=%s %s" % (tag, extra))
    if not efi:
        cmdline += (" memmap=%#x$%#x ramoops.mem_address=%#x ramoops.mem_size=%#x"
                    " ramoops.record_size=%#x ramoops.console_size=%#x"
                    % (r["mem_size"], r["mem_address"], r["mem_address"],
                       r["mem_size"], r["record_size"], r["console_size"]))
    serial = os.path.join(work, "console-%s.log" % tag)
    log("boot %s: %s" % (tag, extra))
    took = qemu(work, disk, cmdline, serial, efi=efi)
    log("boot %s finished in %.0fs" % (tag, took))
    return serial, took


def results(disk, tag):
    p = subprocess.run(["debugfs", "-R", "cat /root/oh-results-%s.json" % tag, disk],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=dict(os.environ, PATH=SYS_PATH))
    try:
        return json.loads(p.stdout)
    except ValueError:
        raise RuntimeError("boot %s left no results (see console-%s.log)"
                           % (tag, tag))


class Checks:
    def __init__(self):
        self.failed = []
        self.passed = []

    def __call__(self, ok, what):
        (self.passed if ok else self.failed).append(what)
        log(("ok   " if ok else "FAIL ") + what)


def reports(res):
    return [e for e in res["var_crash"] if e["name"].endswith(".crash")]


def check_report_written(check, res, label):
    reps = reports(res)
    check(len(reps) == 1, "%s: exactly one report in /var/crash (%s)"
          % (label, [e["name"] for e in reps]))
    for e in reps:
        check(e["regular"] and e["mode"] == "600" and e["uid"] == 0
              and e["gid"] == 0, "%s: %s is a 0600 root:root file (mode %s uid %s)"
              % (label, e["name"], e["mode"], e["uid"]))
        check(e.get("problemtype") == ["ProblemType: KernelOops"],
              "%s: apport KernelOops report" % label)
        check(e.get("sysrq"), "%s: the report holds the sysrq panic" % label)
        check(e["name"].startswith("linux-image-" + res["kernel"]),
              "%s: Package/file name is the crashed kernel" % label)
    check(res["pstore"] == [], "%s: /sys/fs/pstore emptied (%s)"
          % (label, res["pstore"]))
    state = res["state_dir"]
    check(isinstance(state, dict) and state["mode"] == "700" and state["uid"] == 0,
          "%s: /var/lib/oops-harvest is 0700 root (%s)" % (label, state))


def unit_ran(res):
    u = res["oops-harvest.service"]
    return u.get("ConditionResult") == "yes"


def scenario_ours_first(rootfs, deb, work):
    check = Checks()
    disk, release = make_disk(rootfs, deb, work)
    boot(work, disk, "crash", "oh.crash")
    boot(work, disk, "harvest", "oh.check")
    res = results(disk, "harvest")
    check(res["lsmod_ramoops"], "harvest: ramoops loaded through modules-load.d")
    check(res["dmesg_restrict"] == "1", "harvest: kernel.dmesg_restrict=1 (CAP_SYSLOG needed)")
    u = res["oops-harvest.service"]
    check(unit_ran(res) and u.get("Result") == "success" and u.get("ExecMainStatus") == "0",
          "harvest: oops-harvest.service ran and succeeded (%s)" % u)
    check_report_written(check, res, "harvest")
    sp = res["systemd-pstore.service"]
    check(sp.get("ConditionResult") == "no" and res["systemd_pstore_archive"] == [],
          "harvest: systemd-pstore found nothing left (condition %s, archive %s)"
          % (sp.get("ConditionResult"), res["systemd_pstore_archive"]))
    blame = [l for l in res["blame"] if "oops-harvest.service" in l]
    check(bool(blame), "harvest: systemd-analyze blame shows the unit (%s)" % blame)
    check(not res["failed_units"], "harvest: no failed units (%s)" % res["failed_units"])
    boot(work, disk, "again", "oh.check")
    again = results(disk, "again")
    check(not unit_ran(again), "again: unit skipped by its conditions (%s)"
          % again["oops-harvest.service"].get("ConditionResult"))
    check(len(reports(again)) == 1, "again: still exactly one report")
    return check, {"harvest": res, "again": again}


def scenario_pstore_first(rootfs, deb, work):
    check = Checks()
    disk, release = make_disk(rootfs, deb, work)
    boot(work, disk, "crash", "oh.crash")
    boot(work, disk, "archived", "oh.check systemd.mask=oops-harvest.service")
    arch = results(disk, "archived")
    check(arch["systemd_pstore_archive"] != [] and arch["pstore"] == [],
          "archived: systemd-pstore moved the records (%s)" % arch["systemd_pstore_archive"])
    check(reports(arch) == [], "archived: no report while our unit is masked")
    boot(work, disk, "harvest", "oh.check")
    res = results(disk, "harvest")
    u = res["oops-harvest.service"]
    check(unit_ran(res) and u.get("Result") == "success",
          "harvest: unit ran on the archive and succeeded (%s)" % u)
    check_report_written(check, res, "harvest")
    check(res["systemd_pstore_archive"] == arch["systemd_pstore_archive"],
          "harvest: systemd-pstore's archive left as it was")
    boot(work, disk, "again", "oh.check")
    again = results(disk, "again")
    check(len(reports(again)) == 1, "again: the archived crash is not reported twice")
    check(again["systemd_pstore_archive"] == arch["systemd_pstore_archive"],
          "again: systemd-pstore's archive still there")
    check(not unit_ran(again), "again: unit skipped by its conditions: the "
          "archive alone does not start it (%s)"
          % again["oops-harvest.service"].get("ConditionResult"))
    return check, {"archived": arch, "harvest": res, "again": again}


def scenario_efi(rootfs, deb, work):
    check = Checks()
    if ovmf() is None:
        raise RuntimeError("OVMF not found (apt-get install ovmf)")
    disk, release = make_disk(rootfs, deb, work, ramoops=False)
    boot(work, disk, "crash", "oh.crash", efi=True)
    boot(work, disk, "harvest", "oh.check", efi=True)
    res = results(disk, "harvest")
    check(res["lsmod_efi_pstore"] and not res["lsmod_ramoops"],
          "harvest: efi_pstore loaded by modprobe@efi_pstore, no ramoops")
    u = res["oops-harvest.service"]
    check(unit_ran(res) and u.get("Result") == "success" and u.get("ExecMainStatus") == "0",
          "harvest: oops-harvest.service ran and succeeded (%s)" % u)
    check_report_written(check, res, "harvest")
    # Unlinking the pstore file makes the kernel delete the UEFI variable,
    # but from 6.1 on efi-pstore bypasses efivarfs, whose listing keeps stale
    # dump-* names until it is mounted again: the NVRAM is checked on the
    # next boot.
    log("note: efivarfs still lists %d dump-* names this boot (stale)"
        % len(res["efi_dumps"] or []))
    check(res["systemd_pstore_archive"] == [], "harvest: nothing for systemd-pstore")
    check(not res["failed_units"], "harvest: no failed units (%s)" % res["failed_units"])
    boot(work, disk, "again", "oh.check", efi=True)
    again = results(disk, "again")
    check(again["efi_dumps"] == [], "again: no dump-* UEFI variable left in NVRAM (%s)"
          % again["efi_dumps"])
    check(not unit_ran(again), "again: unit skipped by its conditions (%s)"
          % again["oops-harvest.service"].get("ConditionResult"))
    check(len(reports(again)) == 1, "again: still exactly one report")
    return check, {"harvest": res, "again": again}


# --- kdump ---------------------------------------------------------------

# The real crash directories a Debian 6.1 capture kernel saved (samples/
# manifest.json says how), and what their one report each must say.  The
# Debian crash was kexec'd by the sysrq panic that followed the Oops in
# oops_harvest_init, the Fedora one by that Oops itself (oops=panic): both
# as their serial consoles (console-crash.log) show.
KDUMP_SAMPLES = (
    # (sample, crash directory, what the Title names, the directory's stamp)
    ("kdump-6.1-debian", "202612071949", "sysrq triggered crash",
     ("202612071949", "%Y%m%d%H%M")),
    ("kdump-6.1-fedora-layout", "127.0.0.1-2026-12-07-19:49:54",
     "oops_harvest_init", ("2026-12-07-19:49:54", "%Y-%m-%d-%H:%M:%S")),
)


def place_kdump_crashes(root):
    """Lay the sample crash directories into ROOT/var/crash as the savers
    left them: root-owned, each file with the mode the manifest records and
    the mtime the capture kernel's listing shows, directories 0755."""
    with open(os.path.join(TOP, "samples", "manifest.json")) as f:
        manifest = {m["name"]: m for m in json.load(f)}
    crash = os.path.join(root, "var", "crash")
    os.makedirs(crash, 0o755, exist_ok=True)
    for name, stamp, _, _ in KDUMP_SAMPLES:
        sample = os.path.join(TOP, "samples", name)
        mtimes = {}
        with open(os.path.join(sample, "capture-listing.txt")) as f:
            for line in f:     # size mode epoch date time zone /out/path
                words = line.split()
                mtimes[words[-1][len("/out/"):]] = int(words[2])
        os.mkdir(os.path.join(crash, stamp), 0o755)
        for entry in manifest[name]["kdump"]["files"]:
            if not entry["path"].startswith("var/crash/"):
                continue
            dst = os.path.join(root, entry["path"])
            shutil.copyfile(os.path.join(sample, entry["path"]), dst)
            os.chmod(dst, int(entry["mode"], 8))
            os.chown(dst, 0, 0)
            os.utime(dst, (mtimes[entry["path"]],) * 2)
        d = os.path.join(crash, stamp)
        os.chmod(d, 0o755)
        os.chown(d, 0, 0)
        os.utime(d, (mtimes["var/crash/" + stamp],) * 2)


def tree(top):
    """Every entry under ``top``: mode, owner, size, mtime, sha256."""
    found = {}
    for folder, dirs, files in os.walk(top):
        for name in dirs + files:
            full = os.path.join(folder, name)
            st = os.lstat(full)
            size = digest = None      # a directory's size is the file system's
            if stat.S_ISREG(st.st_mode):
                size = st.st_size
                with open(full, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
            found[os.path.relpath(full, top)] = [
                "%o" % st.st_mode, st.st_uid, st.st_gid, size,
                int(st.st_mtime), digest]
    return found


def var_crash_on_disk(disk, work, tag):
    """/var/crash as the disk image holds it after a boot (debugfs rdump
    keeps modes, owners and mtimes)."""
    out = os.path.join(work, "var-crash-" + tag)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    sh(["debugfs", "-R", "rdump /var/crash " + out, disk],
       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    found = tree(os.path.join(out, "crash"))
    shutil.rmtree(out)
    return found


def check_kdump_untouched(check, label, before, after):
    changed = sorted(p for p in before if after.get(p) != before[p])
    check(not changed, "%s: kdump's files and directories byte-identical, same "
          "mode, owner and mtime (%d entries; changed: %s)"
          % (label, len(before), changed))
    new = sorted(p for p in after if p not in before)
    check(all("/" not in p and p.endswith(".crash") for p in new),
          "%s: nothing new in /var/crash but reports (%s)" % (label, new))
    return new


def scenario_kdump(rootfs, deb, work):
    check = Checks()
    before = {}

    def setup(root):
        place_kdump_crashes(root)
        before.update(tree(os.path.join(root, "var", "crash")))

    disk, release = make_disk(rootfs, deb, work, ramoops=False, setup=setup)
    boot(work, disk, "harvest", "oh.check")
    res = results(disk, "harvest")
    u = res["oops-harvest.service"]
    check(unit_ran(res) and u.get("Result") == "success" and u.get("ExecMainStatus") == "0",
          "harvest: kdump's files alone started the unit, which succeeded (%s)" % u)
    blame = [l for l in res["blame"] if "oops-harvest.service" in l]
    check(bool(blame), "harvest: systemd-analyze blame shows the unit (%s)" % blame)
    check(any("oops-harvest" in l for l in res["journal"]),
          "harvest: the journal has the unit's run (%d lines)" % len(res["journal"]))
    reps = reports(res)
    check(len(reps) == len(KDUMP_SAMPLES), "harvest: one report per crash "
          "directory (%s)" % [e["name"] for e in reps])
    for name, stamp, culprit, when in KDUMP_SAMPLES:
        mine = [e for e in reps if e["kdumpdir"] == ["/var/crash/" + stamp]]
        check(len(mine) == 1, "harvest: exactly one report for %s (%s)"
              % (stamp, [e["name"] for e in mine]))
        for e in mine:
            label = "harvest: %s" % e["name"]
            check(e["regular"] and e["mode"] == "600" and e["uid"] == 0
                  and e["gid"] == 0, "%s is a 0600 root:root file (mode %s uid %s)"
                  % (label, e["mode"], e["uid"]))
            check(e["problemtype"] == ["ProblemType: KernelCrash"],
                  "%s is a KernelCrash report (%s)" % (label, e["problemtype"]))
            check(len(e["title"]) == 1 and culprit in e["title"][0],
                  "%s: Title names %r (%s)" % (label, culprit, e["title"]))
            check(e["oops_harvest_init"], "%s holds the Oops in oops_harvest_init"
                  % label)
            date = time.asctime(time.strptime(*when))     # as apport reads it
            check(e["date"] == [date], "%s: Date is the stamp, %s (%s)"
                  % (label, date, e["date"]))
    check(res["pstore"] == [], "harvest: /sys/fs/pstore holds nothing (%s)"
          % res["pstore"])
    check(not res["failed_units"], "harvest: no failed units (%s)" % res["failed_units"])
    after = var_crash_on_disk(disk, work, "harvest")
    new = check_kdump_untouched(check, "harvest", before, after)
    check(sorted(new) == sorted(e["name"] for e in reps),
          "harvest: the disk holds the same reports as the guest saw")
    boot(work, disk, "again", "oh.check")
    again = results(disk, "again")
    u = again["oops-harvest.service"]
    check(u.get("Result") == "success", "again: the unit (started again by "
          "kdump's files) succeeded (%s)" % u)
    again_disk = var_crash_on_disk(disk, work, "again")
    check_kdump_untouched(check, "again", before, again_disk)
    check(again_disk == after, "again: /var/crash exactly as after the first "
          "boot: nothing reported again, no report rewritten")
    return check, {"harvest": res, "again": again, "var_crash_before": before,
                   "var_crash_after": after}


SCENARIOS = {"ours-first": scenario_ours_first,
             "pstore-first": scenario_pstore_first,
             "efi": scenario_efi,
             "kdump": scenario_kdump}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", choices=sorted(SCENARIOS) + ["all"],
                    default="all")
    ap.add_argument("--deb", help="use this .deb instead of building one")
    ap.add_argument("--cache", default=DEFAULT_CACHE)
    ap.add_argument("--keep", action="store_true",
                    help="keep disk images and console logs")
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        sys.exit("run as root")
    if missing_tools():
        sys.exit("missing: %s" % " ".join(missing_tools()))
    os.makedirs(args.cache, exist_ok=True)
    deb = os.path.abspath(args.deb) if args.deb else build_deb(args.cache)
    rootfs = build_rootfs(args.cache)
    names = sorted(SCENARIOS) if args.scenario == "all" else [args.scenario]
    failed = 0
    for name in names:
        work = os.path.join(args.cache, "run-" + name)
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        t0 = time.time()
        try:
            check, res = SCENARIOS[name](rootfs, deb, work)
        except (RuntimeError, subprocess.CalledProcessError) as exc:
            log("FAIL %s: %s" % (name, exc))
            failed += 1
            continue
        summary = {"scenario": name, "seconds": round(time.time() - t0),
                   "passed": len(check.passed), "failed": check.failed,
                   "results": res}
        with open(os.path.join(work, "summary.json"), "w") as f:
            json.dump(summary, f, indent=1)
        print(json.dumps({k: v for k, v in summary.items() if k != "results"}))
        failed += bool(check.failed)
        if not args.keep and not check.failed:
            for f in ("disk.img", "guest-ram", "OVMF_VARS.fd"):
                try:
                    os.unlink(os.path.join(work, f))
                except OSError:
                    pass
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
