#!/usr/bin/env python3
"""Worst cases of issues 13 and 18 at their caps, against the unit's limits.

Each case builds its input in a scratch directory, then runs oops-harvest
(--collect, or --list where that is what blew up) in a fresh python and
prints its wall time and peak RSS (the child's own VmHWM) against
MemoryMax=256M and TimeoutStartSec=60s of packaging/systemd.  A child
that passes 60 s is killed; one over 2 GiB of address space gets a
MemoryError (RLIMIT_AS keeps the machine usable): both show as OVER.

    python3 benchmarks/worst.py            # every case at its cap
    python3 benchmarks/worst.py --quick    # smaller planted-file counts
    python3 benchmarks/worst.py --cases panic-line,bug-lines --json
"""

import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))
MEMORY_MAX_MIB = 256
TIMEOUT_S = 60
WELL_UNDER_S = 30         # "well under TimeoutStartSec": other units wait too
AS_LIMIT = 2 << 30
GUID = "cfc8fc79-be2e-4ddc-97f0-9f98bfe298a0"
OOPS = b"<1>[    1.000000] BUG: kernel NULL pointer dereference\n"
SAMPLE = os.path.join(ROOT, "samples", "ramoops-6.1-basic", "pstore")


def deflate(data):
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    return comp.compress(data) + comp.flush()


class Scratch:
    """A pstore/efivars source, an output dir (1777) and a state dir."""

    def __init__(self, base, name):
        self.root = os.path.join(base, name)
        os.makedirs(self.root)
        self.out = os.path.join(self.root, "crash")
        os.mkdir(self.out)
        os.chmod(self.out, 0o1777)
        self.state = os.path.join(self.root, "state")
        self.config = os.path.join(self.root, "config.yaml")
        with open(self.config, "w") as f:
            f.write("require_pstore_mount: false\n")
        self.specs = []

    def tree(self, kind, files, attribute=False):
        folder = os.path.join(self.root, kind)
        os.makedirs(folder, exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(folder, name), "wb") as f:
                f.write((struct.pack("<I", 7) if attribute else b"") + data)
        self.specs.append("%s:%s" % (kind, folder))
        return folder

    def collect(self):
        argv = ["--collect", "--config", self.config, "--output-dir", self.out,
                "--state-dir", self.state]
        for spec in self.specs:
            argv += ["--source", spec]
        return argv

    def list(self):
        argv = ["--list"]
        for spec in self.specs:
            argv += ["--source", spec]
        return argv


def measure(argv):
    """``(exit, seconds, peak RSS MiB, note)`` of oops-harvest ARGV."""
    code = ("import resource, sys, re\n"
            "resource.setrlimit(resource.RLIMIT_AS, (%d, %d))\n"
            "from harvester import cli\n"
            "def hwm():\n"
            "    m = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())\n"
            "    sys.stderr.write('\\nVmHWM %%s\\n' %% m.group(1)); sys.stderr.flush()\n"
            "try:\n    rc = cli.main(%r)\nexcept BaseException:\n"
            "    hwm(); raise\nhwm()\nsys.exit(rc)\n" % (AS_LIMIT, AS_LIMIT, argv))
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak_kib = 0
    note = ""
    while proc.poll() is None:
        try:                      # a killed child cannot report its VmHWM
            with open("/proc/%d/status" % proc.pid) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        peak_kib = max(peak_kib, int(line.split()[1]))
        except OSError:
            pass
        if time.monotonic() - start > TIMEOUT_S:
            proc.kill()
            note = "killed at %ds (TimeoutStartSec)" % TIMEOUT_S
            break
        time.sleep(0.05)
    err = proc.communicate()[1].decode("utf-8", "replace")
    seconds = time.monotonic() - start
    for line in err.splitlines():
        if line.startswith("VmHWM "):
            peak_kib = max(peak_kib, int(line.split()[1]))
    if not note and "Traceback" in err:
        last = [l for l in err.strip().splitlines() if not l.startswith("VmHWM")]
        note = "traceback: " + last[-1][:80]
    return proc.returncode, seconds, peak_kib / 1024.0, note


def largest_report(out, cap=8 << 20):
    """A note if a report is over max_report_bytes (the default 8 MiB)."""
    sizes = [os.path.getsize(os.path.join(out, n)) for n in os.listdir(out)
             if n.endswith(".crash") and n.startswith("linux-image-")]
    if sizes and max(sizes) > cap:
        return "report of %d bytes > max_report_bytes" % max(sizes)
    return ""


# --- the cases ------------------------------------------------------------------

def case_panic_line(s, quick):
    """A 4 KB dmesg-ramoops-0.enc.z whose panic line is 3.5 MiB (finding 3)."""
    text = (b"Panic#1 Part1\n<0>[    1.000000] Kernel panic - not syncing: "
            + b"\x1b" * (7 << 19) + b"\n")
    s.tree("pstore", {"dmesg-ramoops-0.enc.z": deflate(text)})
    return s.collect()


def case_part_header(s, quick):
    """A plain record with the header Oops#1 Part2000000000 (finding 4)."""
    s.tree("pstore", {"dmesg-ramoops-0": b"Oops#1 Part2000000000\n" + OOPS})
    return s.list()


def case_part_efivars(s, quick):
    """An efivars name with part 4000000000 (finding 4)."""
    s.tree("efivars", {"dump-type0-4000000000-1-1700000000-D-%s" % GUID:
                       b"Panic#1 Part1\n" + OOPS}, attribute=True)
    return s.list()


def case_part_1500000(s, quick):
    """Oops#1 Part1500000 in a plain record: --collect (findings 3, 4)."""
    s.tree("pstore", {"dmesg-ramoops-0": b"Oops#1 Part1500000\n" + OOPS * 50})
    return s.collect()


def case_bug_lines(s, quick):
    """20,000 'BUG: x' lines (finding 5)."""
    s.tree("pstore", {"dmesg-ramoops-0": b"Oops#1 Part1\n" +
                      b"<1>[    1.0] BUG: x\n" * 20000})
    return s.collect()


def case_oops_lines(s, quick):
    """1,000 KiB of 'Oops' lines, within max_record_bytes (finding 5)."""
    s.tree("pstore", {"dmesg-ramoops-0": b"Oops#1 Part1\n" +
                      b"Oops\n" * (1000 * 1024 // 5)})
    return s.collect()


def _six_events(s):
    files = {}
    for i in range(6):
        files["dmesg-ramoops-%d" % i] = (b"Oops#%d Part1\n" % (i + 1)) + \
            OOPS.replace(b"NULL", b"NULL %d" % i)
    s.tree("pstore", files)


def _plant(folder, count):
    """Empty files named like kernel reports (each is stat'ed) and owned by
    nobody, as an attacker would plant them (as another user: names that
    are not stat'ed, since our own would count against the report cap)."""
    root = os.geteuid() == 0
    pattern = "linux-image-9.9.%d.E%010d.crash" if root else "_usr_bin_app%d.%d.crash"
    for i in range(count):
        fd = os.open(os.path.join(folder, pattern % (i, i)),
                     os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        if root:
            os.fchown(fd, 65534, 65534)
        os.close(fd)


def case_planted_300k(s, quick):
    """300,000 empty files in the output dir, 6 events (finding 7)."""
    _six_events(s)
    _plant(s.out, 30000 if quick else 300000)
    return s.collect()


def case_planted_1m(s, quick):
    """1,000,000 empty files in the output dir, 6 events (finding 7)."""
    _six_events(s)
    _plant(s.out, 100000 if quick else 1000000)
    return s.collect()


def case_time_efivars(s, quick):
    """efivars dump-type0-1-1-99999999999999999999-D (finding 6)."""
    s.tree("efivars", {"dump-type0-1-1-99999999999999999999-D-%s" % GUID:
                       b"Oops#1 Part1\n" + OOPS}, attribute=True)
    return s.collect()


def case_time_pstore(s, quick):
    """pstore dmesg-efi-99999999999999999001, --list (finding 6)."""
    s.tree("pstore", {"dmesg-efi-99999999999999999001": b"Oops#1 Part1\n" + OOPS})
    return s.list()


def case_max_records(s, quick):
    """max_records (1,000) plain records of 1 MiB each (max_record_bytes):
    1 GiB held at once (finding C)."""
    files = {}
    filler = b"<6>[    1.000000] filler line without a marker\n"
    body = filler * ((1 << 20) // len(filler) - 2) + OOPS
    for i in range(1000):
        files["dmesg-ramoops-%d" % i] = b"Oops#%d Part1\n" % (i + 1) + body
    s.tree("pstore", files)
    return s.collect()


def case_decompressed_per_run(s, quick):
    """100 efivars parts of one dump, each 8 KB inflating to the 4 MiB
    max_decompressed_bytes: 400 MiB of text in one run (finding C)."""
    files = {}
    for part in range(1, 101):
        text = (b"Panic#1 Part%d\n" % part + b"<0>[ 1.0] " + b"A" * (4 << 20))
        files["dump-type0-%d-1-1700000000-C-%s" % (part, GUID)] = \
            deflate(text[:4 << 20])
    s.tree("efivars", files, attribute=True)
    return s.list()


# --- issue 18: liveness and the state's cost --------------------------------------

EFI_SAMPLE = os.path.join(ROOT, "samples", "efi-6.1-two-dumps", "pstore")


def _efi_sample(s, name):
    files = {}
    for n in sorted(os.listdir(EFI_SAMPLE)):
        with open(os.path.join(EFI_SAMPLE, n), "rb") as f:
            files[n] = f.read()
    return s.tree(name, files)


def case_f1_oversized_dump(s, quick):
    """An efivars dump of 9 parts inflating to 3.9 MiB each (over the
    32 MiB max_run_bytes) before a small dump (finding 1)."""
    files = {}
    for part in range(1, 10):
        text = b"Panic#1 Part%d\n" % part + b"<0>[ 1.0] " + b"A" * (39 << 17)
        files["dump-type0-%d-1-1700000000-C-%s" % (part, GUID)] = deflate(text)
    files["dump-type0-1-1-1700000900-D-%s" % GUID] = b"Oops#1 Part1\n" + OOPS
    s.tree("efivars", files, attribute=True)
    return s.collect()


def case_f2_mtdoops_1100(s, quick):
    """An mtdoops image with 1,100 oops records, over max_records
    (finding 2): one run."""
    slots, size = 1100, 4096
    image = bytearray(b"\xff") * (slots * size)
    for slot in range(slots):
        text = b"<1>[ 1.0] BUG: crash %d\n" % slot + OOPS + b"\0"
        image[slot * size:slot * size + 8 + len(text)] = \
            struct.pack("<II", slot + 1, 0x5D005D00) + text
    path = os.path.join(s.root, "mtd.bin")
    with open(path, "wb") as f:
        f.write(image)
    s.specs.append("mtdoops:%s" % path)
    return s.collect()


def case_f3_twins(s, quick):
    """The efi sample in two pstore sources, live and archive (finding 3)."""
    _efi_sample(s, "pstore")
    archive = os.path.join(s.root, "archive")
    shutil.copytree(os.path.join(s.root, "pstore"), archive)
    s.specs.append("pstore:%s" % archive)
    return s.collect()


def case_f4_max_records(s, quick):
    """The efi sample under max_records: 20 (finding 4)."""
    _efi_sample(s, "pstore")
    with open(s.config, "a") as f:
        f.write("max_records: 20\n")
    return s.collect()


def case_f5_small_reports(s, quick):
    """The efi sample under max_report_bytes: 4096 (finding 5)."""
    _efi_sample(s, "pstore")
    with open(s.config, "a") as f:
        f.write("max_report_bytes: 4096\n")
    return s.collect()


def case_f6_unaligned_image(s, quick):
    """A 1 GiB ramoops image read at offset=512 (finding 6)."""
    path = os.path.join(s.root, "big.img")
    with open(os.path.join(ROOT, "samples", "ramoops-6.1-basic", "raw",
                           "ramoops.bin"), "rb") as f:
        sample = f.read()
    with open(path, "wb") as f:
        f.write(b"\0" * 512 + sample)
        f.truncate(1 << 30)
    s.specs.append("ramoops:%s,offset=512" % path)
    return s.collect()


def case_f8_zero_image(s, quick):
    """A 1 GiB all-zero ramoops image, layout auto-detected (finding 8)."""
    path = os.path.join(s.root, "zero.img")
    with open(path, "wb") as f:
        f.truncate(1 << 30)
    s.specs.append("ramoops:%s" % path)
    return s.collect()


def case_f7_state_20000(s, quick):
    """A state of 20,000 entries, then 100 new reports, state and output
    on disk (finding 7; target under 5 s)."""
    os.makedirs(s.state, mode=0o700)
    harvested = {"dmesg:ramoops:%d:None:%032x" % (i, i): {
        "event": "E%010x" % i, "report": "old-%d.crash" % i,
        "time": int(time.time())} for i in range(20000)}
    with open(os.path.join(s.state, "state.json"), "w") as f:
        json.dump({"harvested": harvested, "kept": {}, "pending": {},
                   "reports": []}, f, sort_keys=True)
    s.tree("pstore", {"dmesg-ramoops-%d" % i: b"Oops#1 Part1\n" + OOPS +
                      b"<1>[ 1.0] dump %d\n" % i for i in range(100)})
    return s.collect()


def case_f9_record_types(s, quick):
    """A pstore holding only non-dmesg records of every type (finding 9)."""
    names = ("mce-erst-1", "pmsg-ramoops-0", "ftrace-ramoops-0",
             "console-ramoops-0", "rtas-nvram-1", "powerpc-ofw-nvram-2",
             "powerpc-common-nvram-3", "powerpc-opal-nvram-4")
    s.tree("pstore", {n: b"x" * 1000 + n.encode() for n in names})
    return s.collect()


# Cases whose scratch directory must be on a disk, not /dev/shm (a
# sparse image on tmpfs gets a page allocated for every hole read: the
# all-zero image takes 2 s there instead of 0.3 s).
ON_DISK = {"f7-state-20000", "f8-zero-image"}


CASES = {
    "panic-line": case_panic_line,
    "part-header": case_part_header,
    "part-efivars": case_part_efivars,
    "part-1500000": case_part_1500000,
    "bug-lines": case_bug_lines,
    "oops-lines": case_oops_lines,
    "planted-300k": case_planted_300k,
    "planted-1m": case_planted_1m,
    "time-efivars": case_time_efivars,
    "time-pstore": case_time_pstore,
    "max-records": case_max_records,
    "decompressed-per-run": case_decompressed_per_run,
    "f1-oversized-dump": case_f1_oversized_dump,
    "f2-mtdoops-1100": case_f2_mtdoops_1100,
    "f3-twins": case_f3_twins,
    "f4-max-records": case_f4_max_records,
    "f5-small-reports": case_f5_small_reports,
    "f6-unaligned-image": case_f6_unaligned_image,
    "f7-state-20000": case_f7_state_20000,
    "f8-zero-image": case_f8_zero_image,
    "f9-record-types": case_f9_record_types,
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a tenth of the planted files")
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--dir", help="scratch base (default: /dev/shm or "
                        "the temp dir)")
    args = parser.parse_args(argv)
    base = args.dir or ("/dev/shm" if os.access("/dev/shm", os.W_OK) else None)
    rows = []
    print("%-22s %8s %9s  %-6s %s" % ("case", "seconds", "peak MiB",
                                       "limits", "note"))
    print("(OVER: peak RSS > %d MiB, over %d s, killed at %d s, a traceback "
          "or a report over max_report_bytes)" % (MEMORY_MAX_MIB, WELL_UNDER_S,
                                                TIMEOUT_S))
    for name in args.cases.split(","):
        scratch = tempfile.mkdtemp(prefix="oops-worst-", dir=(
            "/var/tmp" if name in ON_DISK else base))
        try:
            where = Scratch(scratch, "run")
            rc, seconds, rss, note = measure(CASES[name](where, args.quick))
            note = note or largest_report(where.out)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        over = note.startswith(("killed", "traceback", "report")) or \
            rss > MEMORY_MAX_MIB or seconds > WELL_UNDER_S
        rows.append({"case": name, "exit": rc, "seconds": round(seconds, 2),
                     "peak_rss_mib": round(rss, 1), "within_limits": not over,
                     "note": note, "what": CASES[name].__doc__.split("\n")[0]})
        print("%-22s %8.2f %9.1f  %-6s %s" % (name, seconds, rss,
                                               "OVER" if over else "ok", note))
        sys.stdout.flush()
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0 if all(r["within_limits"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
