#!/usr/bin/env python3
"""oops-harvest real-kernel sample generator.

Boots Debian kernels in QEMU (TCG), makes them Oops / panic / shut down with a
pstore backend active (ramoops, mtdoops, efi-pstore), keeps the raw backend
bytes, then boots the same kernel again on the same backing storage to learn
how the kernel itself decodes them (/sys/fs/pstore).  See samples/README.md.

Usage: harness.py [--out DIR] [--cache DIR] [--list] [SCENARIO ...]
Without scenario names every scenario runs.  Normally started through
generate.sh, which installs the Debian packages this needs first.
"""

import argparse
import glob
import gzip
import hashlib
import json
import lzma
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.dirname(HERE)

# Debian kernel ABIs used.  Pinned for reproducibility; when a pinned package
# has vanished from the archive the newest available one of the same series
# is used instead (and recorded in the manifest).
KERNELS = {
    "6.1": {"abi": "6.1.0-56-amd64", "search": r"linux-image-(6\.1\.0-\d+-amd64)-unsigned"},
    "6.12": {"abi": "6.12.117+deb12-amd64", "search": r"linux-image-(6\.12\.\d+\+deb12-amd64)-unsigned"},
}

N_OOPS_MODULES = 12
EFI_GUID = "cfc8fc79-be2e-4ddc-97f0-9f98bfe298a0"
RAMOOPS_ADDR = 0x10000000  # 256 MiB, inside the 512 MiB guest
GUEST_MEM_MB = 512
BOOT_TIMEOUT = 300  # seconds for one QEMU boot; a normal boot takes 6-15 s under TCG

RAMOOPS_DEFAULTS = {
    "mem_address": RAMOOPS_ADDR,
    "mem_size": 0x100000,
    "record_size": 0x4000,
    "console_size": 4096,
    "ftrace_size": 4096,
    "pmsg_size": 4096,
    "ecc": 0,
    "max_reason": 2,
}


def ramoops(**kw):
    p = dict(RAMOOPS_DEFAULTS)
    p.update(kw)
    return p


# Each scenario: kernel series, backend, parameters, and for every crash boot
# the list of actions ("oops", "panic", "poweroff", "reboot", "pmsg", "ftrace").
# A boot whose list does not end the boot gets an implicit "poweroff".
SCENARIOS = []


def scenario(name, kernel, backend, params, boots, notes="", kdump=None):
    SCENARIOS.append(dict(name=name, kernel=kernel, backend=backend,
                          params=params, boots=boots, notes=notes, kdump=kdump))


for _k in ("6.1", "6.12"):
    _order = ("zone order dmesg, console, ftrace, pmsg" if _k == "6.1"
              else "zone order (v6.2+) dmesg, console, pmsg, ftrace")
    scenario(f"ramoops-{_k}-basic", _k, "ramoops", ramoops(),
             [["pmsg", "oops", "panic"]],
             f"One Oops then a panic in one boot. {_order}. pmsg written before "
             "crashing only if /dev/pmsg0 exists (Debian: CONFIG_PSTORE_PMSG not set, "
             "so no); console zone stays empty (CONFIG_PSTORE_CONSOLE not set).")
    scenario(f"ramoops-{_k}-ecc16", _k, "ramoops", ramoops(ecc=1),
             [["pmsg", "oops", "panic"]],
             f"As basic with ecc=1 (the kernel uses 16 parity bytes per 255-byte RS "
             f"block). {_order}.")
scenario("ramoops-6.1-ecc32", "6.1", "ramoops", ramoops(ecc=32, mem_size=0x40000),
         [["pmsg", "oops", "panic"]],
         "As basic with ecc=32 (32 parity bytes per block) and a 256 KiB region "
         "(256K - 12K = 244 KiB for dmesg -> 15 zones of 16657 bytes, rounded to 16656).")
scenario("ramoops-6.1-sizes", "6.1", "ramoops",
         ramoops(mem_size=0x40000, record_size=8192, console_size=16384, pmsg_size=8192,
                 ftrace_size=8192),
         [["pmsg", "ftrace", "oops", "oops", "panic"]],
         "Non-default zone sizes. Debian 6.1 has CONFIG_PSTORE_FTRACE, _CONSOLE and _PMSG "
         "unset, so the console/ftrace/pmsg zones are reserved (headers written) but stay "
         "empty; record_ftrace/pmsg actions are attempted and skipped by the guest.")
scenario("ramoops-6.1-wrap", "6.1", "ramoops",
         ramoops(mem_size=0x10000, record_size=8192),
         [["oops", "oops", "oops", "oops", "oops", "oops", "panic"], ["oops", "oops", "panic"]],
         "mem_size 64 KiB -> 52 KiB for dmesg / 8 KiB records = 6 dmesg zones of "
         "53248/6=8874 bytes (not a power of two). Boot 1 writes 7 dumps into 6 zones, so "
         "its 7th dump (Panic#7) wraps into zone 0 over its own Oops#1. Boot 2 restarts "
         "at zone 0 and writes Oops#1, Oops#2, Panic#3 into zones 0-2; zones 3-5 keep boot "
         "1's Oops#4-#6. So zone order is not dump order and the Reason#N counters "
         "repeat across boots: order by the ====sec.usec header. raw/ramoops.bin is the "
         "region after boot 2; raw/ramoops-after-boot-N.bin after each crash boot; "
         "console-crash-1/2.log are the two crash boots.")
scenario("ramoops-6.1-shutdown", "6.1", "ramoops", ramoops(max_reason=4, mem_size=0x40000),
         [["poweroff"]],
         "max_reason=4 (KMSG_DUMP_SHUTDOWN): a clean 'poweroff -f' writes a Shutdown dump.")
scenario("mtdoops-6.1-few", "6.1", "mtdoops",
         {"record_size": 4096, "erase_size": 65536, "size": 262144},
         [["oops", "oops", "oops"]],
         "block2mtd on a 256 KiB virtio disk pre-filled with 0xFF, erase size 64 KiB, "
         "mtdoops mtddev=0 record_size=4096 (64 slots). Three Oopses, then sync and "
         "poweroff -f. Ground truth is console-crash.log (no pstore view).")
scenario("mtdoops-6.1-wrap", "6.1", "mtdoops",
         {"record_size": 4096, "erase_size": 4096, "size": 16384},
         [["oops", "oops", "oops", "oops"], ["oops", "oops", "oops"]],
         "16 KiB partition, erase size 4 KiB = record size: 4 slots. 4 Oopses in boot 1 "
         "and 3 in boot 2, so the sequence numbers run past the slot count and old slots "
         "are erased and reused. mtdoops erases the slot ahead after each write.")
scenario("mtdoops-6.1-rec8k", "6.1", "mtdoops",
         {"record_size": 8192, "erase_size": 16384, "size": 65536},
         [["oops", "oops"]],
         "Non-default record_size 8192 with 16 KiB erase blocks, 64 KiB partition "
         "(8 slots, 2 per erase block). Two Oopses.")
scenario("efi-6.1-two-dumps", "6.1", "efi", {},
         [["oops", "panic"]],
         "efi-pstore under OVMF: an Oops and then a panic in one boot; each dump is "
         "split into ~1 KiB compressed parts (one UEFI variable each). raw/efivars holds "
         "the efivarfs files (4 attribute bytes + data) as read in the export boot "
         "before efi_pstore was loaded. 6.1 names the pstore files dmesg-efi-<id>.")
scenario("ramoops-6.12-sizes", "6.12", "ramoops",
         ramoops(mem_size=0x40000, record_size=8192, console_size=16384, pmsg_size=8192,
                 ftrace_size=4096),
         [["pmsg", "ftrace", "oops", "oops", "panic"]],
         "Non-default zone sizes on 6.12, with pmsg (8 KiB) and ftrace (4 KiB) of different "
         "sizes so the v6.2+ zone order dmesg, console, pmsg, ftrace is visible. Debian "
         "6.12 also has CONFIG_PSTORE_CONSOLE/_PMSG/_FTRACE unset: those zones stay empty.")
scenario("ramoops-6.12-wrap", "6.12", "ramoops",
         ramoops(mem_size=0x10000, record_size=8192),
         [["oops", "oops", "oops", "oops", "oops", "oops", "panic"], ["oops", "oops", "panic"]],
         "As ramoops-6.1-wrap on 6.12 (6 dmesg zones of 8874 bytes; boot 1 writes 7 dumps "
         "and wraps into zone 0, boot 2 rewrites zones 0-2).")
scenario("ramoops-6.12-shutdown", "6.12", "ramoops", ramoops(max_reason=4, mem_size=0x40000),
         [["poweroff"]],
         "As ramoops-6.1-shutdown on 6.12.")
scenario("mtdoops-6.12-wrap", "6.12", "mtdoops",
         {"record_size": 4096, "erase_size": 4096, "size": 16384},
         [["oops", "oops", "oops", "oops"], ["oops", "oops", "oops"]],
         "As mtdoops-6.1-wrap on 6.12.")
scenario("mtdoops-6.12-few", "6.12", "mtdoops",
         {"record_size": 4096, "erase_size": 65536, "size": 262144},
         [["oops", "oops", "oops"]],
         "As mtdoops-6.1-few on 6.12.")
scenario("efi-6.12-two-dumps", "6.12", "efi", {},
         [["oops", "panic"]],
         "As efi-6.1-two-dumps on 6.12 (pstore files are named dmesg-efi_pstore-<id>).")

# Layouts whose detection once failed (issue 11): every zone size set, 32 KiB
# records with ECC 32, and a 6.12 region with a 32 KiB console.
scenario("ramoops-6.1-ecc16-2m", "6.1", "ramoops",
         ramoops(mem_size=0x200000, record_size=0x10000, console_size=0x10000,
                 pmsg_size=0x8000, ftrace_size=0x4000, ecc=1),
         [["pmsg", "oops", "oops", "panic"]],
         "2 MiB, 64 KiB records, console 64 KiB, pmsg 32 KiB, ftrace 16 KiB, ecc=1: "
         "30 dmesg zones of 0x10222 bytes, console at 0x1e3ffc, ftrace at "
         "0x1f3ffc, pmsg at 0x1f7ffc. Two Oopses and a panic.")
scenario("ramoops-6.1-ecc32-1m", "6.1", "ramoops",
         ramoops(mem_size=0x100000, record_size=0x8000, ecc=32),
         [["pmsg", "oops", "panic"]],
         "1 MiB, 32 KiB records, ecc=32, console/ftrace/pmsg at the 4 KiB "
         "defaults: 31 dmesg zones of 0x8294 bytes, console at 0xfcfec.")
scenario("ramoops-6.12-ecc16-2m", "6.12", "ramoops",
         ramoops(mem_size=0x200000, record_size=0x8000, console_size=0x8000, ecc=1),
         [["pmsg", "oops", "panic"]],
         "2 MiB, 32 KiB records, console 32 KiB, ecc=1 on 6.12 (pmsg before "
         "ftrace): 62 dmesg zones, ftrace last.")

# kdump (issue 17): the crash boot reserves memory with crashkernel=, loads the
# same kernel plus an initramfs with `kexec -p`, then crashes; the capture
# kernel saves /proc/vmcore with Debian's makedumpfile / vmcore-dmesg the way
# the distribution's tool lays the files out, onto a 9p share of the host.
KDUMP_MEM_MB = 512
KDUMP_CRASHKERNEL = "192M"
# Of a dump / vmcore only its start is kept: 8 KiB hold the flattened format's
# 4 KiB file header plus the first data record's header and the start of the
# kdump-compressed header block (signature "KDUMP   ", utsname), and for
# the kdump-compressed vmcore that block and the sub-header block.
KDUMP_KEEP_BYTES = 8192
# Appended to the capture kernel's command line.  Debian: kdump-tools'
# KDUMP_CMDLINE_APPEND default without systemd.unit=kdump-tools-dump.service
# (no systemd here).  Fedora: kdump-utils' x86_64 KDUMP_COMMANDLINE_APPEND.
KDUMP_APPEND = {
    "debian": "reset_devices nr_cpus=1 irqpoll usbcore.nousb",
    "fedora": "irqpoll nr_cpus=1 reset_devices cgroup_disable=memory mce=off numa=off "
              "udev.children-max=2 panic=10 acpi_no_memhotplug transparent_hugepage=never "
              "nokaslr hest_disable novmcoredd cma=0 hugetlb_cma=0",
}


def kdump(layout, cmdline=""):
    return {"layout": layout, "crashkernel": KDUMP_CRASHKERNEL, "guest_mem_mb": KDUMP_MEM_MB,
            "crash_cmdline_extra": cmdline, "capture_append": KDUMP_APPEND[layout]}


scenario("kdump-6.1-debian", "6.1", "kdump", {},
         [["oops", "panic"]],
         "kdump with Debian kdump-tools' layout: var/crash/YYYYMMDDHHMM/dmesg.YYYYMMDDHHMM "
         "(makedumpfile --dump-dmesg) and dump.YYYYMMDDHHMM (makedumpfile -F -c -d 31, "
         "flattened format; only its first 8 KiB are kept). One Oops (panic_on_oops=0, "
         "so no kexec yet), then sysrq c: panic() calls __crash_kexec before the panic "
         "notifiers. extra/vmcore-dmesg.txt is vmcore-dmesg on the same vmcore (not part of "
         "the layout). console-crash.log is the whole serial console: the crashed kernel, "
         "then the capture kernel (second 'Linux version' banner).",
         kdump=kdump("debian"))
scenario("kdump-6.1-fedora-layout", "6.1", "kdump", {},
         [["oops"]],
         "kdump with Fedora/RHEL kdump-utils' layout: var/crash/127.0.0.1-YYYY-MM-DD-HH:MM:SS/ "
         "vmcore-dmesg.txt (vmcore-dmesg), vmcore (makedumpfile -l --message-level 7 -d 31, "
         "kdump-compressed; only its first 8 KiB are kept) and kexec-dmesg.log (dmesg -T "
         "of the capture kernel; no journalctl part, there is no journald). oops=panic "
         "(panic_on_oops; 'panic_on_oops=1' is not a boot parameter of 6.1, the kernel hands "
         "it to user space) and a single Oops: oops_end() calls crash_kexec() itself, before '---[ end trace' "
         "and before any 'Kernel panic' line, so the saved log ends inside the Oops. "
         "extra/makedumpfile-dump-dmesg.txt is makedumpfile --dump-dmesg on the same vmcore.",
         kdump=kdump("fedora", "oops=panic"))
scenario("kdump-6.1-ramoops-post-notifiers", "6.1", "ramoops", ramoops(),
         [["oops", "panic"]],
         "The same crash in pstore and kdump: ramoops as in ramoops-6.1-basic plus "
         "crashkernel= and crash_kexec_post_notifiers=1, so panic() runs the panic notifiers "
         "and kmsg_dump (ramoops writes Panic#2) before __crash_kexec. One Oops (ramoops "
         "Oops#1, no kexec: panic_on_oops=0), then sysrq c. The capture kernel saves "
         "Debian kdump-tools' layout (var/crash/...) and extra/vmcore-dmesg.txt; "
         "raw/ramoops.bin is the region after the capture kernel powered off (it runs in "
         "the crashkernel region and does not load ramoops); the export boot shows "
         "/sys/fs/pstore as usual.",
         kdump=kdump("debian", "crash_kexec_post_notifiers=1"))

# manifest / default run order: all 6.1 scenarios, then 6.12
SCENARIOS.sort(key=lambda s: tuple(int(x) for x in s["kernel"].split(".")))
ORDER = [s["name"] for s in SCENARIOS]

END_ACTIONS = ("panic", "poweroff", "reboot")


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(cmd, **kw):
    log("$ " + " ".join(cmd))
    return subprocess.run(cmd, check=True, **kw)


# ---------------------------------------------------------------- kernels


class Kernel:
    def __init__(self, series, cache):
        self.series = series
        self.cache = cache
        self.abi = self._pick_abi()
        self.root = os.path.join(cache, "root-" + self.abi)
        self.moddir = os.path.join(self.root, "lib", "modules", self.abi)

    def _pick_abi(self):
        want = KERNELS[self.series]["abi"]
        env = os.environ.get("OOPS_HARVEST_ABI_" + self.series.replace(".", "_"))
        if env:
            return env
        ok = subprocess.run(["apt-cache", "show", f"linux-headers-{want}"],
                            capture_output=True).returncode == 0
        if ok:
            return want
        out = subprocess.run(["apt-cache", "search", "--names-only",
                              KERNELS[self.series]["search"]],
                             capture_output=True, text=True).stdout
        abis = re.findall(KERNELS[self.series]["search"], out)

        def key(a):
            return [int(x) for x in re.findall(r"\d+", a)]
        for abi in sorted(set(abis), key=key, reverse=True):
            if subprocess.run(["apt-cache", "show", f"linux-headers-{abi}"],
                              capture_output=True).returncode == 0:
                log(f"pinned {want} not available, using {abi}")
                return abi
        sys.exit(f"no usable linux-image/headers for series {self.series}")

    def packages(self):
        # the headers package depends on a -common package and linux-kbuild
        show = subprocess.run(["apt-cache", "show", "--no-all-versions",
                               f"linux-headers-{self.abi}"],
                              capture_output=True, text=True, check=True).stdout
        deps = re.search(r"^Depends: (.*)$", show, re.M).group(1)
        common = re.search(r"(linux-headers-[^ ,]*-common)", deps).group(1)
        kbuild = re.search(r"(linux-kbuild-[^ ,]*)", deps).group(1)
        return [f"linux-image-{self.abi}-unsigned", f"linux-headers-{self.abi}", common, kbuild]

    def prepare(self):
        debdir = os.path.join(self.cache, "deb")
        os.makedirs(debdir, exist_ok=True)
        stamp = os.path.join(self.root, ".oops-harvest-unpacked")
        if not os.path.exists(stamp):
            pkgs = self.packages()
            for p in pkgs:
                if not glob.glob(os.path.join(debdir, p.replace("+", "?") + "_*.deb")):
                    run(["apt-get", "download", p], cwd=debdir)
            shutil.rmtree(self.root, ignore_errors=True)
            os.makedirs(self.root)
            for p in pkgs:
                debs = sorted(glob.glob(os.path.join(debdir, p.replace("+", "?") + "_*.deb")))
                run(["dpkg-deb", "-x", debs[-1], self.root])
            # the headers Makefile includes the -common tree by absolute path
            hdr = self.headers()
            mk = os.path.join(hdr, "Makefile")
            text = open(mk).read()
            open(mk, "w").write(re.sub(r"^include /usr/src/",
                                       f"include {self.root}/usr/src/", text, flags=re.M))
            run(["depmod", "-b", self.root, self.abi])
            open(stamp, "w").write("ok\n")
        self.vmlinuz = os.path.join(self.root, "boot", "vmlinuz-" + self.abi)
        self.config = open(os.path.join(self.root, "boot", "config-" + self.abi)).read()
        self.build_oops_modules()
        self.build_initramfs()

    def headers(self):
        return os.path.join(self.root, "usr", "src", "linux-headers-" + self.abi)

    def build_oops_modules(self):
        self.oopsdir = os.path.join(self.cache, "oops-" + self.abi)
        want = [os.path.join(self.oopsdir, f"oops{i}.ko") for i in range(1, N_OOPS_MODULES + 1)]
        src = os.path.join(HERE, "oops.c")
        if all(os.path.exists(w) and os.path.getmtime(w) >= os.path.getmtime(src) for w in want):
            return
        shutil.rmtree(self.oopsdir, ignore_errors=True)
        os.makedirs(self.oopsdir)
        objs = []
        with open(os.path.join(self.oopsdir, "Kbuild"), "w") as kb:
            for i in range(1, N_OOPS_MODULES + 1):
                shutil.copy(src, os.path.join(self.oopsdir, f"oops{i}.c"))
                kb.write(f"obj-m += oops{i}.o\n")
                kb.write(f"CFLAGS_oops{i}.o := -DOOPS_HARVEST_NAME='\"oops{i}\"'\n")
                objs.append(f"oops{i}.o")
        # BTF for modules needs pahole and is of no use here
        run(["make", "-C", self.headers(), f"M={self.oopsdir}",
             "CONFIG_DEBUG_INFO_BTF_MODULES=", "modules"], stdout=subprocess.DEVNULL)
        for w in want:
            if not os.path.exists(w):
                sys.exit(f"module build failed: {w}")

    def _modules_dep(self):
        deps, paths = {}, {}
        with open(os.path.join(self.moddir, "modules.dep")) as f:
            for line in f:
                path, _, rest = line.strip().partition(":")
                name = modname(path)
                deps[name] = [modname(d) for d in rest.split()]
                paths[name] = path
        builtin = set()
        bp = os.path.join(self.moddir, "modules.builtin")
        if os.path.exists(bp):
            builtin = {modname(l.strip()) for l in open(bp) if l.strip()}
        return deps, paths, builtin

    def resolve(self, names):
        """Modules to insmod, dependencies first, for the given module names."""
        deps, paths, builtin = self._modules_dep()
        order = []

        def visit(n):
            if n in order:
                return
            if n not in deps:
                if n in builtin:
                    return
                sys.exit(f"{self.abi}: module {n} neither in modules.dep nor built in")
            for d in reversed(deps[n]):
                visit(d)
            order.append(n)
        for n in names:
            visit(n)
        return [(n, paths[n]) for n in order]

    def build_initramfs(self):
        self.initrd = os.path.join(self.cache, f"initrd-{self.abi}.cpio.gz")
        stage = os.path.join(self.cache, f"initrd-{self.abi}.d")
        self._stage_base(stage, {})
        pack_cpio(stage, self.initrd)
        shutil.rmtree(stage)

    def build_kdump_initramfs(self):
        """Initramfs for kdump: the usual one plus kexec, makedumpfile,
        vmcore-dmesg and util-linux dmesg (with their shared libraries) and
        the 9p modules.  It is the capture kernel's initramfs
        (capture.img); the crash boot's initramfs is that plus a second
        archive holding /boot/vmlinuz and /boot/capture.img for kexec -p."""
        if getattr(self, "kdump_initrd", None):
            return
        stage = os.path.join(self.cache, f"kdump-initrd-{self.abi}.d")
        self._stage_base(stage, {"9p": ["virtio_pci", "9pnet_virtio", "9p"]})
        libs = set()
        for tool in KDUMP_TOOLS:
            dst = os.path.join(stage, tool.lstrip("/"))
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy(tool, dst)
            out = subprocess.run(["ldd", tool], capture_output=True, text=True,
                                 check=True).stdout
            libs.update(re.findall(r"(/\S+) \(0x", out))
        for lib in sorted(libs):
            dst = os.path.join(stage, lib.lstrip("/"))
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy(os.path.realpath(lib), dst)
        self.capture_initrd = os.path.join(self.cache, f"kdump-capture-{self.abi}.cpio.gz")
        pack_cpio(stage, self.capture_initrd)
        shutil.rmtree(stage)
        boot = os.path.join(self.cache, f"kdump-boot-{self.abi}.d")
        shutil.rmtree(boot, ignore_errors=True)
        os.makedirs(os.path.join(boot, "boot"))
        shutil.copy(self.vmlinuz, os.path.join(boot, "boot", "vmlinuz"))
        shutil.copy(self.capture_initrd, os.path.join(boot, "boot", "capture.img"))
        bootcpio = os.path.join(self.cache, f"kdump-boot-{self.abi}.cpio.gz")
        pack_cpio(boot, bootcpio, level=1)
        shutil.rmtree(boot)
        # the kernel unpacks concatenated (compressed) cpio archives in order
        self.kdump_initrd = os.path.join(self.cache, f"kdump-initrd-{self.abi}.cpio.gz")
        with open(self.kdump_initrd, "wb") as fo:
            for part in (self.capture_initrd, bootcpio):
                with open(part, "rb") as fi:
                    shutil.copyfileobj(fi, fo)
        os.unlink(bootcpio)

    def _stage_base(self, stage, more_lists):
        shutil.rmtree(stage, ignore_errors=True)
        for d in ("bin", "dev", "proc", "sys", "tmp", "lib/modules/lists", "lib/modules/oops"):
            os.makedirs(os.path.join(stage, d))
        shutil.copy("/bin/busybox", os.path.join(stage, "bin", "busybox"))
        shutil.copy(build_initmod(self.cache), os.path.join(stage, "bin", "initmod"))
        shutil.copy(os.path.join(HERE, "init.sh"), os.path.join(stage, "init"))
        os.chmod(os.path.join(stage, "init"), 0o755)
        lists = {
            "virtio": ["virtio_pci", "virtio_blk"],
            "ramoops": ["ramoops"],
            "block2mtd": ["block2mtd"],
            "mtdoops": ["mtdoops"],
            "efivarfs": ["efivarfs"],
            "efi_pstore": ["efi_pstore"],
        }
        lists.update(more_lists)
        for lname, mods in lists.items():
            entries = []
            for n, path in self.resolve(mods):
                if n in entries:
                    continue
                src = os.path.join(self.moddir, path)
                dst = os.path.join(stage, "lib", "modules", n + ".ko")
                if src.endswith(".xz"):
                    with lzma.open(src) as fi, open(dst, "wb") as fo:
                        shutil.copyfileobj(fi, fo)
                elif src.endswith(".zst"):
                    subprocess.run(["zstd", "-dq", src, "-o", dst], check=True)
                else:
                    shutil.copy(src, dst)
                entries.append(n)
            with open(os.path.join(stage, "lib", "modules", "lists", lname), "w") as f:
                f.write("".join(n + ".ko\n" for n in entries))
        for i in range(1, N_OOPS_MODULES + 1):
            shutil.copy(os.path.join(self.oopsdir, f"oops{i}.ko"),
                        os.path.join(stage, "lib", "modules", "oops", f"oops{i}.ko"))


KDUMP_TOOLS = ["/usr/sbin/kexec", "/usr/bin/makedumpfile", "/usr/sbin/vmcore-dmesg",
               "/usr/bin/dmesg"]


def pack_cpio(stage, out, level=6):
    files = subprocess.run(["find", "."], cwd=stage, capture_output=True,
                           check=True).stdout
    cpio = subprocess.run(["cpio", "--quiet", "-o", "-H", "newc", "-R", "0:0"], cwd=stage,
                          input=files, capture_output=True, check=True).stdout
    with gzip.open(out, "wb", compresslevel=level) as f:
        f.write(cpio)


def build_initmod(cache):
    """Static helper that loads a module with init_module(2) (see initmod.c)."""
    src = os.path.join(HERE, "initmod.c")
    out = os.path.join(cache, "initmod")
    if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(src):
        run(["gcc", "-static", "-O2", "-s", "-o", out, src])
    return out


def modname(path):
    b = os.path.basename(path)
    b = re.sub(r"\.ko(\.(xz|zst|gz))?$", "", b)
    return b.replace("-", "_")


# ---------------------------------------------------------------- QEMU


def ovmf_files():
    code = "/usr/share/OVMF/OVMF_CODE_4M.fd"
    vars_ = "/usr/share/OVMF/OVMF_VARS_4M.fd"
    if not os.path.exists(code):
        sys.exit("OVMF not found (apt-get install ovmf)")
    return code, vars_


def qemu(kernel, cmdline, serial, disks=(), ramfile=None, efivars=None,
         mem_mb=GUEST_MEM_MB, initrd=None, share=None):
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-cpu", "max", "-smp", "1",
           "-m", f"{mem_mb}M", "-no-reboot", "-nodefaults", "-no-user-config",
           "-display", "none", "-serial", f"file:{serial}",
           "-kernel", kernel.vmlinuz, "-initrd", initrd or kernel.initrd,
           "-append", cmdline]
    machine = "q35"
    if ramfile:
        cmd += ["-object", f"memory-backend-file,id=ram,size={mem_mb}M,"
                           f"mem-path={ramfile},share=on"]
        machine += ",memory-backend=ram"
    cmd += ["-machine", machine]
    if efivars:
        code, _ = ovmf_files()
        cmd += ["-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={code}",
                "-drive", f"if=pflash,format=raw,unit=1,file={efivars}"]
    for d in disks:
        cmd += ["-drive", f"file={d},format=raw,if=virtio"]
    if share:
        cmd += ["-virtfs", f"local,path={share},mount_tag=ohout,security_model=none,id=ohout"]
    log("qemu: " + cmdline)
    t0 = time.time()
    try:
        subprocess.run(cmd, check=True, timeout=BOOT_TIMEOUT,
                       stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"QEMU did not finish within {BOOT_TIMEOUT}s (see {serial})")
    log(f"qemu finished in {time.time() - t0:.0f}s")


BASE_CMDLINE = "console=ttyS0,115200 panic=1"


def kernel_version(logfile):
    text = open(logfile, errors="replace").read()
    # Debian banner: "Linux version 6.1.0-56-amd64 (...) (gcc-12 (Debian 12.2.0-14) ...)
    #  #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2025-..)": the last "Debian X.Y.Z"
    m = re.search(r"Linux version \S+ .*Debian (\d+\.\d+\.\d+)", text)
    if m:
        return m.group(1)
    m = re.search(r"Linux version (\d+\.\d+\.\d+)", text)
    return m.group(1) if m else None


# ---------------------------------------------------------------- scenarios


def run_scenario(sc, kernel, outdir, workroot):
    name = sc["name"]
    work = os.path.join(workroot, name)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(work, "raw"))
    backend, p = sc["backend"], sc["params"]

    # number the Oops modules across the boots: oops1, oops2, ...
    boots, n = [], 0
    for acts in sc["boots"]:
        b = []
        for a in acts:
            if a == "oops":
                n += 1
                b.append(f"oops{n}")
            else:
                b.append(a)
        boots.append(b)
    if n > N_OOPS_MODULES:
        sys.exit(f"{name}: needs {n} oops modules, only {N_OOPS_MODULES} built")

    export_img = os.path.join(work, "export.img")
    ramfile = efivars = None
    disks = []
    extra = ""
    if backend == "ramoops":
        size = p["mem_size"]
        ramfile = os.path.join(work, "guest-ram")
        with open(ramfile, "wb") as f:
            f.truncate(GUEST_MEM_MB << 20)
        args = ":".join(f"{k}={hex(v) if k == 'mem_address' else v}" for k, v in p.items())
        extra = f"memmap={size:#x}${p['mem_address']:#x} oh.backend=ramoops oh.args={args}"
    elif backend == "mtdoops":
        mtd = os.path.join(work, "raw", "mtd.bin")
        with open(mtd, "wb") as f:
            f.write(b"\xff" * p["size"])
        disks = [mtd]
        # dyndbg=+p: mtdoops prints its "ready <page>, <count>" line with pr_debug
        extra = (f"oh.backend=mtdoops oh.b2m=/dev/vda,{p['erase_size']} "
                 f"oh.args=mtddev=0:record_size={p['record_size']}:dyndbg=+p")
    elif backend == "efi":
        _, vars_tmpl = ovmf_files()
        efivars = os.path.join(work, "OVMF_VARS.fd")
        shutil.copy(vars_tmpl, efivars)
        extra = "oh.backend=efi"
    else:
        raise ValueError(backend)

    logs = []
    for i, acts in enumerate(boots, 1):
        if acts[-1] not in END_ACTIONS:
            acts = acts + ["poweroff"]
            boots[i - 1] = acts
        logname = "console-crash.log" if len(boots) == 1 else f"console-crash-{i}.log"
        serial = os.path.join(work, logname)
        qemu(kernel, f"{BASE_CMDLINE} {extra} oh.mode=crash oh.actions={','.join(acts)}",
             serial, disks=disks, ramfile=ramfile, efivars=efivars)
        logs.append(serial)
        check_crash_log(serial, acts)
        if backend == "ramoops" and len(boots) > 1:
            with open(ramfile, "rb") as f:
                f.seek(p["mem_address"])
                region = f.read(p["mem_size"])
            open(os.path.join(work, "raw", f"ramoops-after-boot-{i}.bin"), "wb").write(region)
        if backend == "mtdoops" and len(boots) > 1:
            shutil.copy(disks[0], os.path.join(work, "raw", f"mtd-after-boot-{i}.bin"))

    version = kernel_version(logs[0])

    if backend == "ramoops":
        with open(ramfile, "rb") as f:
            f.seek(p["mem_address"])
            region = f.read(p["mem_size"])
        open(os.path.join(work, "raw", "ramoops.bin"), "wb").write(region)

    if backend in ("ramoops", "efi"):
        with open(export_img, "wb") as f:
            f.truncate(32 << 20)
        ex_disks = disks + [export_img]
        out_dev = "/dev/vd" + "abcdefgh"[len(ex_disks) - 1]
        qemu(kernel, f"{BASE_CMDLINE} {extra} oh.mode=export oh.out={out_dev}",
             os.path.join(work, "console-export.log"), disks=ex_disks,
             ramfile=ramfile, efivars=efivars)
        text = open(os.path.join(work, "console-export.log"), errors="replace").read()
        if "oops-harvest: export done" not in text:
            raise RuntimeError(f"{name}: export boot did not finish (console-export.log)")
        unpack_export(export_img, work, backend)
        os.unlink(export_img)

    for f in (ramfile, efivars):
        if f and os.path.exists(f):
            os.unlink(f)

    # move into place
    dest = os.path.join(outdir, name)
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(work, dest)
    shutil.rmtree(work)

    flat = []
    for acts in boots:
        flat += ["oops" if a.startswith("oops") else a for a in acts
                 if a not in ("pmsg", "ftrace")]
    entry = {
        "name": name,
        "kernel": kernel.abi,
        "kernel_version": version,
        "backend": backend,
        "params": p,
        "actions": flat,
        "boots": len(boots),
        "notes": sc["notes"],
        "boot_actions": boots,
    }
    if backend == "mtdoops":
        entry["notes"] += f" mtddev=0 (block2mtd on /dev/vda). Oopses provoked: {flat.count('oops')}."
    return entry


def tool_versions():
    def ver(pkg):
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg],
                              capture_output=True, text=True).stdout.strip() or "?"
    return {"kexec-tools": ver("kexec-tools"), "makedumpfile": ver("makedumpfile"),
            "util-linux": ver("util-linux"), "busybox-static": ver("busybox-static")}


def kdump_made_by(rel, layout, v):
    """How the capture kernel's /init made the file at rel (a path under the share)."""
    base = os.path.basename(rel)
    mdf = f"makedumpfile {v['makedumpfile']} (Debian 12)"
    vd = f"vmcore-dmesg from kexec-tools {v['kexec-tools']} (Debian 12)"
    if rel == "capture-listing.txt":
        return "busybox find | stat -c '%s %a %Y %y %n' of var/ and extra/ inside the capture kernel"
    if rel == "extra/vmcore-dmesg.txt":
        return f"vmcore-dmesg /proc/vmcore > extra/vmcore-dmesg.txt; {vd}; not part of the layout"
    if rel == "extra/makedumpfile-dump-dmesg.txt":
        return (f"makedumpfile --dump-dmesg /proc/vmcore extra/makedumpfile-dump-dmesg.txt; "
                f"{mdf}; not part of the layout")
    if re.fullmatch(r"dmesg\.\d{12}", base):
        return (f"kdump-tools' dump_dmesg: makedumpfile --dump-dmesg /proc/vmcore "
                f"/var/crash/<stamp>/{base}; {mdf}; <stamp> = date +%Y%m%d%H%M in the "
                f"capture kernel (UTC)")
    if re.fullmatch(r"dump\.\d{12}", base):
        return (f"kdump-tools' kdump_save_core: makedumpfile -F -c -d 31 /proc/vmcore | cat > "
                f"dump-incomplete, then mv to {base} (flattened format, zlib); {mdf}")
    if base == "vmcore-dmesg.txt":
        return (f"kdump-utils' save_vmcore_dmesg_fs: vmcore-dmesg /proc/vmcore > "
                f"vmcore-dmesg-incomplete.txt, mv to vmcore-dmesg.txt, chmod 600; {vd}")
    if base == "vmcore":
        return (f"kdump-utils' dump_fs: makedumpfile -l --message-level 7 -d 31 /proc/vmcore "
                f"vmcore-incomplete, sync, mv to vmcore (kdump-compressed, lzo); {mdf}")
    if base == "kexec-dmesg.log":
        return (f"kdump-utils' save_log: dmesg -T > /run/initramfs/kexec-dmesg.log (util-linux "
                f"{v['util-linux']} dmesg, the capture kernel's own log, TZ unset = UTC), "
                f"chmod 600, mv into the dump directory; kdump-utils also appends journalctl -ab, "
                f"there is no journald here so that part is absent")
    return "?"


def run_kdump_scenario(sc, kernel, outdir, workroot):
    """One crash boot with a capture kernel loaded; the capture kernel writes
    the dump files to a 9p share.  With the ramoops backend also the raw region
    and an export boot, as run_scenario does."""
    name, kd = sc["name"], sc["kdump"]
    kernel.build_kdump_initramfs()
    work = os.path.join(workroot, name)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    share = os.path.join(workroot, name + ".share")
    shutil.rmtree(share, ignore_errors=True)
    os.makedirs(share)
    backend, p = sc["backend"], sc["params"]
    mem = kd["guest_mem_mb"]

    boots, n = [], 0
    for acts in sc["boots"]:
        b = []
        for a in acts:
            if a == "oops":
                n += 1
                b.append(f"oops{n}")
            else:
                b.append(a)
        boots.append(b)
    if len(boots) != 1:
        raise ValueError(f"{name}: kdump scenarios have one crash boot")
    acts = boots[0]
    if acts[-1] not in END_ACTIONS:
        acts = boots[0] = acts + ["poweroff"]

    ramfile = None
    extra = "oh.backend=none"
    if backend == "ramoops":
        os.makedirs(os.path.join(work, "raw"))
        ramfile = os.path.join(work, "guest-ram")
        with open(ramfile, "wb") as f:
            f.truncate(mem << 20)
        args = ":".join(f"{k}={hex(v) if k == 'mem_address' else v}" for k, v in p.items())
        extra = f"memmap={p['mem_size']:#x}${p['mem_address']:#x} oh.backend=ramoops oh.args={args}"
    elif backend != "kdump":
        raise ValueError(backend)
    crash_cmdline = (f"{BASE_CMDLINE} crashkernel={kd['crashkernel']} {kd['crash_cmdline_extra']} "
                     f"{extra} oh.kdump={kd['layout']} "
                     f"oh.kdappend={kd['capture_append'].replace(' ', ':')} "
                     f"oh.mode=crash oh.actions={','.join(acts)}")
    crash_cmdline = re.sub(r" +", " ", crash_cmdline)
    serial = os.path.join(work, "console-crash.log")
    qemu(kernel, crash_cmdline, serial, ramfile=ramfile, mem_mb=mem,
         initrd=kernel.kdump_initrd, share=share)
    capture_cmdline = check_kdump_log(serial, acts)
    version = kernel_version(serial)

    if backend == "ramoops":
        with open(ramfile, "rb") as f:
            f.seek(p["mem_address"])
            region = f.read(p["mem_size"])
        open(os.path.join(work, "raw", "ramoops.bin"), "wb").write(region)
        export_img = os.path.join(work, "export.img")
        with open(export_img, "wb") as f:
            f.truncate(32 << 20)
        qemu(kernel, f"{BASE_CMDLINE} {extra} oh.mode=export oh.out=/dev/vda",
             os.path.join(work, "console-export.log"), disks=[export_img],
             ramfile=ramfile, mem_mb=mem)
        text = open(os.path.join(work, "console-export.log"), errors="replace").read()
        if "oops-harvest: export done" not in text:
            raise RuntimeError(f"{name}: export boot did not finish (console-export.log)")
        unpack_export(export_img, work, backend)
        os.unlink(export_img)
        os.unlink(ramfile)

    # the capture kernel's files: everything but the dump itself is copied whole
    versions = tool_versions()
    files = []
    for root, dirs, names in os.walk(share):
        dirs.sort()
        for fn in sorted(names):
            src = os.path.join(root, fn)
            rel = os.path.relpath(src, share)
            dst = os.path.join(work, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            size = os.path.getsize(src)
            info = {"path": rel, "made_by": kdump_made_by(rel, kd["layout"], versions),
                    "mode": f"{os.stat(src).st_mode & 0o777:o}"}
            if re.fullmatch(r"dump\.\d{12}|vmcore", fn):
                h = hashlib.sha256()
                with open(src, "rb") as fi, open(dst, "wb") as fo:
                    head = fi.read(KDUMP_KEEP_BYTES)
                    fo.write(head)
                    h.update(head)
                    for chunk in iter(lambda: fi.read(1 << 20), b""):
                        h.update(chunk)
                shutil.copystat(src, dst)
                info.update(size=len(head), truncated=True, full_size=size,
                            full_sha256=h.hexdigest())
            else:
                shutil.copy2(src, dst)
                info.update(size=size, truncated=False)
            files.append(info)
    check_kdump_dmesg(work, serial, files, acts)
    shutil.rmtree(share)

    dest = os.path.join(outdir, name)
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(work, dest)
    shutil.rmtree(work)

    flat = ["oops" if a.startswith("oops") else a for a in acts if a not in ("pmsg", "ftrace")]
    if "panic" not in flat or flat[-1] != "panic":
        # the crash boot never got past the crash that started the capture kernel
        flat = [a for a in flat if a != "poweroff"]
    entry = {
        "name": name,
        "kernel": kernel.abi,
        "kernel_version": version,
        "backend": backend,
        "params": p,
        "actions": flat,
        "boots": 1,
        "notes": sc["notes"],
        "boot_actions": boots,
        "kdump": {
            "layout": kd["layout"],
            "crashkernel": kd["crashkernel"],
            "guest_mem_mb": mem,
            "crash_cmdline": crash_cmdline,
            "capture_cmdline": capture_cmdline,
            "kexec": "kexec -p /boot/vmlinuz --initrd=/boot/capture.img "
                     "--command-line=<capture_cmdline> (kexec_load; same kernel, initramfs = "
                     "the harness's with kexec, makedumpfile, vmcore-dmesg, dmesg and their "
                     "libraries)",
            "tools": versions,
            "kept_dump_bytes": KDUMP_KEEP_BYTES,
            "files": files,
        },
    }
    return entry


def check_kdump_dmesg(work, serial, files, acts):
    """Every saved kernel log holds the crash, and its lines are the crashed
    kernel's console lines (those below the console loglevel excepted)."""
    text = open(serial, errors="replace").read()
    banners = [m.start() for m in re.finditer(r"Linux version \d", text)]
    console = set(text[:banners[1]].splitlines())
    logs = [f["path"] for f in files if re.search(r"dmesg\.\d{12}$|dmesg\.txt$", f["path"])]
    if not any(not p.startswith("extra/") for p in logs):
        raise RuntimeError(f"{serial}: the capture kernel saved no dmesg file")
    want = ["Oops: ", "Call Trace:", "RIP: 0010:oops_harvest_init"]
    if "panic" in acts:
        want.append("Kernel panic - not syncing: sysrq triggered crash")
    for rel in logs:
        lines = open(os.path.join(work, rel), errors="replace").read().splitlines()
        body = "\n".join(lines)
        missing = [w for w in want if w not in body]
        on_console = sum(1 for line in lines if line in console)
        if missing or on_console < 0.9 * len(lines):
            raise RuntimeError(f"{rel}: missing {missing}; {on_console} of {len(lines)} "
                               f"lines on the console")


def check_kdump_log(serial, acts):
    """The crash boot crashed as asked and the capture kernel saved the dump.
    Returns the capture kernel's command line."""
    text = open(serial, errors="replace").read()
    banners = [m.start() for m in re.finditer(r"Linux version \d", text)]
    problems = []
    if len(banners) != 2:
        problems.append(f"{len(banners)} kernel banners, want 2 (crashed and capture kernel)")
    first = text[:banners[1]] if len(banners) > 1 else text
    want = sum(1 for a in acts if a.startswith("oops"))
    got = len(re.findall(r"oops-harvest: oops\d+: provoking", first))
    oopses = len(re.findall(r"Oops: .*\[#\d+\]", first))
    if got != want or oopses != want:
        problems.append(f"expected {want} Oopses, log shows {got} provoked / {oopses} Oops lines")
    if "kexec_crash_loaded=1" not in first:
        problems.append("capture kernel not loaded")
    if "panic" in acts and "Kernel panic - not syncing: sysrq triggered crash" not in first:
        problems.append("no sysrq panic")
    if "oops-harvest: ERROR" in text:
        problems.append("guest reported an error")
    if re.search(r"soft lockup|rcu_preempt detected stalls|hung_task", text):
        problems.append("lockup or RCU stall")
    if "oops-harvest: capture done" not in text:
        problems.append("capture kernel did not finish")
    m = re.search(r"Kernel command line: (.*)", text[banners[-1]:] if banners else "")
    if problems:
        raise RuntimeError(f"{serial}: " + "; ".join(problems))
    return m.group(1).strip() if m else None


def check_crash_log(serial, acts):
    """The crash boot must have done what it was asked, and nothing else."""
    text = open(serial, errors="replace").read()
    want = sum(1 for a in acts if a.startswith("oops"))
    got = len(re.findall(r"oops-harvest: oops\d+: provoking", text))
    oopses = len(re.findall(r"Oops: .*\[#\d+\]", text))
    problems = []
    if "oops-harvest: ERROR" in text:
        problems.append("guest reported an error")
    if got != want or oopses != want:
        problems.append(f"expected {want} Oopses, log shows {got} provoked / {oopses} Oops lines")
    if re.search(r"soft lockup|rcu_preempt detected stalls|hung_task", text):
        problems.append("lockup or RCU stall")
    if "panic" in acts and "Kernel panic - not syncing: sysrq triggered crash" not in text:
        problems.append("no sysrq panic")
    if problems:
        raise RuntimeError(f"{serial}: " + "; ".join(problems))


def unpack_export(img, work, backend):
    with tarfile.open(img, "r:") as tf:
        members = tf.getmembers()
        for m in members:
            if not m.isfile():
                continue
            rel = os.path.normpath(m.name)
            if rel.startswith("pstore/"):
                dest = os.path.join(work, rel)
            elif rel.startswith("efivars/"):
                dest = os.path.join(work, "raw", rel)
            elif rel in ("pstore-listing.txt", "efivars-listing.txt"):
                dest = os.path.join(work, "export-" + rel)
            else:
                continue
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with tf.extractfile(m) as fi, open(dest, "wb") as fo:
                shutil.copyfileobj(fi, fo)
            os.utime(dest, (m.mtime, m.mtime))
    if backend in ("ramoops", "efi") and not os.path.isdir(os.path.join(work, "pstore")):
        os.makedirs(os.path.join(work, "pstore"))


def update_manifest(path, entries):
    old = []
    if os.path.exists(path):
        with open(path) as f:
            old = json.load(f)
    byname = {e["name"]: e for e in old}
    for e in entries:
        byname[e["name"]] = e
    rank = {n: i for i, n in enumerate(ORDER)}
    merged = sorted(byname.values(), key=lambda e: (rank.get(e["name"], 999), e["name"]))
    with open(path, "w") as f:
        json.dump(merged, f, indent=2)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=SAMPLES, help="output directory (default: samples/)")
    ap.add_argument("--cache", default=os.environ.get("OOPS_HARVEST_CACHE",
                                                      os.path.join(HERE, ".cache")))
    ap.add_argument("--list", action="store_true", help="list scenarios and exit")
    ap.add_argument("scenarios", nargs="*")
    a = ap.parse_args()
    if a.list:
        for s in SCENARIOS:
            print(s["name"])
        return
    names = a.scenarios or ORDER
    unknown = [n for n in names if n not in ORDER]
    if unknown:
        sys.exit(f"unknown scenario(s): {' '.join(unknown)}; see --list")
    os.makedirs(a.cache, exist_ok=True)
    os.makedirs(a.out, exist_ok=True)
    workroot = os.path.join(a.cache, "work")
    kernels = {}
    failed = []
    for n in names:
        sc = SCENARIOS[ORDER.index(n)]
        if sc["kernel"] not in kernels:
            k = Kernel(sc["kernel"], a.cache)
            k.prepare()
            kernels[sc["kernel"]] = k
        log(f"=== {n}")
        t0 = time.time()
        try:
            if sc["kdump"]:
                entry = run_kdump_scenario(sc, kernels[sc["kernel"]], a.out, workroot)
            else:
                entry = run_scenario(sc, kernels[sc["kernel"]], a.out, workroot)
        except (RuntimeError, subprocess.CalledProcessError, tarfile.TarError) as e:
            log(f"FAILED {n}: {e}")
            failed.append(n)
            continue
        update_manifest(os.path.join(a.out, "manifest.json"), [entry])
        log(f"=== {n} done in {time.time() - t0:.0f}s")
    if failed:
        sys.exit("failed: " + " ".join(failed))


if __name__ == "__main__":
    main()
